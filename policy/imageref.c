/* imageref.c - Docker image references, parsed as Kubernetes parses them. */
#include "imageref.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

/*
 * A hand-written matcher for the grammar of distribution/reference v0.6.0
 * (regexp.go), with the checks of Parse, ParseNormalizedNamed and go-digest
 * v1.0.0 after it. Every production is matched on a slice of the input; where
 * Go's leftmost-first regexp could split a string in several ways, the
 * comments say why the split taken here is the one Go takes.
 */

#define IMAGEREF_PATH_MAX 255 /* RepositoryNameTotalLengthMax */
#define IMAGEREF_TAG_MAX  128
/* Room for the input behind the longest prefix normalisation adds. */
#define IMAGEREF_WORK_MAX (IMAGEREF_INPUT_MAX + 32)

static const char imageref_default_domain[] = "docker.io";
static const char imageref_legacy_domain[] = "index.docker.io";
static const char imageref_localhost[] = "localhost";
static const char imageref_official_prefix[] = "library/";

static const char imageref_err_format[] = "invalid reference format";
static const char imageref_err_uppercase[] =
    "repository name must be lowercase";
static const char imageref_err_empty[] =
    "repository name must have at least one component";
static const char imageref_err_too_long[] =
    "repository name must not be more than 255 characters";
static const char imageref_err_digest_format[] =
    "invalid checksum digest format";
static const char imageref_err_digest_length[] =
    "invalid checksum digest length";
static const char imageref_err_digest_unsupported[] =
    "unsupported digest algorithm";

/* A piece of a string: not NUL-terminated. */
struct imageref_span {
    const char *p;
    size_t n;
};

/* The three groups of ReferenceRegexp; n == 0 means "did not take part". */
struct imageref_groups {
    struct imageref_span name;
    struct imageref_span tag;
    struct imageref_span digest;
};

/*
 * Code points above U+007F whose simple lower-case mapping differs from
 * themselves (Unicode 15.0.0, the tables of Go 1.21 and later): lo..hi in
 * steps of step. strings.ToLower(s) != s holds exactly when s has an
 * upper-case ASCII letter, one of these, or a byte that is not UTF-8.
 */
struct imageref_case_run {
    uint32_t lo;
    uint32_t hi;
    uint32_t step;
};

