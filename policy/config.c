/* config.c - the webhook's configuration: schema, defaults, validation. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#define CONFIG_DEFAULT_REGISTRY                                                \
    "image-registry.openshift-image-registry.svc:5000"
#define CONFIG_DEFAULT_MAX_BODY (8u << 20)

static int config_strings_add(struct config_strings *s, const char *v)
{
    char **nv;
    char *dup = strdup(v);

    if (dup == NULL)
        return -1;
    nv = realloc(s->v, (s->n + 1) * sizeof(*nv));
    if (nv == NULL) {
        free(dup);
        return -1;
    }
    nv[s->n++] = dup;
    s->v = nv;
    return 0;
}

static void config_strings_clear(struct config_strings *s)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

struct config *config_new_default(void)
{
    struct config *cfg = calloc(1, sizeof(*cfg));

    if (cfg == NULL)
        return NULL;
    cfg->pull_mode = CONFIG_PULL_DEFAULT;
    cfg->cross_project = CONFIG_DENY;
    cfg->invalid_refs = CONFIG_WARN;
    cfg->warn_dated_tags = 1;
    cfg->warn_latest = 0;
    cfg->cross_stream_aliases = CONFIG_DENY;
    cfg->pull_secrets = CONFIG_WARN;
    cfg->max_body = CONFIG_DEFAULT_MAX_BODY;
    if (config_strings_add(&cfg->registries, CONFIG_DEFAULT_REGISTRY) != 0) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

void config_free(struct config *cfg)
{
    if (cfg == NULL)
        return;
    config_strings_clear(&cfg->registries);
    config_strings_clear(&cfg->exempt_namespaces);
    config_strings_clear(&cfg->pull_secret_registries);
    config_strings_clear(&cfg->global_registries);
    free(cfg);
}

/* Check that every key of obj is one of the NULL-terminated names. */
static int config_known_keys(const json_t *obj, const char *prefix,
                             const char *const *names, struct err *err)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)obj, key, v)
    {
        const char *const *n;

        for (n = names; *n != NULL; n++)
            if (strcmp(*n, key) == 0)
                break;
        if (*n == NULL)
            return err_set(err, "%s%s: unknown key", prefix, key);
    }
    return 0;
}

/*
 * Set *out to the index of v's string in the NULL-terminated choices. A
 * boolean false counts as "off": YAML 1.1 readers turn unquoted off into it.
 */
static int config_enum(const json_t *v, const char *key,
                       const char *const *choices, int *out, struct err *err)
{
    const char *s = json_is_false(v) ? "off" : json_string_value(v);
    char allowed[160] = "";
    size_t len = 0;
    int i;

    for (i = 0; choices[i] != NULL; i++) {
        if (s != NULL && strcmp(s, choices[i]) == 0) {
            *out = i;
            return 0;
        }
        len += (size_t)snprintf(allowed + len, sizeof(allowed) - len, "%s%s",
                                i ? ", " : "", choices[i]);
        if (len >= sizeof(allowed))
            len = sizeof(allowed) - 1;
    }
    return err_set(err, "%s: must be one of %s", key, allowed);
}

static const char *const config_actions[] = {"off", "warn", "deny", NULL};

static int config_action(const json_t *v, const char *key,
                         enum config_action *out, struct err *err)
{
    int i;

    if (config_enum(v, key, config_actions, &i, err) != 0)
        return -1;
    *out = (enum config_action)i;
    return 0;
}

static int config_bool(const json_t *v, const char *key, int *out,
                       struct err *err)
{
    if (!json_is_boolean(v))
        return err_set(err, "%s: must be true or false", key);
    *out = json_is_true(v);
    return 0;
}

static int config_list(const json_t *v, const char *key,
                       struct config_strings *out, struct err *err)
{
    size_t i;
    json_t *item;

    if (json_is_null(v)) {
        config_strings_clear(out);
        return 0;
    }
    if (!json_is_array(v))
        return err_set(err, "%s: must be a list of strings", key);
    config_strings_clear(out);
    json_array_foreach(v, i, item)
    {
        const char *s = json_string_value(item);

        if (s == NULL || s[0] == '\0')
            return err_set(err, "%s[%zu]: must be a non-empty string", key, i);
        if (config_strings_add(out, s) != 0)
            return err_set(err, "out of memory");
    }
    return 0;
}

/* Returns the object at key of root, NULL if absent; -1 if not an object. */
static int config_section(const json_t *root, const char *key,
                          const char *const *names, const json_t **out,
                          struct err *err)
{
    const json_t *v = json_object_get(root, key);
    char prefix[64];

