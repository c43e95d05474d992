/* test_imageref.c - the image reference parser against upstream's tables. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "imageref.h"

/*
 * The tables below are the upstream test tables of
 * github.com/distribution/reference v0.6.0 (reference_test.go,
 * normalize_test.go, regexp_test.go) and of Kubernetes'
 * pkg/util/parsers/parsers_test.go, case for case. Where upstream checks
 * less than a row holds (only "fails", or no message), the rest was taken
 * from running the upstream v0.6.0 code on the input.
 */

/* One parse and what it must give; err is NULL for success. */
struct case_ref {
    const char *input;
    const char *err;
    const char *domain;
    const char *path;
    const char *tag;
    const char *digest;
};

struct case_with {
    const char *name;
    const char *tag;
    const char *digest;
    const char *combined;
    const char *parse_err;
};

struct case_repo_info {
    const char *input;
    const char *domain;
    const char *path;
    const char *full_name;
};

struct case_docker_ref {
    const char *input;
    const char *expected;
};

struct case_match {
    const char *input;
    int match;
};

struct case_name_regexp {
    const char *input;
    int match;
    const char *domain;
    const char *path;
};

struct case_reference_regexp {
    const char *input;
    int match;
    const char *name;
    const char *tag;
    const char *digest;
};

struct case_image_name {
    const char *input;
    const char *repo;
    const char *tag;
    const char *digest;
    const char *err_part;
};