static const struct imageref_case_run imageref_upper_runs[] = {
    {0x00C0, 0x00D6, 1},   {0x00D8, 0x00DE, 1},   {0x0100, 0x0136, 2},
    {0x0139, 0x0147, 2},   {0x014A, 0x0178, 2},   {0x0179, 0x017D, 2},
    {0x0181, 0x0182, 1},   {0x0184, 0x0186, 2},   {0x0187, 0x0189, 2},
    {0x018A, 0x018B, 1},   {0x018E, 0x0191, 1},   {0x0193, 0x0194, 1},
    {0x0196, 0x0198, 1},   {0x019C, 0x019D, 1},   {0x019F, 0x01A0, 1},
    {0x01A2, 0x01A6, 2},   {0x01A7, 0x01A9, 2},   {0x01AC, 0x01AE, 2},
    {0x01AF, 0x01B1, 2},   {0x01B2, 0x01B3, 1},   {0x01B5, 0x01B7, 2},
    {0x01B8, 0x01B8, 1},   {0x01BC, 0x01BC, 1},   {0x01C4, 0x01C5, 1},
    {0x01C7, 0x01C8, 1},   {0x01CA, 0x01CB, 1},   {0x01CD, 0x01DB, 2},
    {0x01DE, 0x01EE, 2},   {0x01F1, 0x01F2, 1},   {0x01F4, 0x01F6, 2},
    {0x01F7, 0x01F8, 1},   {0x01FA, 0x0232, 2},   {0x023A, 0x023B, 1},
    {0x023D, 0x023E, 1},   {0x0241, 0x0243, 2},   {0x0244, 0x0246, 1},
    {0x0248, 0x024E, 2},   {0x0370, 0x0372, 2},   {0x0376, 0x0376, 1},
    {0x037F, 0x037F, 1},   {0x0386, 0x0388, 2},   {0x0389, 0x038A, 1},
    {0x038C, 0x038E, 2},   {0x038F, 0x0391, 2},   {0x0392, 0x03A1, 1},
    {0x03A3, 0x03AB, 1},   {0x03CF, 0x03CF, 1},   {0x03D8, 0x03EE, 2},
    {0x03F4, 0x03F4, 1},   {0x03F7, 0x03F9, 2},   {0x03FA, 0x03FA, 1},
    {0x03FD, 0x042F, 1},   {0x0460, 0x0480, 2},   {0x048A, 0x04C0, 2},
    {0x04C1, 0x04CD, 2},   {0x04D0, 0x052E, 2},   {0x0531, 0x0556, 1},
    {0x10A0, 0x10C5, 1},   {0x10C7, 0x10C7, 1},   {0x10CD, 0x10CD, 1},
    {0x13A0, 0x13F5, 1},   {0x1C90, 0x1CBA, 1},   {0x1CBD, 0x1CBF, 1},
    {0x1E00, 0x1E94, 2},   {0x1E9E, 0x1EFE, 2},   {0x1F08, 0x1F0F, 1},
    {0x1F18, 0x1F1D, 1},   {0x1F28, 0x1F2F, 1},   {0x1F38, 0x1F3F, 1},
    {0x1F48, 0x1F4D, 1},   {0x1F59, 0x1F5F, 2},   {0x1F68, 0x1F6F, 1},
    {0x1F88, 0x1F8F, 1},   {0x1F98, 0x1F9F, 1},   {0x1FA8, 0x1FAF, 1},
    {0x1FB8, 0x1FBC, 1},   {0x1FC8, 0x1FCC, 1},   {0x1FD8, 0x1FDB, 1},
    {0x1FE8, 0x1FEC, 1},   {0x1FF8, 0x1FFC, 1},   {0x2126, 0x2126, 1},
    {0x212A, 0x212B, 1},   {0x2132, 0x2132, 1},   {0x2160, 0x216F, 1},
    {0x2183, 0x2183, 1},   {0x24B6, 0x24CF, 1},   {0x2C00, 0x2C2F, 1},
    {0x2C60, 0x2C62, 2},   {0x2C63, 0x2C64, 1},   {0x2C67, 0x2C6D, 2},
    {0x2C6E, 0x2C70, 1},   {0x2C72, 0x2C72, 1},   {0x2C75, 0x2C75, 1},
    {0x2C7E, 0x2C80, 1},   {0x2C82, 0x2CE2, 2},   {0x2CEB, 0x2CED, 2},
    {0x2CF2, 0x2CF2, 1},   {0xA640, 0xA66C, 2},   {0xA680, 0xA69A, 2},
    {0xA722, 0xA72E, 2},   {0xA732, 0xA76E, 2},   {0xA779, 0xA77D, 2},
    {0xA77E, 0xA786, 2},   {0xA78B, 0xA78D, 2},   {0xA790, 0xA792, 2},
    {0xA796, 0xA7AA, 2},   {0xA7AB, 0xA7AE, 1},   {0xA7B0, 0xA7B4, 1},
    {0xA7B6, 0xA7C4, 2},   {0xA7C5, 0xA7C7, 1},   {0xA7C9, 0xA7C9, 1},
    {0xA7D0, 0xA7D0, 1},   {0xA7D6, 0xA7D8, 2},   {0xA7F5, 0xA7F5, 1},
    {0xFF21, 0xFF3A, 1},   {0x10400, 0x10427, 1}, {0x104B0, 0x104D3, 1},
    {0x10570, 0x1057A, 1}, {0x1057C, 0x1058A, 1}, {0x1058C, 0x10592, 1},
    {0x10594, 0x10595, 1}, {0x10C80, 0x10CB2, 1}, {0x118A0, 0x118BF, 1},
    {0x16E40, 0x16E5F, 1}, {0x1E900, 0x1E921, 1},
};

static bool imageref_is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool imageref_is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool imageref_is_alnum(unsigned char c)
{
    return imageref_is_alpha(c) || imageref_is_digit(c);
}

static bool imageref_is_lower_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || imageref_is_digit(c);
}

static bool imageref_is_lower_hex(unsigned char c)
{
    return (c >= 'a' && c <= 'f') || imageref_is_digit(c);
}

static bool imageref_is_hex(unsigned char c)
{
    return imageref_is_lower_hex(c) || (c >= 'A' && c <= 'F');
}

/* \w in Go's RE2 syntax: ASCII only. */
static bool imageref_is_word(unsigned char c)
{
    return imageref_is_alnum(c) || c == '_';
}

static bool imageref_span_eq(struct imageref_span s, const char *lit)
{
    size_t n = strlen(lit);

    return s.n == n && memcmp(s.p, lit, n) == 0;
}

