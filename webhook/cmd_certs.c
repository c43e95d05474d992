/* cmd_certs.c - certs: a CA and a serving certificate for the Service. */
#include "cmd_certs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certgen.h"
#include "cli.h"

/*
 * certs: a CA (kept when DIR has one) and a serving certificate for the
 * Service into DIR; the base64 CA bundle on stdout, what was done on stderr.
 */
int cmd_certs(int argc, char **argv)
{
    struct cli_opts o;
    struct certgen_opts co;
    struct certgen_result res;
    struct err err = {{0}};
    char *end = NULL;
    long days = 0;

    cli_parse(argc, argv, "--service --namespace --out --hosts --days ", &o);
    if (o.nargs > 0)
        cli_bad("certs takes no argument %s", o.args[0]);
    if (o.service == NULL || o.namespace == NULL || o.out == NULL)
        cli_bad("certs needs --service, --namespace and --out");
    if (o.days != NULL) {
        errno = 0;
        days = strtol(o.days, &end, 10);
        if (end == o.days || *end != '\0' || errno != 0 || days < 1 ||
            days > (long)CERTGEN_MAX_DAYS)
            cli_bad("--days %s: must be a number from 1 to %u", o.days,
                    CERTGEN_MAX_DAYS);
    }
    memset(&co, 0, sizeof(co));
    co.service = o.service;
    co.namespace = o.namespace;
    co.out_dir = o.out;
    co.hosts = o.hosts;
    co.days = (unsigned)days;
    if (certgen_check(&co, &err) != 0)
        cli_bad("%s", err.msg);
    if (certgen_run(&co, &res, &err) != 0) {
        fprintf(stderr, "image-policy-webhook: certs: %s\n", err.msg);
        return 2;
    }
    fprintf(stderr,
            "image-policy-webhook: %s CA %s/ca.crt; new serving certificate "
            "%s/tls.crt for %s.%s.svc until %s UTC%s\n",
            res.ca_reused ? "kept the" : "made a new", o.out, o.out, o.service,
            o.namespace, res.not_after,
            res.cut_to_ca ? " (the end of the CA)" : "");
    puts(res.ca_bundle_b64);
    certgen_result_free(&res);
    return 0;
}