struct case_policy {
    const char *image;
    const char *policy;
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* reference_test.go TestReferenceParse, then TestSerialization (Field's
 * UnmarshalText is Parse): Go's Parse, upstream verdicts. */
static const struct case_ref upstream_parse_cases[] = {
    {"test_com", NULL, "", "test_com", "", ""},
    {"test.com:tag", NULL, "", "test.com", "tag", ""},
    {"test.com:5000", NULL, "", "test.com", "5000", ""},
    {"test.com/repo:tag", NULL, "test.com", "repo", "tag", ""},
    {"test:5000/repo", NULL, "test:5000", "repo", "", ""},
    {"test:5000/repo:tag", NULL, "test:5000", "repo", "tag", ""},
    {"test:5000/"
     "repo@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "test:5000", "repo", "",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"test:5000/"
     "repo:tag@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "test:5000", "repo", "tag",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"test:5000/repo", NULL, "test:5000", "repo", "", ""},
    {"", "repository name must have at least one component", NULL, NULL, NULL,
     NULL},
    {":justtag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"repo@sha256:ffffffffffffffffffffffffffffffffff",
     "invalid checksum digest length", NULL, NULL, NULL, NULL},
    {"validname@invaliddigest:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "unsupported digest algorithm", NULL, NULL, NULL, NULL},
    {"Uppercase:tag", "repository name must be lowercase", NULL, NULL, NULL,
     NULL},
    {"test:5000/Uppercase/lowercase:tag", "repository name must be lowercase",
     NULL, NULL, NULL, NULL},
    {"lowercase:Uppercase", NULL, "", "lowercase", "Uppercase", ""},
    {"domain/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a:tag-puts-this-over-max",
     NULL, "a",
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a",
     "tag-puts-this-over-max", ""},
    {"aa/asdf$$^/aa", "invalid reference format", NULL, NULL, NULL, NULL},
    {"sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com", "bar/baz/quux",
     "", ""},
    {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL, "sub-dom1.foo.com",
     "bar/baz/quux", "some-long-tag", ""},
    {"b.gcr.io/test.example.com/my-app:test.example.com", NULL, "b.gcr.io",
     "test.example.com/my-app", "test.example.com", ""},
    {"xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com", "myimage",
     "xn--n3h.com", ""},
    {"xn--7o8h.com/"
     "myimage:xn--7o8h.com@sha512:"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "xn--7o8h.com", "myimage", "xn--7o8h.com",
     "sha512:"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"foo_bar.com:8080", NULL, "", "foo_bar.com", "8080", ""},
    {"foo/foo_bar.com:8080", NULL, "foo", "foo_bar.com", "8080", ""},
    {"192.168.1.1", NULL, "", "192.168.1.1", "", ""},
    {"192.168.1.1:tag", NULL, "", "192.168.1.1", "tag", ""},
    {"192.168.1.1:5000", NULL, "", "192.168.1.1", "5000", ""},
    {"192.168.1.1/repo", NULL, "192.168.1.1", "repo", "", ""},
    {"192.168.1.1:5000/repo", NULL, "192.168.1.1:5000", "repo", "", ""},
    {"192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000", "repo", "5050",
     ""},
    {"[2001:db8::1]", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]:5000", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]:tag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]/repo", NULL, "[2001:db8::1]", "repo", "", ""},
    {"[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]", "repo",
     "tag", ""},
    {"[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000", "repo", "", ""},
    {"[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000", "repo", "tag",
     ""},
    {"[2001:db8::1]:5000/"
     "repo@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "[2001:db8::1]:5000", "repo", "",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"[2001:db8::1]:5000/"
     "repo:tag@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "[2001:db8::1]:5000", "repo", "tag",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000", "repo", "", ""},
    {"[::1]:5000/repo", NULL, "[::1]:5000", "repo", "", ""},
    {"[fe80::1%eth0]:5000/repo", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"[fe80::1%@invalidzone]:5000/repo", "invalid reference format", NULL, NULL,
     NULL, NULL},
    {"example.com/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag",
     NULL, "example.com",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "tag", ""},
    /* TestSerialization */
    {"", "repository name must have at least one component", NULL, NULL, NULL,
     NULL},
    {"example.com:8000/named", NULL, "example.com:8000", "named", "", ""},
    {"example.com:8000/named:tagged", NULL, "example.com:8000", "named",
     "tagged", ""},
    {"other.com/"
     "named@sha256:"
     "1234567890098765432112345667890098765432112345667890098765432112",
     NULL, "other.com", "named", "",
     "sha256:1234567890098765432112345667890098765432112345667890098765432112"},
};

/* The same inputs through ParseNormalizedNamed (verdicts of upstream v0.6.0
 * code). */
static const struct case_ref upstream_parse_normalized_cases[] = {
    {"test_com", NULL, "docker.io", "library/test_com", "", ""},
    {"test.com:tag", NULL, "docker.io", "library/test.com", "tag", ""},
    {"test.com:5000", NULL, "docker.io", "library/test.com", "5000", ""},
    {"test.com/repo:tag", NULL, "test.com", "repo", "tag", ""},
    {"test:5000/repo", NULL, "test:5000", "repo", "", ""},
    {"test:5000/repo:tag", NULL, "test:5000", "repo", "tag", ""},
    {"test:5000/"
     "repo@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "test:5000", "repo", "",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"test:5000/"
     "repo:tag@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "test:5000", "repo", "tag",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"test:5000/repo", NULL, "test:5000", "repo", "", ""},
    {"", "invalid reference format", NULL, NULL, NULL, NULL},
    {":justtag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"repo@sha256:ffffffffffffffffffffffffffffffffff",
     "invalid checksum digest length", NULL, NULL, NULL, NULL},
    {"validname@invaliddigest:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "unsupported digest algorithm", NULL, NULL, NULL, NULL},
    {"Uppercase:tag",
     "invalid reference format: repository name (library/Uppercase) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"test:5000/Uppercase/lowercase:tag",
     "invalid reference format: repository name (Uppercase/lowercase) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"lowercase:Uppercase", NULL, "docker.io", "library/lowercase", "Uppercase",
     ""},
    {"domain/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a:tag-puts-this-over-max",
     NULL, "docker.io",
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a",
     "tag-puts-this-over-max", ""},
    {"aa/asdf$$^/aa", "invalid reference format", NULL, NULL, NULL, NULL},
    {"sub-dom1.foo.com/bar/baz/quux", NULL, "sub-dom1.foo.com", "bar/baz/quux",
     "", ""},
    {"sub-dom1.foo.com/bar/baz/quux:some-long-tag", NULL, "sub-dom1.foo.com",
     "bar/baz/quux", "some-long-tag", ""},
    {"b.gcr.io/test.example.com/my-app:test.example.com", NULL, "b.gcr.io",
     "test.example.com/my-app", "test.example.com", ""},
    {"xn--n3h.com/myimage:xn--n3h.com", NULL, "xn--n3h.com", "myimage",
     "xn--n3h.com", ""},
    {"xn--7o8h.com/"
     "myimage:xn--7o8h.com@sha512:"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "xn--7o8h.com", "myimage", "xn--7o8h.com",
     "sha512:"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
     "fffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"foo_bar.com:8080", NULL, "docker.io", "library/foo_bar.com", "8080", ""},
    {"foo/foo_bar.com:8080", NULL, "docker.io", "foo/foo_bar.com", "8080", ""},
    {"192.168.1.1", NULL, "docker.io", "library/192.168.1.1", "", ""},
    {"192.168.1.1:tag", NULL, "docker.io", "library/192.168.1.1", "tag", ""},
    {"192.168.1.1:5000", NULL, "docker.io", "library/192.168.1.1", "5000", ""},
    {"192.168.1.1/repo", NULL, "192.168.1.1", "repo", "", ""},
    {"192.168.1.1:5000/repo", NULL, "192.168.1.1:5000", "repo", "", ""},
    {"192.168.1.1:5000/repo:5050", NULL, "192.168.1.1:5000", "repo", "5050",
     ""},
    {"[2001:db8::1]", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]:5000", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]:tag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[2001:db8::1]/repo", NULL, "[2001:db8::1]", "repo", "", ""},
    {"[2001:db8:1:2:3:4:5:6]/repo:tag", NULL, "[2001:db8:1:2:3:4:5:6]", "repo",
     "tag", ""},
    {"[2001:db8::1]:5000/repo", NULL, "[2001:db8::1]:5000", "repo", "", ""},
    {"[2001:db8::1]:5000/repo:tag", NULL, "[2001:db8::1]:5000", "repo", "tag",
     ""},
    {"[2001:db8::1]:5000/"
     "repo@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "[2001:db8::1]:5000", "repo", "",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"[2001:db8::1]:5000/"
     "repo:tag@sha256:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     NULL, "[2001:db8::1]:5000", "repo", "tag",
     "sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"},
    {"[2001:db8::]:5000/repo", NULL, "[2001:db8::]:5000", "repo", "", ""},
    {"[::1]:5000/repo", NULL, "[::1]:5000", "repo", "", ""},
    {"[fe80::1%eth0]:5000/repo", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"[fe80::1%@invalidzone]:5000/repo", "invalid reference format", NULL, NULL,
     NULL, NULL},
    {"example.com/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:tag",
     NULL, "example.com",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "tag", ""},
    {"", "invalid reference format", NULL, NULL, NULL, NULL},
    {"example.com:8000/named", NULL, "example.com:8000", "named", "", ""},
    {"example.com:8000/named:tagged", NULL, "example.com:8000", "named",
     "tagged", ""},
    {"other.com/"
     "named@sha256:"
     "1234567890098765432112345667890098765432112345667890098765432112",
     NULL, "other.com", "named", "",
     "sha256:1234567890098765432112345667890098765432112345667890098765432112"},
};

/* reference_test.go TestWithNameFailure, then TestDomainAndPath: WithName. */
static const struct case_ref upstream_with_name_cases[] = {
    {"", "invalid reference format", NULL, NULL, NULL, NULL},
    {":justtag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"@sha256:ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"validname@invaliddigest:"
     "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"example.com/repo:tag", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"example.com/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"aa/asdf$$^/aa", "invalid reference format", NULL, NULL, NULL, NULL},
    /* TestDomainAndPath */
    {"test.com/foo", NULL, "test.com", "foo", "", ""},
    {"test_com/foo", NULL, "", "test_com/foo", "", ""},
    {"test:8080/foo", NULL, "test:8080", "foo", "", ""},
    {"test.com:8080/foo", NULL, "test.com:8080", "foo", "", ""},
    {"test-com:8080/foo", NULL, "test-com:8080", "foo", "", ""},
    {"xn--n3h.com:18080/foo", NULL, "xn--n3h.com:18080", "foo", "", ""},
};

/* reference_test.go TestWithTag, then TestWithDigest: name, tag, digest and
 * the combined string; parse_err is what Parse says of the combined string
 * (WithDigest checks the digest's format only, Parse its length too). */
static const struct case_with upstream_with_cases[] = {
    {"test.com/foo", "tag", "", "test.com/foo:tag", NULL},
    {"foo", "tag2", "", "foo:tag2", NULL},
    {"test.com:8000/foo", "tag4", "", "test.com:8000/foo:tag4", NULL},
    {"test.com:8000/foo", "TAG5", "", "test.com:8000/foo:TAG5", NULL},
    {"test.com:8000/foo", "TAG5",
     "sha256:1234567890098765432112345667890098765",
     "test.com:8000/foo:TAG5@sha256:1234567890098765432112345667890098765",
     "invalid checksum digest length"},
    /* TestWithDigest */
    {"test.com/foo", "", "sha256:1234567890098765432112345667890098765",
     "test.com/foo@sha256:1234567890098765432112345667890098765",
     "invalid checksum digest length"},
    {"foo", "", "sha256:1234567890098765432112345667890098765",
     "foo@sha256:1234567890098765432112345667890098765",
     "invalid checksum digest length"},
    {"test.com:8000/foo", "", "sha256:1234567890098765432112345667890098765",
     "test.com:8000/foo@sha256:1234567890098765432112345667890098765",
     "invalid checksum digest length"},
    {"test.com:8000/foo", "latest",
     "sha256:1234567890098765432112345667890098765",
     "test.com:8000/foo:latest@sha256:1234567890098765432112345667890098765",
     "invalid checksum digest length"},
};

/* reference_test.go TestParseNamed. */
static const struct case_ref upstream_parse_named_cases[] = {
    {"test.com/foo", NULL, "test.com", "foo", "", ""},
    {"test:8080/foo", NULL, "test:8080", "foo", "", ""},
    {"test_com/foo", "repository name must be canonical", NULL, NULL, NULL,
     NULL},
    {"test.com", "repository name must be canonical", NULL, NULL, NULL, NULL},
    {"foo", "repository name must be canonical", NULL, NULL, NULL, NULL},
    {"library/foo", "repository name must be canonical", NULL, NULL, NULL,
     NULL},
    {"docker.io/library/foo", NULL, "docker.io", "library/foo", "", ""},
    {"docker.io/foo", "repository name must be canonical", NULL, NULL, NULL,
     NULL},
};

/* normalize_test.go through ParseNormalizedNamed. Upstream checks success or
 * failure (and domain and path in TestNormalizedSplitHostname); the messages,
 * tags and digests are those of upstream v0.6.0 code. */
static const struct case_ref upstream_normalize_cases[] = {
    /* TestValidateReferenceName, valid */
    {"docker/docker", NULL, "docker.io", "docker/docker", "", ""},
    {"library/debian", NULL, "docker.io", "library/debian", "", ""},
    {"debian", NULL, "docker.io", "library/debian", "", ""},
    {"docker.io/docker/docker", NULL, "docker.io", "docker/docker", "", ""},
    {"docker.io/library/debian", NULL, "docker.io", "library/debian", "", ""},
    {"docker.io/debian", NULL, "docker.io", "library/debian", "", ""},
    {"index.docker.io/docker/docker", NULL, "docker.io", "docker/docker", "",
     ""},
    {"index.docker.io/library/debian", NULL, "docker.io", "library/debian", "",
     ""},
    {"index.docker.io/debian", NULL, "docker.io", "library/debian", "", ""},
    {"127.0.0.1:5000/docker/docker", NULL, "127.0.0.1:5000", "docker/docker",
     "", ""},
    {"127.0.0.1:5000/library/debian", NULL, "127.0.0.1:5000", "library/debian",
     "", ""},
    {"127.0.0.1:5000/debian", NULL, "127.0.0.1:5000", "debian", "", ""},
    {"192.168.0.1", NULL, "docker.io", "library/192.168.0.1", "", ""},
    {"192.168.0.1:80", NULL, "docker.io", "library/192.168.0.1", "80", ""},
    {"192.168.0.1:8/debian", NULL, "192.168.0.1:8", "debian", "", ""},
    {"192.168.0.2:25000/debian", NULL, "192.168.0.2:25000", "debian", "", ""},
    {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", NULL,
     "docker.io",
     "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "", ""},
    {"[fc00::1]:5000/docker", NULL, "[fc00::1]:5000", "docker", "", ""},
    {"[fc00::1]:5000/docker/docker", NULL, "[fc00::1]:5000", "docker/docker",
     "", ""},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", NULL,
     "[fc00:1:2:3:4:5:6:7]:5000", "library/debian", "", ""},
    {"docker.io/"
     "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
     NULL, "docker.io",
     "library/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
     "", ""},
    {"Docker/docker", NULL, "Docker", "docker", "", ""},
    {"DOCKER/docker", NULL, "DOCKER", "docker", "", ""},
    /* TestValidateReferenceName, invalid */
    {"https://github.com/docker/docker", "invalid reference format", NULL, NULL,
     NULL, NULL},
    {"docker/Docker",
     "invalid reference format: repository name (docker/Docker) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"-docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"-docker/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"-docker.io/docker/docker", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"docker///docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"docker.io/docker/Docker",
     "invalid reference format: repository name (docker/Docker) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"docker.io/docker///docker", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"[fc00::1]", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[fc00::1]:5000", "invalid reference format", NULL, NULL, NULL, NULL},
    {"fc00::1:5000/debian", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[fe80::1%eth0]:5000/debian", "invalid reference format", NULL, NULL, NULL,
     NULL},
    {"[2001:db8:3:4::192.0.2.33]:5000/debian", "invalid reference format", NULL,
     NULL, NULL, NULL},
    {"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
     "invalid repository name "
     "(1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), "
     "cannot specify 64-byte hexadecimal strings",
     NULL, NULL, NULL, NULL},
    /* TestValidateRemoteName, valid */
    {"docker/docker", NULL, "docker.io", "docker/docker", "", ""},
    {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev", NULL,
     "docker.io",
     "library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "", ""},
    {"docker-rules/docker", NULL, "docker.io", "docker-rules/docker", "", ""},
    {"docker---rules/docker", NULL, "docker.io", "docker---rules/docker", "",
     ""},
    {"doc/docker", NULL, "docker.io", "doc/docker", "", ""},
    {"d/docker", NULL, "docker.io", "d/docker", "", ""},
    {"jess/t", NULL, "docker.io", "jess/t", "", ""},
    {"dock__er/docker", NULL, "docker.io", "dock__er/docker", "", ""},
    /* TestValidateRemoteName, invalid */
    {"docker/Docker",
     "invalid reference format: repository name (docker/Docker) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"docker///docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a",
     "invalid repository name "
     "(1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a), "
     "cannot specify 64-byte hexadecimal strings",
     NULL, NULL, NULL, NULL},
    {"-docker/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"docker-/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"-docker-/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"____/____", "invalid reference format", NULL, NULL, NULL, NULL},
    {"_docker/_docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"dock..er/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"dock_.er/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"dock-.er/docker", "invalid reference format", NULL, NULL, NULL, NULL},
    {"docker/", "invalid reference format", NULL, NULL, NULL, NULL},
    {"this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_"
     "is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_"
     "not_a_valid_namespace_because_its_lenth_is_greater_than_255_this_is_not_"
     "a_valid_namespace_because_its_lenth_is_greater_than_255/docker",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    /* TestParseReferenceWithTagAndDigest */
    {"busybox:latest@sha256:"
     "86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa",
     NULL, "docker.io", "library/busybox", "latest",
     "sha256:86e0e091d0da6bde2456dbb48306f3956bbeb2eae1b5b9a43045843f69fe4aaa"},
    /* TestInvalidReferenceComponents */
    {"-foo", "invalid reference format", NULL, NULL, NULL, NULL},
    {"busybox", NULL, "docker.io", "library/busybox", "", ""},
    /* TestParseAnyReference (ParseAnyReference turns a bare identifier and a
       bare digest into digest references; ParseNormalizedNamed does not) */
    {"redis", NULL, "docker.io", "library/redis", "", ""},
    {"redis:latest", NULL, "docker.io", "library/redis", "latest", ""},
    {"docker.io/library/redis:latest", NULL, "docker.io", "library/redis",
     "latest", ""},
    {"redis@sha256:"
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     NULL, "docker.io", "library/redis", "",
     "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"},
    {"docker.io/library/"
     "redis@sha256:"
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     NULL, "docker.io", "library/redis", "",
     "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"},
    {"dmcgowan/myapp", NULL, "docker.io", "dmcgowan/myapp", "", ""},
    {"dmcgowan/myapp:latest", NULL, "docker.io", "dmcgowan/myapp", "latest",
     ""},
    {"docker.io/mcgowan/myapp:latest", NULL, "docker.io", "mcgowan/myapp",
     "latest", ""},
    {"dmcgowan/"
     "myapp@sha256:"
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     NULL, "docker.io", "dmcgowan/myapp", "",
     "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"},
    {"docker.io/dmcgowan/"
     "myapp@sha256:"
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     NULL, "docker.io", "dmcgowan/myapp", "",
     "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"},
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     "invalid repository name "
     "(dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c), "
     "cannot specify 64-byte hexadecimal strings",
     NULL, NULL, NULL, NULL},
    {"sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c",
     NULL, "docker.io", "library/sha256",
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c", ""},
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9", NULL,
     "docker.io",
     "library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
     "", ""},
    {"dbcc1", NULL, "docker.io", "library/dbcc1", "", ""},
    /* TestNormalizedSplitHostname */
    {"test.com/foo", NULL, "test.com", "foo", "", ""},
    {"test_com/foo", NULL, "docker.io", "test_com/foo", "", ""},
    {"docker/migrator", NULL, "docker.io", "docker/migrator", "", ""},
    {"test.com:8080/foo", NULL, "test.com:8080", "foo", "", ""},
    {"test-com:8080/foo", NULL, "test-com:8080", "foo", "", ""},
    {"foo", NULL, "docker.io", "library/foo", "", ""},
    {"xn--n3h.com/foo", NULL, "xn--n3h.com", "foo", "", ""},
    {"xn--n3h.com:18080/foo", NULL, "xn--n3h.com:18080", "foo", "", ""},
    {"docker.io/foo", NULL, "docker.io", "library/foo", "", ""},
    {"docker.io/library/foo", NULL, "docker.io", "library/foo", "", ""},
    {"docker.io/library/foo/bar", NULL, "docker.io", "library/foo/bar", "", ""},
    /* TestMatch (references) */
    {"foo", NULL, "docker.io", "library/foo", "", ""},
    {"foo/any/bat", NULL, "docker.io", "foo/any/bat", "", ""},
    {"foo/a/bar", NULL, "docker.io", "foo/a/bar", "", ""},
    {"foo/b/baz", NULL, "docker.io", "foo/b/baz", "", ""},
    {"foo/c/baz:tag", NULL, "docker.io", "foo/c/baz", "tag", ""},
    {"example.com/foo/c/baz:tag", NULL, "example.com", "foo/c/baz", "tag", ""},
};

/* normalize_test.go TestParseRepositoryInfo: FamiliarName, FullName and
 * AmbiguousName of each case parse to its Domain and RemoteName. */
static const struct case_repo_info upstream_repository_info_cases[] = {
    {"fooo/bar", "docker.io", "fooo/bar", "docker.io/fooo/bar"},
    {"docker.io/fooo/bar", "docker.io", "fooo/bar", "docker.io/fooo/bar"},
    {"index.docker.io/fooo/bar", "docker.io", "fooo/bar", "docker.io/fooo/bar"},
    {"ubuntu", "docker.io", "library/ubuntu", "docker.io/library/ubuntu"},
    {"docker.io/library/ubuntu", "docker.io", "library/ubuntu",
     "docker.io/library/ubuntu"},
    {"library/ubuntu", "docker.io", "library/ubuntu",
     "docker.io/library/ubuntu"},
    {"nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu",
     "docker.io/nonlibrary/ubuntu"},
    {"docker.io/nonlibrary/ubuntu", "docker.io", "nonlibrary/ubuntu",
     "docker.io/nonlibrary/ubuntu"},
    {"other/library", "docker.io", "other/library", "docker.io/other/library"},
    {"docker.io/other/library", "docker.io", "other/library",
     "docker.io/other/library"},
    {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase",
     "127.0.0.1:8000/private/moonbase"},
    {"127.0.0.1:8000/private/moonbase", "127.0.0.1:8000", "private/moonbase",
     "127.0.0.1:8000/private/moonbase"},
    {"127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase",
     "127.0.0.1:8000/privatebase"},
    {"127.0.0.1:8000/privatebase", "127.0.0.1:8000", "privatebase",
     "127.0.0.1:8000/privatebase"},
    {"example.com/private/moonbase", "example.com", "private/moonbase",
     "example.com/private/moonbase"},
    {"example.com/private/moonbase", "example.com", "private/moonbase",
     "example.com/private/moonbase"},
    {"example.com/privatebase", "example.com", "privatebase",
     "example.com/privatebase"},
    {"example.com/privatebase", "example.com", "privatebase",
     "example.com/privatebase"},
    {"example.com:8000/private/moonbase", "example.com:8000",
     "private/moonbase", "example.com:8000/private/moonbase"},
    {"example.com:8000/private/moonbase", "example.com:8000",
     "private/moonbase", "example.com:8000/private/moonbase"},
    {"example.com:8000/privatebasee", "example.com:8000", "privatebasee",
     "example.com:8000/privatebasee"},
    {"example.com:8000/privatebasee", "example.com:8000", "privatebasee",
     "example.com:8000/privatebasee"},
    {"ubuntu-12.04-base", "docker.io", "library/ubuntu-12.04-base",
     "docker.io/library/ubuntu-12.04-base"},
    {"docker.io/library/ubuntu-12.04-base", "docker.io",
     "library/ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base"},
    {"index.docker.io/library/ubuntu-12.04-base", "docker.io",
     "library/ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base"},
    {"foo", "docker.io", "library/foo", "docker.io/library/foo"},
    {"docker.io/library/foo", "docker.io", "library/foo",
     "docker.io/library/foo"},
    {"docker.io/foo", "docker.io", "library/foo", "docker.io/library/foo"},
    {"library/foo/bar", "docker.io", "library/foo/bar",
     "docker.io/library/foo/bar"},
    {"docker.io/library/foo/bar", "docker.io", "library/foo/bar",
     "docker.io/library/foo/bar"},
    {"store/foo/bar", "docker.io", "store/foo/bar", "docker.io/store/foo/bar"},
    {"docker.io/store/foo/bar", "docker.io", "store/foo/bar",
     "docker.io/store/foo/bar"},
    {"Foo/bar", "Foo", "bar", "Foo/bar"},
    {"Foo/bar", "Foo", "bar", "Foo/bar"},
    {"FOO/bar", "FOO", "bar", "FOO/bar"},
    {"FOO/bar", "FOO", "bar", "FOO/bar"},
};

/* normalize_test.go TestParseDockerRef. */
static const struct case_docker_ref upstream_docker_ref_cases[] = {
    {"busybox", "docker.io/library/busybox:latest"},
    {"busybox:latest", "docker.io/library/busybox:latest"},
    {"busybox@sha256:"
     "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
     "docker.io/library/"
     "busybox@sha256:"
     "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"},
    {"library/busybox", "docker.io/library/busybox:latest"},
    {"docker.io/busybox", "docker.io/library/busybox:latest"},
    {"docker.io/library/busybox", "docker.io/library/busybox:latest"},
    {"docker.io/busybox:latest", "docker.io/library/busybox:latest"},
    {"library/busybox:latest", "docker.io/library/busybox:latest"},
    {"docker.io/library/busybox:latest", "docker.io/library/busybox:latest"},
    {"gcr.io/library/busybox", "gcr.io/library/busybox:latest"},
    {"gcr.io/library/"
     "busybox:latest@sha256:"
     "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582",
     "gcr.io/library/"
     "busybox@sha256:"
     "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582"},
};

/* regexp_test.go TestDomainRegexp: anchored domainAndPort. */
static const struct case_match upstream_domain_regexp_cases[] = {
    {"test.com", 1},
    {"test.com:10304", 1},
    {"test.com:http", 0},
    {"localhost", 1},
    {"localhost:8080", 1},
    {"a", 1},
    {"a.b", 1},
    {"ab.cd.com", 1},
    {"a-b.com", 1},
    {"-ab.com", 0},
    {"ab-.com", 0},
    {"ab.c-om", 1},
    {"ab.-com", 0},
    {"ab.com-", 0},
    {"0101.com", 1},
    {"001a.com", 1},
    {"b.gbc.io:443", 1},
    {"b.gbc.io", 1},
    {"xn--n3h.com", 1},
    {"Asdf.com", 1},
    {"192.168.1.1:75050", 1},
    {"192.168.1.1:750050", 1},
    {"[fd00:1:2::3]:75050", 1},
    {"[fd00:1:2::3]75050", 0},
    {"[fd00:1:2::3]::75050", 0},
    {"[fd00:1:2::3%eth0]:75050", 0},
    {"[fd00123123123]:75050", 1},
    {"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:75050", 1},
    {"[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:750505", 1},
    {"fd00:1:2::3:75050", 0},
};

/* regexp_test.go TestIdentifierRegexp: anchored identifier. */
static const struct case_match upstream_identifier_regexp_cases[] = {
    {"da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821", 1},
    {"7EC43B381E5AEFE6E04EFB0B3F0693FF2A4A50652D64AEC573905F2DB5889A1C", 0},
    {"da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf", 0},
    {"sha256:da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf9821",
     0},
    {"da304e823d8ca2b9d863a3c897baeb852ba21ea9a9f1414736394ae7fcaf98218482", 0},
};

/* regexp_test.go TestFullNameRegexp: anchoredNameRegexp and its groups
 * (domain, path; NULL where upstream does not check them). */
static const struct case_name_regexp upstream_full_name_regexp_cases[] = {
    {"", 0, NULL, NULL},
    {"short", 1, "", "short"},
    {"simple/name", 1, "simple", "name"},
    {"library/ubuntu", 1, "library", "ubuntu"},
    {"docker/stevvooe/app", 1, "docker", "stevvooe/app"},
    {"aa/aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb", 1, "aa",
     "aa/aa/aa/aa/aa/aa/aa/aa/bb/bb/bb/bb/bb/bb"},
    {"aa/aa/bb/bb/bb", 1, "aa", "aa/bb/bb/bb"},
    {"a/a/a/a", 1, "a", "a/a/a"},
    {"a/a/a/a/", 0, NULL, NULL},
    {"a//a/a", 0, NULL, NULL},
    {"a", 1, "", "a"},
    {"a/aa", 1, "a", "aa"},
    {"a/aa/a", 1, "a", "aa/a"},
    {"foo.com", 1, "", "foo.com"},
    {"foo.com/", 0, NULL, NULL},
    {"foo.com:8080/bar", 1, "foo.com:8080", "bar"},
    {"foo.com:http/bar", 0, NULL, NULL},
    {"foo.com/bar", 1, "foo.com", "bar"},
    {"foo.com/bar/baz", 1, "foo.com", "bar/baz"},
    {"localhost:8080/bar", 1, "localhost:8080", "bar"},
    {"sub-dom1.foo.com/bar/baz/quux", 1, "sub-dom1.foo.com", "bar/baz/quux"},
    {"blog.foo.com/bar/baz", 1, "blog.foo.com", "bar/baz"},
    {"a^a", 0, NULL, NULL},
    {"aa/asdf$$^/aa", 0, NULL, NULL},
    {"asdf$$^/aa", 0, NULL, NULL},
    {"aa-a/a", 1, "aa-a", "a"},
    {"a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a",
     1, "a",
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/"
     "a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a"},
    {"a-/a/a/a", 0, NULL, NULL},
    {"foo.com/a-/a/a", 0, NULL, NULL},
    {"-foo/bar", 0, NULL, NULL},
    {"foo/bar-", 0, NULL, NULL},
    {"foo-/bar", 0, NULL, NULL},
    {"foo/-bar", 0, NULL, NULL},
    {"_foo/bar", 0, NULL, NULL},
    {"foo_bar", 1, "", "foo_bar"},
    {"foo_bar.com", 1, "", "foo_bar.com"},
    {"foo_bar.com:8080", 0, NULL, NULL},
    {"foo_bar.com:8080/app", 0, NULL, NULL},
    {"foo.com/foo_bar", 1, "foo.com", "foo_bar"},
    {"____/____", 0, NULL, NULL},
    {"_docker/_docker", 0, NULL, NULL},
    {"docker_/docker_", 0, NULL, NULL},
    {"b.gcr.io/test.example.com/my-app", 1, "b.gcr.io",
     "test.example.com/my-app"},
    {"xn--n3h.com/myimage", 1, "xn--n3h.com", "myimage"},
    {"xn--7o8h.com/myimage", 1, "xn--7o8h.com", "myimage"},
    {"example.com/xn--7o8h.com/myimage", 1, "example.com",
     "xn--7o8h.com/myimage"},
    {"example.com/some_separator__underscore/myimage", 1, "example.com",
     "some_separator__underscore/myimage"},
    {"example.com/__underscore/myimage", 0, NULL, NULL},
    {"example.com/..dots/myimage", 0, NULL, NULL},
    {"example.com/.dots/myimage", 0, NULL, NULL},
    {"example.com/nodouble..dots/myimage", 0, NULL, NULL},
    {"example.com/nodouble..dots/myimage", 0, NULL, NULL},
    {"docker./docker", 0, NULL, NULL},
    {".docker/docker", 0, NULL, NULL},
    {"docker-/docker", 0, NULL, NULL},
    {"-docker/docker", 0, NULL, NULL},
    {"do..cker/docker", 0, NULL, NULL},
    {"do__cker:8080/docker", 0, NULL, NULL},
    {"do__cker/docker", 1, "", "do__cker/docker"},
    {"b.gcr.io/test.example.com/my-app", 1, "b.gcr.io",
     "test.example.com/my-app"},
    {"registry.io/foo/project--id.module--name.ver---sion--name", 1,
     "registry.io", "foo/project--id.module--name.ver---sion--name"},
    {"Asdf.com/foo/bar", 1, NULL, NULL},
    {"Foo/FarB", 0, NULL, NULL},
};

/* regexp_test.go TestReferenceRegexp: ReferenceRegexp and its groups
 * (name, tag, digest). */
static const struct case_reference_regexp upstream_reference_regexp_cases[] = {
    {"registry.com:8080/myapp:tag", 1, "registry.com:8080/myapp", "tag", ""},
    {"registry.com:8080/"
     "myapp@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     1, "registry.com:8080/myapp", "",
     "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"},
    {"registry.com:8080/"
     "myapp:tag2@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     1, "registry.com:8080/myapp", "tag2",
     "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"},
    {"registry.com:8080/myapp@sha256:badbadbadbad", 0, NULL, NULL, NULL},
    {"registry.com:8080/myapp:invalid~tag", 0, NULL, NULL, NULL},
    {"bad_hostname.com:8080/myapp:tag", 0, NULL, NULL, NULL},
    {"localhost:8080@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     1, "localhost", "8080",
     "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"},
    {"localhost:8080/"
     "name@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     1, "localhost:8080/name", "",
     "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"},
    {"localhost:http/"
     "name@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     0, NULL, NULL, NULL},
    {"localhost@sha256:"
     "be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912",
     1, "localhost", "",
     "sha256:be178c0543eb17f5f3043021c9e5fcf30285e557a4fc309cce97ff9ca6182912"},
    {"registry.com:8080/myapp@bad", 0, NULL, NULL, NULL},
    {"registry.com:8080/myapp@2bad", 0, NULL, NULL, NULL},
};

/* kubernetes pkg/util/parsers/parsers_test.go TestParseImageName: repo, tag
 * ("latest" when neither tag nor digest), digest, or a part of the error. */
static const struct case_image_name kubernetes_image_name_cases[] = {
    {"root", "docker.io/library/root", "latest", "", NULL},
    {"root:tag", "docker.io/library/root", "tag", "", NULL},
    {"root@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "docker.io/library/root", "",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL},
    {"user/repo", "docker.io/user/repo", "latest", "", NULL},
    {"user/repo:tag", "docker.io/user/repo", "tag", "", NULL},
    {"user/"
     "repo@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "docker.io/user/repo", "",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL},
    {"url:5000/repo", "url:5000/repo", "latest", "", NULL},
    {"url:5000/repo:tag", "url:5000/repo", "tag", "", NULL},
    {"url:5000/"
     "repo@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "url:5000/repo", "",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL},
    {"url:5000/"
     "repo:latest@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "url:5000/repo", "latest",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL},
    {"ROOT", "", "", "", "must be lowercase"},
    {"http://root", "", "", "", "invalid reference format"},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "", "",
     "", "cannot specify 64-byte hexadecimal strings"},
};
/* Edge cases through imageref_parse, with the verdicts of upstream v0.6.0 code.
 */
static const struct case_ref edge_cases[] = {
    {"[::1]:5000/a", NULL, "[::1]:5000", "a", "", ""},
    {"[::1]/a", NULL, "[::1]", "a", "", ""},
    {"[::1]:5000/a:tag", NULL, "[::1]:5000", "a", "tag", ""},
    {"[::1]:5000/"
     "a@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "[::1]:5000", "a", "",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"[::1]", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[::1]:5000", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[::1]:/a", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[]:5000/a", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[::g]/a", "invalid reference format", NULL, NULL, NULL, NULL},
    {"[::1]:5000:6000/a", "invalid reference format", NULL, NULL, NULL, NULL},
    {"foo:5000", NULL, "docker.io", "library/foo", "5000", ""},
    {"localhost:5000/a", NULL, "localhost:5000", "a", "", ""},
    {"localhost/a", NULL, "localhost", "a", "", ""},
    {"localhost", NULL, "docker.io", "library/localhost", "", ""},
    {"localhost:5000", NULL, "docker.io", "library/localhost", "5000", ""},
    {"localhost:5000/"
     "a:b@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "localhost:5000", "a", "b",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"LOCALHOST/a", NULL, "LOCALHOST", "a", "", ""},
    {"example.com", NULL, "docker.io", "library/example.com", "", ""},
    {"127.0.0.1", NULL, "docker.io", "library/127.0.0.1", "", ""},
    {"docker.io/foo", NULL, "docker.io", "library/foo", "", ""},
    {"docker.io/foo/bar", NULL, "docker.io", "foo/bar", "", ""},
    {"index.docker.io/foo", NULL, "docker.io", "library/foo", "", ""},
    {"index.docker.io/foo/bar", NULL, "docker.io", "foo/bar", "", ""},
    {"docker.io:443/foo", NULL, "docker.io:443", "foo", "", ""},
    {"Docker.io/foo", NULL, "Docker.io", "foo", "", ""},
    {"a_b.com/x", NULL, "", "a_b.com/x", "", ""},
    {"a_b.com:5000/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"-a.com/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"a-.com/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"a..com/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"Foo/bar", NULL, "Foo", "bar", "", ""},
    {"FOO/bar:tag", NULL, "FOO", "bar", "tag", ""},
    {"Foo/Bar",
     "invalid reference format: repository name (Bar) must be lowercase", NULL,
     NULL, NULL, NULL},
    {"foo/Bar",
     "invalid reference format: repository name (foo/Bar) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"fOO/bar/baz", NULL, "fOO", "bar/baz", "", ""},
    {"Example.COM:5000/x", NULL, "Example.COM:5000", "x", "", ""},
    {"x:TAG", NULL, "docker.io", "library/x", "TAG", ""},
    {"x@SHA256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "invalid reference format: repository name (library/x@SHA256) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"X@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "invalid reference format: repository name (library/X@sha256) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL, "docker.io",
     "library/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "", ""},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"x.io/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL, "x.io",
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "", ""},
    {"x.io/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"org/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     NULL, "docker.io",
     "org/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "", ""},
    {"org/"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "repository name must not be more than 255 characters", NULL, NULL, NULL,
     NULL},
    {"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddd.io/x",
     NULL,
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
     "dddddddd.io",
     "x", "", ""},
    {"x:"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     NULL, "docker.io", "library/x",
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     ""},
    {"x:"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "tttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"x:"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "tttttttttttttttttttttttttttttttttttttttttttttttttttttt.",
     NULL, "docker.io", "library/x",
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "tttttttttttttttttttttttttttttttttttttttttttttttttttttt.",
     ""},
    {"x:1.0@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "docker.io", "library/x", "1.0",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"x:latest@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "docker.io", "library/x", "latest",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"x@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "docker.io", "library/x", "",
     "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    {"x@sha384:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaa",
     NULL, "docker.io", "library/x", "",
     "sha384:"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaa"},
    {"x@sha512:"
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
     NULL, "docker.io", "library/x", "",
     "sha512:"
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
     "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"},
    {"x@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
     "invalid checksum digest length", NULL, NULL, NULL, NULL},
    {"x@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8550",
     "invalid checksum digest length", NULL, NULL, NULL, NULL},
    {"x@sha256:"
     "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "invalid checksum digest format", NULL, NULL, NULL, NULL},
    {"x@md5:00000000000000000000000000000000", "unsupported digest algorithm",
     NULL, NULL, NULL, NULL},
    {"x@sha256:0000000000000000000000000000000", "invalid reference format",
     NULL, NULL, NULL, NULL},
    {"x@sha256+b64:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "unsupported digest algorithm", NULL, NULL, NULL, NULL},
    {"x@Sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "invalid reference format: repository name (library/x@Sha256) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x@sha256.x:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "unsupported digest algorithm", NULL, NULL, NULL, NULL},
    {"x@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "invalid reference format", NULL, NULL, NULL, NULL},
    {"x:-tag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x:_tag", NULL, "docker.io", "library/x", "_tag", ""},
    {"x:.tag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x:tag:tag", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x:", "invalid reference format", NULL, NULL, NULL, NULL},
    {":", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x@", "invalid reference format", NULL, NULL, NULL, NULL},
    {"@", "invalid reference format", NULL, NULL, NULL, NULL},
    {"", "invalid reference format", NULL, NULL, NULL, NULL},
    {"/", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/", "invalid reference format", NULL, NULL, NULL, NULL},
    {"/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x//y", "invalid reference format", NULL, NULL, NULL, NULL},
    {"a__b", NULL, "docker.io", "library/a__b", "", ""},
    {"a___b", "invalid reference format", NULL, NULL, NULL, NULL},
    {"a.-b", "invalid reference format", NULL, NULL, NULL, NULL},
    {"a--b", NULL, "docker.io", "library/a--b", "", ""},
    {"a.b.c", NULL, "docker.io", "library/a.b.c", "", ""},
    {"a_b_c", NULL, "docker.io", "library/a_b_c", "", ""},
    {" x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x ", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x\x0a", "invalid reference format", NULL, NULL, NULL, NULL},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "invalid repository name "
     "(e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855), "
     "cannot specify 64-byte hexadecimal strings",
     NULL, NULL, NULL, NULL},
    {"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
     "invalid reference format: repository name "
     "(library/"
     "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855) must "
     "be lowercase",
     NULL, NULL, NULL, NULL},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", NULL,
     "docker.io",
     "library/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
     "", ""},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855a", NULL,
     "docker.io",
     "library/"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855a",
     "", ""},
    {"docker.io/"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     NULL, "docker.io",
     "library/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "", ""},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:tag",
     NULL, "docker.io",
     "library/e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "tag", ""},
    {"nginx\xff",
     "invalid reference format: repository name (library/nginx\xff) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"\xff/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xff",
     "invalid reference format: repository name (x/\xff) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"ng\xc3\xafnx", "invalid reference format", NULL, NULL, NULL, NULL},
    {"\xc3\x9cnicode/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"\xc3\xa9/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"\xe2\x84\xaa/x", "repository name must be lowercase", NULL, NULL, NULL,
     NULL},
    {"x:\xe2\x84\xaa", "repository name must be lowercase", NULL, NULL, NULL,
     NULL},
    {"\xc4\xb0/x", "repository name must be lowercase", NULL, NULL, NULL, NULL},
    {"x/\xe2\x84\xaa",
     "invalid reference format: repository name (x/\xe2\x84\xaa) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"\xef\xbf\xbd/x", "invalid reference format", NULL, NULL, NULL, NULL},
    {"\xed\xa0\x80/x", "invalid reference format", NULL, NULL, NULL, NULL},
    /* UTF-8 as Go decodes it: overlong, surrogate, too high, cut short */
    {"x/\xe0\x80\x80",
     "invalid reference format: repository name (x/\xe0\x80\x80) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xed\xa0\x80",
     "invalid reference format: repository name (x/\xed\xa0\x80) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xf4\x90\x80\x80",
     "invalid reference format: repository name (x/\xf4\x90\x80\x80) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xf0\x80\x80\x80",
     "invalid reference format: repository name (x/\xf0\x80\x80\x80) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xc3",
     "invalid reference format: repository name (x/\xc3) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xc0\x80",
     "invalid reference format: repository name (x/\xc0\x80) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xe2\x84",
     "invalid reference format: repository name (x/\xe2\x84) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xf4\x8f\xbf\xbf", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xc3\xa9", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xc3\x89",
     "invalid reference format: repository name (x/\xc3\x89) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xe3\x81"
     "a",
     "invalid reference format: repository name (x/\xe3\x81"
     "a) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xf0\x9f\x90"
     "a",
     "invalid reference format: repository name (x/\xf0\x9f\x90"
     "a) must be lowercase",
     NULL, NULL, NULL, NULL},
    /* Unicode letters: only those with a lower-case mapping count as upper */
    {"x/\xc4\x80",
     "invalid reference format: repository name (x/\xc4\x80) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xc4\x81", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xc5\xb8",
     "invalid reference format: repository name (x/\xc5\xb8) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xc3\xbf", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xce\xa3",
     "invalid reference format: repository name (x/\xce\xa3) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xcf\x83", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xd0\x80",
     "invalid reference format: repository name (x/\xd0\x80) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xd1\x90", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xf0\x90\x90\x80",
     "invalid reference format: repository name (x/\xf0\x90\x90\x80) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xf0\x90\x90\xa8", "invalid reference format", NULL, NULL, NULL, NULL},
    {"x/\xe1\xba\x9e",
     "invalid reference format: repository name (x/\xe1\xba\x9e) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xc7\x85",
     "invalid reference format: repository name (x/\xc7\x85) must be lowercase",
     NULL, NULL, NULL, NULL},
    {"x/\xef\xbc\xa1",
     "invalid reference format: repository name (x/\xef\xbc\xa1) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
    /* U+10570 (Unicode 14): upper case in Go 1.21 and later */
    {"x/\xf0\x90\x95\xb0",
     "invalid reference format: repository name (x/\xf0\x90\x95\xb0) must be "
     "lowercase",
     NULL, NULL, NULL, NULL},
};
/* imageref_default_pull_policy: SetDefaults_Container over ParseImageName. */
static const struct case_policy pull_policy_cases[] = {
    {"nginx", "Always"},
    {"nginx:latest", "Always"},
    {"nginx:1.25", "IfNotPresent"},
    {"nginx@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "IfNotPresent"},
    {"nginx:latest@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "Always"},
    {"nginx:1.0@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "IfNotPresent"},
    {"NGINX", "IfNotPresent"},
    {"", "IfNotPresent"},
    {"nginx:LATEST", "IfNotPresent"},
    {"nginx:Latest", "IfNotPresent"},
    {"localhost:5000/a", "Always"},
    {"localhost:5000/a:latest", "Always"},
    {"foo:5000", "IfNotPresent"},
    {"[::1]:5000/a", "Always"},
    {"[::1]:5000/a:v1", "IfNotPresent"},
    {"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
     "IfNotPresent"},
    {"nginx:", "IfNotPresent"},
    {"nginx@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
     "IfNotPresent"},
    {"nginx:latest@sha256:"
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
     "IfNotPresent"},
    {"registry.example.com/team/app", "Always"},
    {"registry.example.com:443/team/app:latest", "Always"},
    {"Foo/bar", "Always"},
    {"foo/Bar", "IfNotPresent"},
    {"docker.io/library/nginx", "Always"},
    {"index.docker.io/nginx:stable", "IfNotPresent"},
    {"x:"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     "IfNotPresent"},
    {"x:"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "tttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     "IfNotPresent"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "Always"},
    {"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
     "IfNotPresent"},
};

/*
 * Own cases for the productions, next to regexp_test.go's; the first of the
 * tag and digest tables are normalize_test.go TestInvalidReferenceComponents'
 * WithTag(ref, "-foo") and WithDigest(ref, "foo").
 */
static const struct case_match rule_tag_cases[] = {
    {"-foo", 0},
    {"a", 1},
    {"_", 1},
    {"0", 1},
    {"-a", 0},
    {".a", 0},
    {"a-._B9", 1},
    {"a~", 0},
    {"", 0},
    {"ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "ttttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     1},
    {"ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt"
     "tttttttttttttttttttttttttttttttttttttttttttttttttttttttttt",
     0},
};

static const struct case_match rule_digest_cases[] = {
    {"foo", 0},
    {"sha256:00000000000000000000000000000000", 1},
    {"sha256:0000000000000000000000000000000", 0},
    {"SHA256:ABCDEFABCDEFABCDEFABCDEFABCDEFAB", 1},
    {"a+b.c-d_e:00000000000000000000000000000000", 1},
    {"a++b:00000000000000000000000000000000", 0},
    {"9a:00000000000000000000000000000000", 0},
    {"a9:00000000000000000000000000000000", 1},
    {"a-:00000000000000000000000000000000", 0},
    {":00000000000000000000000000000000", 0},
    {"sha256:0000000000000000000000000000000g", 0},
    {"sha256:00000000000000000000000000000000:", 0},
};

static const struct case_match rule_domain_cases[] = {
    {"[::1]", 1},  {"[::1]:5000", 1}, {"[]", 0},        {"[::1", 0},
    {"[::1]:", 0}, {"[::1]x", 0},     {"a:", 0},        {":5000", 0},
    {"a..b", 0},   {"a.b.", 0},       {".a", 0},        {"a_b", 0},
    {"a--b", 1},   {"a:1:2", 0},      {"localhost", 1}, {"", 0},
};

/* Fail with the input named unless got equals want. */
static void expect_str(const char *input, const char *what, const char *want,
                       const char *got)
{
    if (strcmp(want, got) != 0)
        fail_msg("%s: %s is \"%s\", want \"%s\"", input, what, got, want);
}

static void expect_int(const char *input, const char *what, int want, int got)
{
    if (want != got)
        fail_msg("%s: %s is %d, want %d", input, what, got, want);
}

/* An error message as struct err holds it: cut to its buffer. */
static void expect_err(const char *input, const char *want,
                       const struct err *err)
{
    char cut[sizeof(err->msg)];
    size_t n = strlen(want);

    if (n >= sizeof(cut))
        n = sizeof(cut) - 1;
    memcpy(cut, want, n);
    cut[n] = '\0';
    expect_str(input, "error", cut, err->msg);
}

static void expect_case(const struct case_ref *c, int rc,
                        const struct imageref *ref, const struct err *err)
{
    if (c->err != NULL) {
        expect_int(c->input, "return", -1, rc);
        expect_err(c->input, c->err, err);
        return;
    }
    if (rc != 0)
        fail_msg("%s: unexpected error \"%s\"", c->input, err->msg);
    expect_str(c->input, "domain", c->domain, ref->domain);
    expect_str(c->input, "path", c->path, ref->path);
    expect_str(c->input, "tag", c->tag, ref->tag);
    expect_str(c->input, "digest", c->digest, ref->digest);
}

/* The reference's String(): [domain/]path[:tag][@digest]. */
static void ref_string(const struct imageref *ref, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s%s%s%s%s%s%s", ref->domain,
                     ref->domain[0] != '\0' ? "/" : "", ref->path,
                     ref->tag[0] != '\0' ? ":" : "", ref->tag,
                     ref->digest[0] != '\0' ? "@" : "", ref->digest);

    assert_true(n >= 0 && (size_t)n < size);
}

/* The reference's Name(): [domain/]path. */
static void ref_name(const struct imageref *ref, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s%s%s", ref->domain,
                     ref->domain[0] != '\0' ? "/" : "", ref->path);

    assert_true(n >= 0 && (size_t)n < size);
}

static void run_cases(const struct case_ref *cases, size_t n, int normalized)
{
    size_t i;

    for (i = 0; i < n; i++) {
        struct imageref ref;
        struct err err = {{0}};
        int rc = normalized ? imageref_parse(cases[i].input, &ref, &err)
                            : imageref_parse_plain(cases[i].input, &ref, &err);

        expect_case(&cases[i], rc, &ref, &err);
    }
}

static void test_imageref_upstream_parse(void **state)
{
    size_t i;

    (void)state;
    run_cases(upstream_parse_cases, N_ELEMS(upstream_parse_cases), 0);
    /* Upstream also checks that String() gives the input back. */
    for (i = 0; i < N_ELEMS(upstream_parse_cases); i++) {
        const struct case_ref *c = &upstream_parse_cases[i];
        struct imageref ref;
        char s[IMAGEREF_INPUT_MAX * 4];

        if (c->err != NULL)
            continue;
        assert_int_equal(imageref_parse_plain(c->input, &ref, NULL), 0);
        ref_string(&ref, s, sizeof(s));
        expect_str(c->input, "String()", c->input, s);
    }
}

static void test_imageref_upstream_parse_normalized(void **state)
{
    (void)state;
    run_cases(upstream_parse_normalized_cases,
              N_ELEMS(upstream_parse_normalized_cases), 1);
}

/* Go's WithName: the anchored name grammar, then the path length. */
static int with_name(const char *s, struct imageref *ref, struct err *err)
{
    if (!imageref_match(IMAGEREF_RULE_NAME, s))
        return err_set(err, "invalid reference format");
    return imageref_parse_plain(s, ref, err);
}

static void test_imageref_upstream_with_name(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_with_name_cases); i++) {
        const struct case_ref *c = &upstream_with_name_cases[i];
        struct imageref ref;
        struct err err = {{0}};

        expect_case(c, with_name(c->input, &ref, &err), &ref, &err);
    }
}

static void test_imageref_upstream_with_tag_and_digest(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_with_cases); i++) {
        const struct case_with *c = &upstream_with_cases[i];
        struct imageref ref;
        struct err err = {{0}};
        char s[512];
        int rc;

        expect_int(c->name, "name match", 1,
                   imageref_match(IMAGEREF_RULE_NAME, c->name));
        if (c->tag[0] != '\0')
            expect_int(c->tag, "tag match", 1,
                       imageref_match(IMAGEREF_RULE_TAG, c->tag));
        if (c->digest[0] != '\0')
            expect_int(c->digest, "digest match", 1,
                       imageref_match(IMAGEREF_RULE_DIGEST, c->digest));
        assert_true(imageref_parse_plain(c->name, &ref, NULL) == 0);
        assert_true(strlen(c->tag) < sizeof(ref.tag) &&
                    strlen(c->digest) < sizeof(ref.digest));
        memcpy(ref.tag, c->tag, strlen(c->tag) + 1);
        memcpy(ref.digest, c->digest, strlen(c->digest) + 1);
        ref_string(&ref, s, sizeof(s));
        expect_str(c->name, "combined", c->combined, s);

        rc = imageref_parse_plain(c->combined, &ref, &err);
        if (c->parse_err != NULL) {
            expect_int(c->combined, "return", -1, rc);
            expect_err(c->combined, c->parse_err, &err);
        } else {
            expect_int(c->combined, "return", 0, rc);
            expect_str(c->combined, "tag", c->tag, ref.tag);
            expect_str(c->combined, "digest", c->digest, ref.digest);
        }
    }
}

/* Go's ParseNamed: ParseNormalizedNamed, and the input must be canonical. */
static int parse_named(const char *s, struct imageref *ref, struct err *err)
{
    char canonical[IMAGEREF_INPUT_MAX * 4];

    if (imageref_parse(s, ref, err) != 0)
        return -1;
    ref_string(ref, canonical, sizeof(canonical));
    if (strcmp(canonical, s) != 0)
        return err_set(err, "repository name must be canonical");
    return 0;
}

static void test_imageref_upstream_parse_named(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_parse_named_cases); i++) {
        const struct case_ref *c = &upstream_parse_named_cases[i];
        struct imageref ref;
        struct err err = {{0}};

        expect_case(c, parse_named(c->input, &ref, &err), &ref, &err);
    }
}

static void test_imageref_upstream_normalize(void **state)
{
    (void)state;
    run_cases(upstream_normalize_cases, N_ELEMS(upstream_normalize_cases), 1);
}

static void test_imageref_upstream_repository_info(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_repository_info_cases); i++) {
        const struct case_repo_info *c = &upstream_repository_info_cases[i];
        struct imageref ref;
        struct err err = {{0}};
        char full[IMAGEREF_INPUT_MAX * 4];

        if (imageref_parse(c->input, &ref, &err) != 0)
            fail_msg("%s: unexpected error \"%s\"", c->input, err.msg);
        expect_str(c->input, "domain", c->domain, ref.domain);
        expect_str(c->input, "path", c->path, ref.path);
        ref_string(&ref, full, sizeof(full));
        expect_str(c->input, "full name", c->full_name, full);
    }
}

/*
 * Go's ParseDockerRef: a reference with tag and digest keeps the digest, one
 * with neither gets the tag "latest".
 */
static void test_imageref_upstream_parse_docker_ref(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_docker_ref_cases); i++) {
        const struct case_docker_ref *c = &upstream_docker_ref_cases[i];
        struct imageref ref;
        struct err err = {{0}};
        char s[IMAGEREF_INPUT_MAX * 4];

        if (imageref_parse(c->input, &ref, &err) != 0)
            fail_msg("%s: unexpected error \"%s\"", c->input, err.msg);
        if (ref.digest[0] != '\0')
            ref.tag[0] = '\0';
        else if (ref.tag[0] == '\0')
            memcpy(ref.tag, "latest", sizeof("latest"));
        ref_string(&ref, s, sizeof(s));
        expect_str(c->input, "reference", c->expected, s);
    }
}

static void run_match(enum imageref_rule rule, const struct case_match *cases,
                      size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        expect_int(cases[i].input, "match", cases[i].match,
                   imageref_match(rule, cases[i].input));
}

static void test_imageref_upstream_domain_regexp(void **state)
{
    (void)state;
    run_match(IMAGEREF_RULE_DOMAIN, upstream_domain_regexp_cases,
              N_ELEMS(upstream_domain_regexp_cases));
}

static void test_imageref_upstream_identifier_regexp(void **state)
{
    (void)state;
    run_match(IMAGEREF_RULE_IDENTIFIER, upstream_identifier_regexp_cases,
              N_ELEMS(upstream_identifier_regexp_cases));
}

/* The groups are read back through Parse: a name alone is a reference. */
static void test_imageref_upstream_full_name_regexp(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_full_name_regexp_cases); i++) {
        const struct case_name_regexp *c = &upstream_full_name_regexp_cases[i];
        struct imageref ref;
        struct err err = {{0}};

        expect_int(c->input, "match", c->match,
                   imageref_match(IMAGEREF_RULE_NAME, c->input));
        if (c->domain == NULL)
            continue;
        if (imageref_parse_plain(c->input, &ref, &err) != 0)
            fail_msg("%s: unexpected error \"%s\"", c->input, err.msg);
        expect_str(c->input, "domain", c->domain, ref.domain);
        expect_str(c->input, "path", c->path, ref.path);
        expect_str(c->input, "tag", "", ref.tag);
        expect_str(c->input, "digest", "", ref.digest);
    }
}

static void test_imageref_upstream_reference_regexp(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(upstream_reference_regexp_cases); i++) {
        const struct case_reference_regexp *c =
            &upstream_reference_regexp_cases[i];
        struct imageref ref;
        struct err err = {{0}};
        char name[IMAGEREF_INPUT_MAX * 4];

        expect_int(c->input, "match", c->match,
                   imageref_match(IMAGEREF_RULE_REFERENCE, c->input));
        if (c->name == NULL)
            continue;
        if (imageref_parse_plain(c->input, &ref, &err) != 0)
            fail_msg("%s: unexpected error \"%s\"", c->input, err.msg);
        ref_name(&ref, name, sizeof(name));
        expect_str(c->input, "name", c->name, name);
        expect_str(c->input, "tag", c->tag, ref.tag);
        expect_str(c->input, "digest", c->digest, ref.digest);
    }
}

/* Kubernetes' parsers.ParseImageName over imageref_parse. */
static void test_imageref_kubernetes_parse_image_name(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(kubernetes_image_name_cases); i++) {
        const struct case_image_name *c = &kubernetes_image_name_cases[i];
        struct imageref ref;
        struct err err = {{0}};
        char repo[IMAGEREF_INPUT_MAX * 4];
        int rc = imageref_parse(c->input, &ref, &err);

        if (c->err_part != NULL) {
            expect_int(c->input, "return", -1, rc);
            if (strstr(err.msg, c->err_part) == NULL)
                fail_msg("%s: error \"%s\" lacks \"%s\"", c->input, err.msg,
                         c->err_part);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: unexpected error \"%s\"", c->input, err.msg);
        ref_name(&ref, repo, sizeof(repo));
        if (ref.tag[0] == '\0' && ref.digest[0] == '\0')
            memcpy(ref.tag, "latest", sizeof("latest"));
        expect_str(c->input, "repo", c->repo, repo);
        expect_str(c->input, "tag", c->tag, ref.tag);
        expect_str(c->input, "digest", c->digest, ref.digest);
    }
}

static void test_imageref_edge_cases(void **state)
{
    (void)state;
    run_cases(edge_cases, N_ELEMS(edge_cases), 1);
}

static void test_imageref_rules(void **state)
{
    (void)state;
    run_match(IMAGEREF_RULE_TAG, rule_tag_cases, N_ELEMS(rule_tag_cases));
    run_match(IMAGEREF_RULE_DIGEST, rule_digest_cases,
              N_ELEMS(rule_digest_cases));
    run_match(IMAGEREF_RULE_DOMAIN, rule_domain_cases,
              N_ELEMS(rule_domain_cases));
}

/*
 * Go has no limit (a domain may be as long as it likes); IMAGEREF_INPUT_MAX
 * bytes still parse, one more is refused.
 */
static void test_imageref_input_limit(void **state)
{
    static char s[IMAGEREF_INPUT_MAX + 2];
    static struct imageref ref;
    struct err err = {{0}};
    size_t n = IMAGEREF_INPUT_MAX - 5;

    (void)state;
    memset(s, 'd', n);
    memcpy(s + n, ".io/x", 6);
    assert_int_equal(strlen(s), IMAGEREF_INPUT_MAX);
    assert_int_equal(imageref_parse(s, &ref, &err), 0);
    assert_int_equal(strlen(ref.domain), IMAGEREF_INPUT_MAX - 2);
    assert_string_equal(ref.path, "x");
    assert_string_equal(imageref_default_pull_policy(s), "Always");
    assert_int_equal(imageref_match(IMAGEREF_RULE_NAME, s), 1);

    memset(s, 'd', n + 1);
    memcpy(s + n + 1, ".io/x", 6);
    assert_int_equal(strlen(s), IMAGEREF_INPUT_MAX + 1);
    assert_int_equal(imageref_parse(s, &ref, &err), -1);
    assert_string_equal(err.msg,
                        "invalid reference format: longer than 4096 bytes");
    assert_int_equal(imageref_parse_plain(s, &ref, NULL), -1);
    assert_int_equal(imageref_match(IMAGEREF_RULE_NAME, s), 0);
    assert_string_equal(imageref_default_pull_policy(s), "IfNotPresent");
}

/* NULL is taken as "", and err may be NULL; the first error stays. */
static void test_imageref_null_and_err(void **state)
{
    struct imageref ref;
    struct err err = {{0}};

    (void)state;
    assert_int_equal(imageref_parse(NULL, &ref, &err), -1);
    assert_string_equal(err.msg, "invalid reference format");
    assert_int_equal(imageref_parse_plain(NULL, &ref, NULL), -1);
    assert_int_equal(imageref_match(IMAGEREF_RULE_NAME, NULL), 0);
    assert_string_equal(imageref_default_pull_policy(NULL), "IfNotPresent");
    assert_int_equal(imageref_parse("nginx", &ref, NULL), 0);
    assert_string_equal(ref.path, "library/nginx");

    assert_int_equal(
        imageref_parse("x@md5:00000000000000000000000000000000", &ref, &err),
        -1);
    assert_string_equal(err.msg, "invalid reference format");
}

static void test_imageref_default_pull_policy(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < N_ELEMS(pull_policy_cases); i++)
        expect_str(pull_policy_cases[i].image, "policy",
                   pull_policy_cases[i].policy,
                   imageref_default_pull_policy(pull_policy_cases[i].image));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_imageref_upstream_parse),
        cmocka_unit_test(test_imageref_upstream_parse_normalized),
        cmocka_unit_test(test_imageref_upstream_with_name),
        cmocka_unit_test(test_imageref_upstream_with_tag_and_digest),
        cmocka_unit_test(test_imageref_upstream_parse_named),
        cmocka_unit_test(test_imageref_upstream_normalize),
        cmocka_unit_test(test_imageref_upstream_repository_info),
        cmocka_unit_test(test_imageref_upstream_parse_docker_ref),
        cmocka_unit_test(test_imageref_upstream_domain_regexp),
        cmocka_unit_test(test_imageref_upstream_identifier_regexp),
        cmocka_unit_test(test_imageref_upstream_full_name_regexp),
        cmocka_unit_test(test_imageref_upstream_reference_regexp),
        cmocka_unit_test(test_imageref_kubernetes_parse_image_name),
        cmocka_unit_test(test_imageref_edge_cases),
        cmocka_unit_test(test_imageref_rules),
        cmocka_unit_test(test_imageref_input_limit),
        cmocka_unit_test(test_imageref_null_and_err),
        cmocka_unit_test(test_imageref_default_pull_policy),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