static const char *imageref_find_last(struct imageref_span s, char c)
{
    const char *found = NULL;
    size_t i;

    for (i = 0; i < s.n; i++)
        if (s.p[i] == c)
            found = s.p + i;
    return found;
}

static bool imageref_rune_has_lower(uint32_t r)
{
    size_t lo = 0;
    size_t hi = sizeof(imageref_upper_runs) / sizeof(imageref_upper_runs[0]);
    bool found = false;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct imageref_case_run *run = &imageref_upper_runs[mid];

        if (r < run->lo) {
            hi = mid;
        } else if (r > run->hi) {
            lo = mid + 1;
        } else {
            found = (r - run->lo) % run->step == 0;
            break;
        }
    }
    return found;
}

/* Go's strings.ToLower(s) != s, without building the lower-case copy. */
static bool imageref_lower_changes(struct imageref_span s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    bool changes = false;

    while (i < s.n && !changes) {
        uint32_t r;
        size_t len = utf8_decode(p + i, s.n - i, &r);

        if (r < 0x80)
            changes = r >= 'A' && r <= 'Z';
        else if (r == 0xFFFD)
            changes = len == 1; /* a bad byte becomes "\uFFFD" */
        else
            changes = imageref_rune_has_lower(r);
        i += len;
    }
    return changes;
}

/*
 * strings.ToLower(s) into buf when the result is all ASCII (only ASCII can
 * match the grammar), and its length; -1 when some rune lowers to something
 * else. Besides A-Z only U+0130 and U+212A lower to ASCII. buf holds s.n
 * bytes: lowering never lengthens these.
 */
static long imageref_lower_ascii(struct imageref_span s, char *buf)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0, out = 0;
    long ret = 0;

    while (i < s.n && ret == 0) {
        uint32_t r;
        size_t len = utf8_decode(p + i, s.n - i, &r);

        if (r >= 'A' && r <= 'Z')
            buf[out++] = (char)(r - 'A' + 'a');
        else if (r < 0x80)
            buf[out++] = (char)r;
        else if (r == 0x130)
            buf[out++] = 'i';
        else if (r == 0x212A)
            buf[out++] = 'k';
        else
            ret = -1;
        i += len;
    }
    return ret == 0 ? (long)out : -1;
}

