/* crossproject.h - which image references pull across projects. */
#ifndef POLICY_CROSSPROJECT_H
#define POLICY_CROSSPROJECT_H

#include "config.h"
#include "imageref.h"

/* The source of an integrated-registry image: <registry>/<project>/<stream>. */
struct crossproject_ref {
    char project[IMAGEREF_INPUT_MAX + 1];
    char stream[IMAGEREF_INPUT_MAX + 1];
};

/*
 * Whether domain (host[:port]) is one of regs: host without regard to case,
 * port exactly (no port matches only no port).
 */
int crossproject_registry_match(const struct config_strings *regs,
                                const char *domain);

/*
 * Whether ref is an image of the integrated registry (cfg->registries) in a
 * project other than ns; if so out holds the project and image stream.
 * References with a single path component name no project: not judged.
 */
int crossproject_classify(const struct config *cfg, const struct imageref *ref,
                          const char *ns, struct crossproject_ref *out);

#endif
