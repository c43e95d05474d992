/* cmd_review.c - review and test: answers to AdmissionReviews, offline. */
#include "cmd_review.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dirlist.h"
#include "jsonout.h"
#include "readfile.h"
#include "replay.h"
#include "review.h"

#define CMD_REVIEW_MAX (64u << 20)

int cmd_review(int argc, char **argv)
{
    struct cli_opts o;
    struct err err = {{0}};
    struct state *st;
    const char *path;
    char *buf = NULL, *text = NULL;
    size_t len, text_len;
    json_t *req = NULL, *answer = NULL;
    int ep, rc = 2;

    if (argc < 1)
        cli_bad("review needs mutate or validate");
    ep = review_endpoint_parse(argv[0]);
    if (ep < 0)
        cli_bad("review: unknown endpoint %s (mutate or validate)", argv[0]);
    cli_parse(argc - 1, argv + 1, "--config --bindings", &o);
    if (o.nargs > 1)
        cli_bad("review takes one FILE, got also %s", o.args[1]);
    path = o.nargs == 1 ? o.args[0] : "-";
    st = cli_state(&o);
    buf = readfile_all(strcmp(path, "-") == 0 ? "/dev/stdin" : path,
                       CMD_REVIEW_MAX, &len, &err);
    if (buf != NULL)
        req = review_parse(buf, len, &err);
    if (req != NULL)
        answer =
            review_answer((enum review_endpoint)ep, req, st->cfg, st->rb, &err);
    if (answer != NULL)
        text = jsonout_dumps(answer, &text_len);
    if (text == NULL) {
        fprintf(stderr, "image-policy-webhook: %s: %s\n", path,
                err.msg[0] ? err.msg : "out of memory");
        goto out;
    }
    puts(text);
    rc = 0;
out:
    free(text);
    free(buf);
    json_decref(req);
    json_decref(answer);
    state_release(st);
    return rc;
}

/* Case files: *.json. */
static int cmd_review_is_case(const char *name)
{
    size_t l = strlen(name);

    return l >= 6 && strcmp(name + l - 5, ".json") == 0;
}

/* Replay every *.json case of dir, in name order; count into pass/fail. */
static int cmd_review_test_dir(const char *dir, const struct state *st,
                               int *pass, int *fail)
{
    size_t n, i;
    char **names = dirlist(dir, cmd_review_is_case, &n);

    if (names == NULL) {
        fprintf(stderr,
                "image-policy-webhook: %s: cannot read the folder: %s\n", dir,
                strerror(errno));
        return -1;
    }
    for (i = 0; i < n; i++) {
        char path[4096];
        struct err err = {{0}};
        int r;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        r = replay_case(path, st->cfg, st->rb, &err);
        if (r == 1) {
            printf("PASS %s\n", path);
            (*pass)++;
        } else {
            printf("FAIL %s: %s\n", path, err.msg);
            (*fail)++;
        }
    }
    dirlist_free(names, n);
    return 0;
}

int cmd_review_test(int argc, char **argv)
{
    struct cli_opts o;
    struct state *st;
    int i, pass = 0, fail = 0, rc;

    cli_parse(argc, argv, "--config --bindings", &o);
    if (o.nargs == 0)
        cli_bad("test needs at least one DIR");
    st = cli_state(&o);
    for (i = 0; i < o.nargs; i++)
        if (cmd_review_test_dir(o.args[i], st, &pass, &fail) != 0)
            fail++;
    printf("%d passed, %d failed\n", pass, fail);
    state_release(st);
    rc = fail > 0 ? 1 : 0;
    return rc;
}