/* domainNameComponent: [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool imageref_domain_component(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || !imageref_is_alnum((unsigned char)p[0]) ||
        !imageref_is_alnum((unsigned char)p[n - 1]))
        return false;
    for (i = 1; i + 1 < n; i++)
        if (!imageref_is_alnum((unsigned char)p[i]) && p[i] != '-')
            return false;
    return true;
}

/* domainName: components joined by single dots. */
static bool imageref_domain_name(const char *p, size_t n)
{
    size_t start = 0, i;

    for (i = 0; i <= n; i++) {
        if (i == n || p[i] == '.') {
            if (!imageref_domain_component(p + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* optionalPort after the host: nothing, or ':' and one or more digits. */
static bool imageref_optional_port(const char *p, size_t n)
{
    size_t i;

    if (n == 0)
        return true;
    if (p[0] != ':' || n == 1)
        return false;
    for (i = 1; i < n; i++)
        if (!imageref_is_digit((unsigned char)p[i]))
            return false;
    return true;
}

/*
 * domainAndPort: (domainName | \[[a-fA-F0-9:]+\]) (:[0-9]+)?. Neither host
 * form can contain the character that ends it (']' or ':'), so the host is
 * cut at the first one and there is nothing to backtrack over.
 */
static bool imageref_domain(const char *p, size_t n)
{
    const char *end;
    size_t hn, i;

    if (n > 0 && p[0] == '[') {
        end = memchr(p, ']', n);
        if (end == NULL || end == p + 1)
            return false;
        hn = (size_t)(end - p) + 1;
        for (i = 1; i + 1 < hn; i++)
            if (!imageref_is_hex((unsigned char)p[i]) && p[i] != ':')
                return false;
    } else {
        end = memchr(p, ':', n);
        hn = end != NULL ? (size_t)(end - p) : n;
        if (!imageref_domain_name(p, hn))
            return false;
    }
    return imageref_optional_port(p + hn, n - hn);
}

static bool imageref_all_dashes(const char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i] != '-')
            return false;
    return true;
}

/*
 * pathComponent: [a-z0-9]+ ((?:[._]|__|[-]+) [a-z0-9]+)*. Each maximal run
 * of separator characters between two alphanumeric runs must be one of ".",
 * "_", "__" or dashes alone.
 */
static bool imageref_path_component(const char *p, size_t n)
{
    size_t i = 0;

    if (n == 0 || !imageref_is_lower_alnum((unsigned char)p[0]) ||
        !imageref_is_lower_alnum((unsigned char)p[n - 1]))
        return false;
    while (i < n) {
        size_t start = i, len;
        unsigned char c = (unsigned char)p[i];

        if (imageref_is_lower_alnum(c)) {
            i++;
            continue;
        }
        while (i < n && !imageref_is_lower_alnum((unsigned char)p[i]))
            i++;
        len = i - start;
        if (c == '-') {
            if (!imageref_all_dashes(p + start, len))
                return false;
        } else if (c == '.') {
            if (len != 1)
                return false;
        } else if (c == '_') {
            if (len > 2 || (len == 2 && p[start + 1] != '_'))
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* remoteName: path components joined by single slashes. */
static bool imageref_remote_name(const char *p, size_t n)
{
    size_t start = 0, i;

    for (i = 0; i <= n; i++) {
        if (i == n || p[i] == '/') {
            if (!imageref_path_component(p + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/*
 * anchoredNameRegexp, ^(?:(domainAndPort)/)?(remoteName)$: split name into
 * domain (n == 0 when absent) and path. The optional domain group is
 * greedy, so Go takes it whenever that leads to a match; a domain cannot
 * contain '/', so it can only be the text before the first slash.
 */
static bool imageref_split_name(struct imageref_span name,
                                struct imageref_span *domain,
                                struct imageref_span *path)
{
    const char *slash = memchr(name.p, '/', name.n);
    bool ok = false;

    if (slash != NULL) {
        size_t dn = (size_t)(slash - name.p);

        if (imageref_domain(name.p, dn) &&
            imageref_remote_name(slash + 1, name.n - dn - 1)) {
            domain->p = name.p;
            domain->n = dn;
            path->p = slash + 1;
            path->n = name.n - dn - 1;
            ok = true;
        }
    }
    if (!ok && imageref_remote_name(name.p, name.n)) {
        domain->p = name.p;
        domain->n = 0;
        *path = name;
        ok = true;
    }
    return ok;
}

/* tag: [\w][\w.-]{0,127} */
static bool imageref_tag(const char *p, size_t n)
{
    size_t i;

    if (n == 0 || n > IMAGEREF_TAG_MAX ||
        !imageref_is_word((unsigned char)p[0]))
        return false;
    for (i = 1; i < n; i++)
        if (!imageref_is_word((unsigned char)p[i]) && p[i] != '.' &&
            p[i] != '-')
            return false;
    return true;
}

/*
 * digestPat: [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*
 * [:][[:xdigit:]]{32,}. The algorithm has no ':', so it ends at the first.
 */
static bool imageref_digest(const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    size_t an, i;
    bool at_start = true;

    if (colon == NULL)
        return false;
    an = (size_t)(colon - p);
    for (i = 0; i < an; i++) {
        unsigned char c = (unsigned char)p[i];

        if (at_start) {
            if (!imageref_is_alpha(c))
                return false;
            at_start = false;
        } else if (c == '-' || c == '_' || c == '+' || c == '.') {
            at_start = true;
        } else if (!imageref_is_alnum(c)) {
            return false;
        }
    }
    if (at_start || n - an - 1 < 32)
        return false;
    for (i = an + 1; i < n; i++)
        if (!imageref_is_hex((unsigned char)p[i]))
            return false;
    return true;
}

/* identifier: [a-f0-9]{64} */
static bool imageref_identifier(const char *p, size_t n)
{
    size_t i;

    if (n != 64)
        return false;
    for (i = 0; i < n; i++)
        if (!imageref_is_lower_hex((unsigned char)p[i]))
            return false;
    return true;
}

/*
 * ReferenceRegexp, ^(namePat)(?::(tag))?(?:@(digestPat))?$, with its groups.
 * No production but the separator contains '@', so the digest is what
 * follows the only '@'. Before it, a name has a ':' only in a domain, which
 * a '/' follows; so a ':' after the last '/' must start the tag, and
 * otherwise there is no tag. Go can therefore split only one way.
 */
static bool imageref_reference(struct imageref_span s,
                               struct imageref_groups *g)
{
    const char *at = memchr(s.p, '@', s.n);
    struct imageref_span head = s;
    struct imageref_span domain, path;
    const char *colon, *slash;

    memset(g, 0, sizeof(*g));
    if (at != NULL) {
        head.n = (size_t)(at - s.p);
        g->digest.p = at + 1;
        g->digest.n = s.n - head.n - 1;
        if (!imageref_digest(g->digest.p, g->digest.n))
            return false;
    }
    colon = imageref_find_last(head, ':');
    slash = imageref_find_last(head, '/');
    g->name = head;
    if (colon != NULL && (slash == NULL || colon > slash)) {
        g->name.n = (size_t)(colon - head.p);
        g->tag.p = colon + 1;
        g->tag.n = head.n - g->name.n - 1;
        if (!imageref_tag(g->tag.p, g->tag.n))
            return false;
    }
    return imageref_split_name(g->name, &domain, &path);
}

/*
 * go-digest v1.0.0 Digest.Validate for a string that matched digestPat,
 * with sha256, sha384 and sha512 available (Kubernetes links crypto/sha256
 * and crypto/sha512). Returns NULL or Go's error message.
 */
static const char *imageref_validate_digest(struct imageref_span d)
{
    static const struct {
        const char *name;
        size_t hex_len;
    } algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
    const char *colon = memchr(d.p, ':', d.n);
    struct imageref_span alg = {d.p, (size_t)(colon - d.p)};
    const char *msg = imageref_err_digest_unsupported;
    size_t i, hex_n = d.n - alg.n - 1;

    for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
        if (!imageref_span_eq(alg, algs[i].name))
            continue;
        msg = NULL;
        if (hex_n != algs[i].hex_len)
            msg = imageref_err_digest_length;
        for (size_t j = 0; msg == NULL && j < hex_n; j++)
            if (!imageref_is_lower_hex((unsigned char)colon[1 + j]))
                msg = imageref_err_digest_format;
        return msg;
    }
    /*
     * Unknown algorithm: DigestRegexpAnchored decides between format and
     * unsupported. Its [a-z0-9]+(?:[.+_-][a-z0-9]+)* accepts every
     * algorithm digestPat does except those with upper-case letters, and
     * its encoded part [a-zA-Z0-9=_-]+ every hex string.
     */
    for (i = 0; i < alg.n; i++)
        if (alg.p[i] >= 'A' && alg.p[i] <= 'Z')
            msg = imageref_err_digest_format;
    return msg;
}

static void imageref_copy(char *dst, struct imageref_span src)
{
    if (src.n > 0)
        memcpy(dst, src.p, src.n);
    dst[src.n] = '\0';
}

/* reference.Parse on s (s.n <= IMAGEREF_WORK_MAX). */
static int imageref_parse_span(struct imageref_span s, struct imageref *ref,
                               struct err *err)
{
    struct imageref_groups g;
    struct imageref_span domain, path;
    char lower[IMAGEREF_WORK_MAX];
    const char *msg;
    long ln;

    if (s.n == 0)
        return err_set(err, "%s", imageref_err_empty);
    if (!imageref_reference(s, &g)) {
        /* Succeeds when lower-cased: an upper-case repository name. */
        ln = imageref_lower_ascii(s, lower);
        if (ln >= 0) {
            struct imageref_span l = {lower, (size_t)ln};
            struct imageref_groups lg;

            if (imageref_reference(l, &lg))
                return err_set(err, "%s", imageref_err_uppercase);
        }
        return err_set(err, "%s", imageref_err_format);
    }
    imageref_split_name(g.name, &domain, &path);
    if (path.n > IMAGEREF_PATH_MAX)
        return err_set(err, "%s", imageref_err_too_long);
    if (g.digest.n > 0) {
        msg = imageref_validate_digest(g.digest);
        if (msg != NULL)
            return err_set(err, "%s", msg);
    }
    imageref_copy(ref->domain, domain);
    imageref_copy(ref->path, path);
    imageref_copy(ref->tag, g.tag);
    imageref_copy(ref->digest, g.digest);
    return 0;
}

/* The input as a span, or -1 when it is longer than the parser looks at. */
static int imageref_input(const char *s, struct imageref_span *in,
                          struct err *err)
{
    in->p = s != NULL ? s : "";
    in->n = strnlen(in->p, IMAGEREF_INPUT_MAX + 1);
    if (in->n > IMAGEREF_INPUT_MAX)
        return err_set(err, "%s: longer than %d bytes", imageref_err_format,
                       IMAGEREF_INPUT_MAX);
    return 0;
}

int imageref_parse_plain(const char *s, struct imageref *ref, struct err *err)
{
    struct imageref_span in;

    if (imageref_input(s, &in, err) != 0)
        return -1;
    return imageref_parse_span(in, ref, err);
}

static void imageref_append(char *buf, size_t *len, struct imageref_span s)
{
    memcpy(buf + *len, s.p, s.n);
    *len += s.n;
}

int imageref_parse(const char *s, struct imageref *ref, struct err *err)
{
    static const struct imageref_span docker_io = {
        imageref_default_domain, sizeof(imageref_default_domain) - 1};
    static const struct imageref_span library = {
        imageref_official_prefix, sizeof(imageref_official_prefix) - 1};
    static const struct imageref_span slash_span = {"/", 1};
    struct imageref_span in, domain, rest, remote;
    char buf[IMAGEREF_WORK_MAX];
    size_t len = 0, rest_at;
    const char *slash, *colon;
    bool library_prefix = false;

    if (imageref_input(s, &in, err) != 0)
        return -1;
    if (imageref_identifier(in.p, in.n))
        return err_set(err,
                       "invalid repository name (%.*s), cannot specify "
                       "64-byte hexadecimal strings",
                       (int)in.n, in.p);

    /* splitDockerDomain */
    slash = memchr(in.p, '/', in.n);
    domain = docker_io;
    rest = in;
    if (slash != NULL) {
        struct imageref_span first = {in.p, (size_t)(slash - in.p)};
        struct imageref_span after = {slash + 1, in.n - first.n - 1};

        if (imageref_span_eq(first, imageref_legacy_domain)) {
            rest = after;
        } else if (imageref_span_eq(first, imageref_localhost) ||
                   memchr(first.p, '.', first.n) != NULL ||
                   memchr(first.p, ':', first.n) != NULL ||
                   imageref_lower_changes(first)) {
            domain = first;
            rest = after;
        }
    }
    if (imageref_span_eq(domain, imageref_default_domain) &&
        memchr(rest.p, '/', rest.n) == NULL)
        library_prefix = true;

    /* Parse(domain + "/" + remainder), remainder = [library/]rest */
    imageref_append(buf, &len, domain);
    imageref_append(buf, &len, slash_span);
    rest_at = len;
    if (library_prefix)
        imageref_append(buf, &len, library);
    imageref_append(buf, &len, rest);

    remote.p = buf + rest_at;
    remote.n = len - rest_at;
    colon = memchr(remote.p, ':', remote.n);
    if (colon != NULL)
        remote.n = (size_t)(colon - remote.p);
    if (imageref_lower_changes(remote))
        return err_set(err, "%s: repository name (%.*s) must be lowercase",
                       imageref_err_format, (int)remote.n, remote.p);

    {
        struct imageref_span composed = {buf, len};

        return imageref_parse_span(composed, ref, err);
    }
}

int imageref_match(enum imageref_rule rule, const char *s)
{
    struct imageref_span in;
    struct imageref_groups g;
    struct imageref_span domain, path;
    bool m = false;

    if (s == NULL || imageref_input(s, &in, NULL) != 0)
        return 0;
    switch (rule) {
    case IMAGEREF_RULE_DOMAIN:
        m = imageref_domain(in.p, in.n);
        break;
    case IMAGEREF_RULE_NAME:
        m = imageref_split_name(in, &domain, &path);
        break;
    case IMAGEREF_RULE_TAG:
        m = imageref_tag(in.p, in.n);
        break;
    case IMAGEREF_RULE_DIGEST:
        m = imageref_digest(in.p, in.n);
        break;
    case IMAGEREF_RULE_IDENTIFIER:
        m = imageref_identifier(in.p, in.n);
        break;
    case IMAGEREF_RULE_REFERENCE:
        m = imageref_reference(in, &g);
        break;
    }
    return m ? 1 : 0;
}

const char *imageref_default_pull_policy(const char *image)
{
    struct imageref ref;
    const char *policy = "IfNotPresent";

    /* parsers.ParseImageName: no tag and no digest means tag "latest". */
    if (imageref_parse(image, &ref, NULL) == 0 &&
        (strcmp(ref.tag, "latest") == 0 ||
         (ref.tag[0] == '\0' && ref.digest[0] == '\0')))
        policy = "Always";
    return policy;
}