    *out = NULL;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return err_set(err, "%s: must be a mapping", key);
    snprintf(prefix, sizeof(prefix), "%s.", key);
    if (config_known_keys(v, prefix, names, err) != 0)
        return -1;
    *out = v;
    return 0;
}

static int config_load(struct config *cfg, const json_t *root, struct err *err)
{
    static const char *const top[] = {
        "pullPolicy",     "crossProject",     "invalidReferences",
        "tagConventions", "exemptNamespaces", "imageStreams",
        "pullSecrets",    "server",           NULL};
    static const char *const pull[] = {"mode", NULL};
    static const char *const modes[] = {"default", "enforce", "always", NULL};
    static const char *const cross[] = {"enforcement", "registries", NULL};
    static const char *const tags[] = {"warnDatedTags", "warnLatest", NULL};
    static const char *const streams[] = {"crossStreamAliases", NULL};
    static const char *const secrets[] = {"registries", "globalRegistries",
                                          "enforcement", NULL};
    static const char *const server[] = {"maxBodyBytes", NULL};
    const json_t *sec, *v;
    int mode;

    if (!json_is_object(root))
        return err_set(err, "config must be a mapping");
    if (config_known_keys(root, "", top, err) != 0)
        return -1;

    if (config_section(root, "pullPolicy", pull, &sec, err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "mode")) != NULL) {
        if (config_enum(v, "pullPolicy.mode", modes, &mode, err) != 0)
            return -1;
        cfg->pull_mode = (enum config_pull_mode)mode;
    }

    if (config_section(root, "crossProject", cross, &sec, err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "enforcement")) != NULL &&
        config_action(v, "crossProject.enforcement", &cfg->cross_project,
                      err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "registries")) != NULL &&
        config_list(v, "crossProject.registries", &cfg->registries, err) != 0)
        return -1;

    if ((v = json_object_get(root, "invalidReferences")) != NULL &&
        config_action(v, "invalidReferences", &cfg->invalid_refs, err) != 0)
        return -1;

    if (config_section(root, "tagConventions", tags, &sec, err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "warnDatedTags")) != NULL &&
        config_bool(v, "tagConventions.warnDatedTags", &cfg->warn_dated_tags,
                    err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "warnLatest")) != NULL &&
        config_bool(v, "tagConventions.warnLatest", &cfg->warn_latest, err) !=
            0)
        return -1;

    if ((v = json_object_get(root, "exemptNamespaces")) != NULL &&
        config_list(v, "exemptNamespaces", &cfg->exempt_namespaces, err) != 0)
        return -1;

    if (config_section(root, "imageStreams", streams, &sec, err) != 0)
        return -1;
    if (sec != NULL &&
        (v = json_object_get(sec, "crossStreamAliases")) != NULL &&
        config_action(v, "imageStreams.crossStreamAliases",
                      &cfg->cross_stream_aliases, err) != 0)
        return -1;

    if (config_section(root, "pullSecrets", secrets, &sec, err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "registries")) != NULL &&
        config_list(v, "pullSecrets.registries", &cfg->pull_secret_registries,
                    err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "globalRegistries")) != NULL &&
        config_list(v, "pullSecrets.globalRegistries", &cfg->global_registries,
                    err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "enforcement")) != NULL &&
        config_action(v, "pullSecrets.enforcement", &cfg->pull_secrets, err) !=
            0)
        return -1;

    if (config_section(root, "server", server, &sec, err) != 0)
        return -1;
    if (sec != NULL && (v = json_object_get(sec, "maxBodyBytes")) != NULL) {
        json_int_t n = json_integer_value(v);

        if (!json_is_integer(v) || n < 1024 || n > (json_int_t)1 << 30)
            return err_set(err, "server.maxBodyBytes: must be an integer "
                                "from 1024 to 1073741824");
        cfg->max_body = (size_t)n;
    }
    return 0;
}

struct config *config_from_json(const json_t *root, struct err *err)
{
    struct config *cfg = config_new_default();

    if (cfg == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    if (config_load(cfg, root, err) != 0) {
        config_free(cfg);
        return NULL;
    }
    return cfg;
}

int config_namespace_exempt(const struct config *cfg, const char *ns)
{
    size_t i;

    for (i = 0; i < cfg->exempt_namespaces.n; i++) {
        const char *p = cfg->exempt_namespaces.v[i];
        size_t n = strlen(p);

        if (n > 0 && p[n - 1] == '*') {
            if (strncmp(p, ns, n - 1) == 0)
                return 1;
        } else if (strcmp(p, ns) == 0) {
            return 1;
        }
    }
    return 0;
}
