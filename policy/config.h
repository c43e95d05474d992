/* config.h - the webhook's configuration: schema, defaults, validation. */
#ifndef POLICY_CONFIG_H
#define POLICY_CONFIG_H

#include <stddef.h>

#include <jansson.h>

#include "err.h"

enum config_pull_mode {
    CONFIG_PULL_DEFAULT,
    CONFIG_PULL_ENFORCE,
    CONFIG_PULL_ALWAYS
};

enum config_action { CONFIG_OFF, CONFIG_WARN, CONFIG_DENY };

struct config_strings {
    char **v;
    size_t n;
};

struct config {
    enum config_pull_mode pull_mode;
    enum config_action cross_project;
    struct config_strings registries;
    enum config_action invalid_refs;
    int warn_dated_tags;
    int warn_latest;
    struct config_strings exempt_namespaces;
    enum config_action cross_stream_aliases;
    struct config_strings pull_secret_registries;
    struct config_strings global_registries;
    enum config_action pull_secrets;
    size_t max_body; /* server.maxBodyBytes */
};

/* Returns a new config holding the defaults (docs/design.md), NULL on
 * ENOMEM. */
struct config *config_new_default(void);

/*
 * Returns a new config from a JSON value (what a YAML or JSON config file
 * decodes to; borrowed). Keys absent keep their defaults. On an unknown key
 * or a bad value returns NULL and err names the key ("pullPolicy.mode: must
 * be one of default, enforce, always").
 */
struct config *config_from_json(const json_t *root, struct err *err);

/* Whether namespace ns is exempt (exact names or "prefix-*" globs). */
int config_namespace_exempt(const struct config *cfg, const char *ns);

void config_free(struct config *cfg);

#endif
