/* crossproject.c - which image references pull across projects. */
#include "crossproject.h"

#include <string.h>
#include <strings.h>

/* Split host[:port] (or [v6]:port) at the port's colon: the host's length. */
static size_t crossproject_host_len(const char *s)
{
    const char *colon;

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        return close != NULL ? (size_t)(close - s) + 1 : strlen(s);
    }
    colon = strrchr(s, ':');
    return colon != NULL ? (size_t)(colon - s) : strlen(s);
}

int crossproject_registry_match(const struct config_strings *regs,
                                const char *domain)
{
    size_t hl = crossproject_host_len(domain), i;

    for (i = 0; i < regs->n; i++) {
        const char *r = regs->v[i];
        size_t rl = crossproject_host_len(r);

        if (rl == hl && strncasecmp(r, domain, hl) == 0 &&
            strcmp(r + rl, domain + hl) == 0)
            return 1;
    }
    return 0;
}

int crossproject_classify(const struct config *cfg, const struct imageref *ref,
                          const char *ns, struct crossproject_ref *out)
{
    const char *slash = strchr(ref->path, '/');
    size_t plen;

    if (slash == NULL ||
        !crossproject_registry_match(&cfg->registries, ref->domain))
        return 0;
    plen = (size_t)(slash - ref->path);
    if (strlen(ns) == plen && strncmp(ns, ref->path, plen) == 0)
        return 0;
    memcpy(out->project, ref->path, plen);
    out->project[plen] = '\0';
    /* both fit: each is a part of path, which has the same size */
    memcpy(out->stream, slash + 1, strlen(slash + 1) + 1);
    return 1;
}
