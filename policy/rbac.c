/* rbac.c - RBAC index: may a service account pull images from a project? */
#include "rbac.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rbacboot.h"
#include "rbackey.h"
#include "rbacobj.h"
#include "rbacrule.h"
#include "strmap.h"

/*
 * How it decides (Kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go and
 * pkg/registry/rbac/validation/rule.go, pkg/apis/rbac/v1/
 * evaluation_helpers.go):
 *
 * - The service account's user is system:serviceaccount:<ns>:<name>, its
 *   groups system:serviceaccounts, system:serviceaccounts:<ns> and
 *   system:authenticated.
 * - Kubernetes matches a ServiceAccount subject by building that user name
 *   (serviceaccount.MatchesUsername), so a ServiceAccount subject and a User
 *   subject system:serviceaccount:<ns>:<name> are the same thing: both get
 *   the subject key "u:system:serviceaccount:<ns>:<name>"; groups get
 *   "g:<group>". An empty ServiceAccount namespace means the namespace of a
 *   RoleBinding; in a ClusterRoleBinding it matches nothing (appliesToUser
 *   is called with namespace "" there).
 * - Subjects no service account can ever match (other users and groups) are
 *   not indexed: the index answers only this question.
 * - RoleBindings are indexed by (namespace, subject key), ClusterRoleBindings
 *   by subject key. A query looks up its four subject keys in both, so it
 *   visits only bindings that name this account or one of its groups.
 * - A binding refers to its role by name (a Role of the binding's namespace
 *   or a ClusterRole) through a slot shared by every binding of that name
 *   and filled in whenever the role arrives, changes or goes, so the order
 *   objects arrive in does not matter and a query follows pointers. A
 *   ClusterRoleBinding must reference a ClusterRole.
 * - Each role is compiled when stored into what it grants for the one
 *   request the registry makes: verb get, group image.openshift.io, resource
 *   imagestreams/layers: "any stream" or a list of resourceNames.
 *
 * Roles the source does not define fall back to OpenShift's bootstrap
 * definitions (the table of rbacboot.c). Source definitions win, except a
 * ClusterRole that has an aggregationRule and no rules: its rules are
 * filled by the controller-manager's aggregation controller, so an empty
 * one means the source was read where no controller ran (a file from such a
 * cluster, as the recorded rbac-list.json) and the bootstrap definition is
 * used. This index does not aggregate labelled ClusterRoles itself.
 *
 * Reading the objects is rbacobj.c's, compiling and matching rules
 * rbacrule.c's; this file stores the records, indexes them and answers.
 */

/*
 * A role name as bindings see it: the source's definition and the
 * bootstrap one. Bindings point at their slot, so a query follows pointers
 * instead of looking the role up by name; a slot lives while the source
 * defines the role or a binding refers to it.
 */
struct rbac_slot {
    struct rbacobj_role *src;        /* owned; NULL when the source has none */
    const struct rbacobj_role *boot; /* owned by rb->boot; NULL if none */
    size_t refs;                     /* bindings pointing here */
    enum rbacobj_kind kind;          /* RBACOBJ_ROLE or RBACOBJ_CLUSTER_ROLE */
    char *key;                       /* its key in rb->objs[kind] */
    size_t len;
};

/* Bindings under one index key; most have one or two, kept inline. */
struct rbac_posting {
    struct rbacobj_binding **v; /* inl, or a heap array when more */
    size_t n, cap;
    struct rbacobj_binding *inl[2];
};

struct rbac {
    /*
     * By kind, keyed "<ns>\0<name>" (ns "" if cluster-wide): bindings and
     * service accounts; for Role and ClusterRole, their slots.
     */
    struct strmap *objs[RBACOBJ_NKINDS];
    /* Bootstrap roles (RBACOBJ_ROLE, RBACOBJ_CLUSTER_ROLE entries), same keys.
     */
    struct strmap *boot[RBACOBJ_NKINDS];
    struct strmap *ns_index;      /* "<ns>\0<subject key>" -> posting */
    struct strmap *cluster_index; /* "<subject key>" -> posting */
    size_t n_roles;               /* slots with a source definition */
};

/* ---- the indexes ---- */

/* The index key of subject key s for binding bd. */
static int rbac_index_key(struct rbackey *k, const struct rbacobj_binding *bd,
                          const char *s)
{
    if (bd->kind == RBACOBJ_ROLE_BINDING)
        return rbackey_pair(k, bd->ns, s);
    strbuf_reset(&k->b);
    return rbackey_str(k, s);
}

static struct strmap *rbac_index_of(const struct rbac *rb,
                                    const struct rbacobj_binding *bd)
{
    return bd->kind == RBACOBJ_ROLE_BINDING ? rb->ns_index : rb->cluster_index;
}

static void rbac_posting_free(struct rbac_posting *p)
{
    if (p == NULL)
        return;
    if (p->v != p->inl)
        free(p->v);
    free(p);
}

/* Remove bd from every posting it is in (tolerates partial indexing). */
static void rbac_unindex(struct rbac *rb, const struct rbacobj_binding *bd)
{
    struct strmap *m = rbac_index_of(rb, bd);
    struct rbackey k;
    size_t i, j;

    rbackey_init(&k);
    for (i = 0; i < bd->n_keys; i++) {
        struct rbac_posting *p;

        if (rbac_index_key(&k, bd, bd->keys[i]) != 0)
            continue; /* ENOMEM: it could not have been indexed either */
        p = strmap_get(m, k.b.p, k.b.len);
        if (p == NULL)
            continue;
        for (j = 0; j < p->n; j++) {
            if (p->v[j] == bd) {
                p->v[j] = p->v[--p->n];
                break;
            }
        }
        if (p->n == 0) {
            strmap_remove(m, k.b.p, k.b.len);
            rbac_posting_free(p);
        }
    }
    rbackey_release(&k);
}

static int rbac_posting_push(struct rbac_posting *p, struct rbacobj_binding *bd)
{
    if (p->n == p->cap) {
        size_t ncap = p->cap * 2;
        struct rbacobj_binding **nv;

        if (ncap > SIZE_MAX / sizeof(*nv))
            return -1;
        if (p->v == p->inl) {
            nv = malloc(ncap * sizeof(*nv));
            if (nv != NULL)
                memcpy(nv, p->inl, sizeof(p->inl));
        } else {
            nv = realloc(p->v, ncap * sizeof(*nv));
        }
        if (nv == NULL)
            return -1;
        p->v = nv;
        p->cap = ncap;
    }
    p->v[p->n++] = bd;
    return 0;
}

static int rbac_index(struct rbac *rb, struct rbacobj_binding *bd)
{
    struct strmap *m = rbac_index_of(rb, bd);
    struct rbackey k;
    size_t i;
    int rc = -1;

    rbackey_init(&k);
    for (i = 0; i < bd->n_keys; i++) {
        struct rbac_posting *p;

        if (rbac_index_key(&k, bd, bd->keys[i]) != 0)
            goto out;
        p = strmap_get(m, k.b.p, k.b.len);
        if (p == NULL) {
            p = calloc(1, sizeof(*p));
            if (p == NULL)
                goto out;
            p->v = p->inl;
            p->cap = sizeof(p->inl) / sizeof(p->inl[0]);
            if (strmap_put(m, k.b.p, k.b.len, p, NULL) != 0) {
                rbac_posting_free(p);
                goto out;
            }
        }
        /* A subject listed twice: its keys arrive together, so it is last. */
        if (p->n > 0 && p->v[p->n - 1] == bd)
            continue;
        if (rbac_posting_push(p, bd) != 0)
            goto out;
    }
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/* ---- role slots ---- */

static void rbac_slot_free(struct rbac_slot *s)
{
    if (s == NULL)
        return;
    rbacobj_role_free(s->src);
    free(s->key);
    free(s);
}

/* The slot of role kind ns/name; with create, made when missing. */
static struct rbac_slot *rbac_slot_get(struct rbac *rb, enum rbacobj_kind kind,
                                       const char *ns, const char *name,
                                       int create)
{
    struct rbac_slot *s = NULL, *ret = NULL;
    struct rbackey k;

    rbackey_init(&k);
    if (rbackey_pair(&k, ns, name) != 0)
        goto out;
    ret = strmap_get(rb->objs[kind], k.b.p, k.b.len);
    if (ret != NULL || !create)
        goto out;
    s = calloc(1, sizeof(*s));
    if (s == NULL || (s->key = malloc(k.b.len + 1)) == NULL)
        goto out;
    memcpy(s->key, k.b.p, k.b.len + 1);
    s->len = k.b.len;
    s->kind = kind;
    s->boot = strmap_get(rb->boot[kind], k.b.p, k.b.len);
    if (strmap_put(rb->objs[kind], k.b.p, k.b.len, s, NULL) != 0)
        goto out;
    ret = s;
    s = NULL;
out:
    rbac_slot_free(s);
    rbackey_release(&k);
    return ret;
}

/* Drop a slot that nothing needs any more. */
static void rbac_slot_gc(struct rbac *rb, struct rbac_slot *s)
{
    if (s->refs == 0 && s->src == NULL) {
        strmap_remove(rb->objs[s->kind], s->key, s->len);
        rbac_slot_free(s);
    }
}

/* Free a stored binding, letting go of its slot. */
static void rbac_binding_release(struct rbac *rb, struct rbacobj_binding *bd)
{
    if (bd != NULL && bd->slot != NULL) {
        bd->slot->refs--;
        rbac_slot_gc(rb, bd->slot);
    }
    rbacobj_binding_free(bd);
}

/* ---- storing ---- */

static int rbac_commit_role(struct rbac *rb, struct rbacobj_role *r)
{
    struct rbac_slot *s = rbac_slot_get(rb, r->kind, r->ns, r->name, 1);

    if (s == NULL)
        return -1;
    if (s->src == NULL)
        rb->n_roles++;
    rbacobj_role_free(s->src);
    s->src = r;
    return 0;
}

static int rbac_commit_binding(struct rbac *rb, struct rbacobj_binding *bd)
{
    struct strmap *m = rb->objs[bd->kind];
    struct rbacobj_binding *old = NULL;
    struct rbackey k;
    void *prev = NULL;
    int rc = -1;

    rbackey_init(&k);
    bd->slot = rbac_slot_get(rb, bd->ref_kind,
                             bd->ref_kind == RBACOBJ_ROLE ? bd->ns : "",
                             bd->ref_name, 1);
    if (bd->slot == NULL)
        goto out;
    bd->slot->refs++;
    if (rbackey_pair(&k, bd->ns, bd->name) != 0 ||
        strmap_put(m, k.b.p, k.b.len, bd, &prev) != 0)
        goto out;
    old = prev;
    if (old != NULL)
        rbac_unindex(rb, old);
    if (rbac_index(rb, bd) != 0) {
        /* Leave neither the new binding nor the old one in. */
        rbac_unindex(rb, bd);
        strmap_remove(m, k.b.p, k.b.len);
        goto out;
    }
    rc = 0;
out:
    rbac_binding_release(rb, old);
    if (rc != 0)
        rbac_binding_release(rb, bd);
    rbackey_release(&k);
    return rc;
}

static int rbac_commit_sa(struct rbac *rb, struct rbacobj_sa *sa)
{
    struct rbackey k;
    void *old = NULL;
    int rc = -1;

    rbackey_init(&k);
    if (rbackey_pair(&k, sa->ns, sa->name) != 0 ||
        strmap_put(rb->objs[RBACOBJ_SERVICE_ACCOUNT], k.b.p, k.b.len, sa,
                   &old) != 0)
        goto out;
    rbacobj_sa_free(old);
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/*
 * Store one parsed object, replacing any with its kind, namespace and name.
 * The index owns it afterwards, even on failure (ENOMEM), so it->obj is
 * cleared either way.
 */
static int rbac_commit(struct rbac *rb, struct rbacobj_item *it)
{
    int rc = -1;

    switch (it->kind) {
    case RBACOBJ_ROLE:
    case RBACOBJ_CLUSTER_ROLE:
        rc = rbac_commit_role(rb, it->obj);
        if (rc != 0)
            rbacobj_role_free(it->obj);
        break;
    case RBACOBJ_ROLE_BINDING:
    case RBACOBJ_CLUSTER_ROLE_BINDING:
        rc = rbac_commit_binding(rb, it->obj); /* frees it on failure */
        break;
    case RBACOBJ_SERVICE_ACCOUNT:
        rc = rbac_commit_sa(rb, it->obj);
        if (rc != 0)
            rbacobj_sa_free(it->obj);
        break;
    case RBACOBJ_NKINDS:
        break;
    }
    it->obj = NULL;
    return rc;
}

int rbac_put(struct rbac *rb, const json_t *obj, struct err *err)
{
    struct rbacobj_batch batch = {NULL, 0, 0};
    size_t i;
    int rc = -1;

    if (rb == NULL || obj == NULL) {
        err_set(err, "rbac_put: no index or no object");
        goto out;
    }
    if (rbacobj_parse(obj, &batch, err) != 0)
        goto out;
    for (i = 0; i < batch.n; i++) {
        if (rbac_commit(rb, &batch.v[i]) != 0) {
            err_set(err, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    rbacobj_batch_free(&batch);
    return rc;
}

void rbac_delete(struct rbac *rb, const char *kind, const char *ns,
                 const char *name)
{
    struct rbackey k;
    void *obj;
    int i;

    if (rb == NULL || kind == NULL || name == NULL)
        return;
    for (i = 0; i < RBACOBJ_NKINDS; i++) {
        if (strcmp(kind, rbacobj_kind_names[i]) == 0)
            break;
    }
    if (i == RBACOBJ_NKINDS)
        return;
    if (i == RBACOBJ_CLUSTER_ROLE || i == RBACOBJ_CLUSTER_ROLE_BINDING ||
        ns == NULL)
        ns = "";
    rbackey_init(&k);
    if (i == RBACOBJ_ROLE || i == RBACOBJ_CLUSTER_ROLE) {
        struct rbac_slot *s =
            rbac_slot_get(rb, (enum rbacobj_kind)i, ns, name, 0);

        if (s != NULL && s->src != NULL) {
            rbacobj_role_free(s->src);
            s->src = NULL;
            rb->n_roles--;
            rbac_slot_gc(rb, s);
        }
        goto out;
    }
    if (rbackey_pair(&k, ns, name) != 0)
        goto out;
    obj = strmap_remove(rb->objs[i], k.b.p, k.b.len);
    if (obj == NULL)
        goto out;
    if (i == RBACOBJ_SERVICE_ACCOUNT) {
        rbacobj_sa_free(obj);
        goto out;
    }
    rbac_unindex(rb, obj);
    rbac_binding_release(rb, obj);
out:
    rbackey_release(&k);
}

/* ---- queries ---- */

/* The role bd refers to, with the bootstrap fallback; NULL if none. */
static const struct rbacobj_role *rbac_resolve(const struct rbacobj_binding *bd)
{
    const struct rbacobj_role *r = bd->slot->src;

    if (r != NULL && !r->defer)
        return r;
    return bd->slot->boot != NULL ? bd->slot->boot : r;
}

/* Who the service account is to the authorizer, in the authorizer's order. */
static const char *const rbac_subject_words[4] = {
    "ServiceAccount", "Group", "Group " RBACOBJ_SA_GROUP,
    "Group " RBACOBJ_AUTHENTICATED};

/* One pass over the postings: stop at the first grant, or visit each. */
struct rbac_visit {
    const char *stream;
    struct rbac_why *why; /* filled at each grant; may be NULL */
    rbac_grant_fn *each;  /* NULL: stop at the first grant */
    void *arg;
    size_t grants;
};

/*
 * Check the bindings of one posting for subject i; 1 when the visit is
 * over (a grant with no callback, or the callback said stop).
 */
static int rbac_check_posting(const struct rbac_posting *p, size_t subject,
                              struct rbac_visit *vis)
{
    struct rbac_why *why = vis->why;
    size_t i;

    if (p == NULL)
        return 0;
    for (i = 0; i < p->n; i++) {
        const struct rbacobj_binding *bd = p->v[i];
        const struct rbacobj_role *r = rbac_resolve(bd);

        if (why != NULL)
            why->considered++;
        if (r == NULL || !rbacrule_grants(&r->grant, vis->stream))
            continue;
        vis->grants++;
        if (why != NULL) {
            why->binding_kind = rbacobj_kind_names[bd->kind];
            why->binding_ns = bd->ns;
            why->binding_name = bd->name;
            why->role_kind = rbacobj_kind_names[r->kind];
            why->role_name = r->name;
            why->role_bootstrap = r->bootstrap;
            why->subject = rbac_subject_words[subject];
        }
        if (vis->each == NULL || vis->each(vis->arg, why) != 0)
            return 1;
    }
    return 0;
}

/* Visit the bindings that may grant sa_ns/sa_name a pull from project. */
static void rbac_visit(const struct rbac *rb, const char *sa_ns,
                       const char *sa_name, const char *project,
                       struct rbac_visit *vis)
{
    struct rbackey user, nsgroup, ik;
    const char *subjects[4];
    size_t i;

    rbackey_init(&user);
    rbackey_init(&nsgroup);
    rbackey_init(&ik);
    if (rb == NULL || sa_ns == NULL || sa_name == NULL || project == NULL ||
        vis->stream == NULL || sa_ns[0] == '\0' || sa_name[0] == '\0' ||
        project[0] == '\0')
        goto out;
    /* Who the service account is to the authorizer. On ENOMEM: deny. */
    if (rbackey_str(&user, "u:" RBACOBJ_SA_USER_PREFIX) != 0 ||
        rbackey_str(&user, sa_ns) != 0 || rbackey_str(&user, ":") != 0 ||
        rbackey_str(&user, sa_name) != 0 ||
        rbackey_str(&nsgroup, "g:" RBACOBJ_SA_GROUP_PREFIX) != 0 ||
        rbackey_str(&nsgroup, sa_ns) != 0)
        goto out;
    subjects[0] = user.b.p;
    subjects[1] = nsgroup.b.p;
    subjects[2] = "g:" RBACOBJ_SA_GROUP;
    subjects[3] = "g:" RBACOBJ_AUTHENTICATED;
    for (i = 0; i < 4; i++) {
        /* ClusterRoleBindings first, as the authorizer visits them. */
        if (rbac_check_posting(
                strmap_get(rb->cluster_index, subjects[i], strlen(subjects[i])),
                i, vis))
            goto out;
        if (rbackey_pair(&ik, project, subjects[i]) != 0)
            goto out;
        if (rbac_check_posting(strmap_get(rb->ns_index, ik.b.p, ik.b.len), i,
                               vis))
            goto out;
    }
out:
    rbackey_release(&user);
    rbackey_release(&nsgroup);
    rbackey_release(&ik);
}

int rbac_may_pull_why(const struct rbac *rb, const char *sa_ns,
                      const char *sa_name, const char *project,
                      const char *stream, struct rbac_why *why)
{
    struct rbac_visit vis = {stream, why, NULL, NULL, 0};

    if (why != NULL)
        memset(why, 0, sizeof(*why));
    rbac_visit(rb, sa_ns, sa_name, project, &vis);
    return vis.grants > 0;
}

size_t rbac_pull_grants(const struct rbac *rb, const char *sa_ns,
                        const char *sa_name, const char *project,
                        const char *stream, rbac_grant_fn *each, void *arg)
{
    struct rbac_why why;
    struct rbac_visit vis = {stream, &why, each, arg, 0};

    memset(&why, 0, sizeof(why));
    rbac_visit(rb, sa_ns, sa_name, project, &vis);
    return vis.grants;
}

int rbac_may_pull(const struct rbac *rb, const char *sa_ns, const char *sa_name,
                  const char *project, const char *stream)
{
    return rbac_may_pull_why(rb, sa_ns, sa_name, project, stream, NULL);
}

const json_t *rbac_service_account_pull_secrets(const struct rbac *rb,
                                                const char *ns,
                                                const char *name)
{
    const struct rbacobj_sa *sa = NULL;
    struct rbackey k;

    rbackey_init(&k);
    if (rb != NULL && ns != NULL && name != NULL &&
        rbackey_pair(&k, ns, name) == 0)
        sa = strmap_get(rb->objs[RBACOBJ_SERVICE_ACCOUNT], k.b.p, k.b.len);
    rbackey_release(&k);
    return sa != NULL ? sa->secrets : NULL;
}

size_t rbac_binding_count(const struct rbac *rb)
{
    if (rb == NULL)
        return 0;
    return strmap_count(rb->objs[RBACOBJ_ROLE_BINDING]) +
           strmap_count(rb->objs[RBACOBJ_CLUSTER_ROLE_BINDING]);
}

size_t rbac_role_count(const struct rbac *rb)
{
    if (rb == NULL)
        return 0;
    return rb->n_roles;
}

/* ---- bootstrap roles ---- */

static int rbac_boot_load(struct rbac *rb)
{
    struct rbackey k;
    size_t i;
    int rc = -1;

    rbackey_init(&k);
    for (i = 0; i < rbacboot_count(); i++) {
        const char *ns, *name;
        enum rbacobj_kind kind;
        json_t *obj = json_object();
        struct rbacobj_role *r = NULL;

        rbacboot_name(i, &ns, &name);
        kind = ns[0] ? RBACOBJ_ROLE : RBACOBJ_CLUSTER_ROLE;
        if (obj != NULL &&
            json_object_set_new(obj, "rules", rbacboot_rules(i)) == 0)
            r = rbacobj_parse_role(obj, kind, ns, name, 0, NULL);
        json_decref(obj);
        if (r == NULL)
            goto out;
        r->bootstrap = 1;
        if (rbackey_pair(&k, ns, name) != 0 ||
            strmap_put(rb->boot[kind], k.b.p, k.b.len, r, NULL) != 0) {
            rbacobj_role_free(r);
            goto out;
        }
    }
    rc = 0;
out:
    rbackey_release(&k);
    return rc;
}

/* ---- life cycle ---- */

struct rbac *rbac_new(const struct siphash_key *key)
{
    struct rbac *rb = calloc(1, sizeof(*rb));
    struct rbac *ret = NULL;
    int i;

    if (rb == NULL)
        goto out;
    for (i = 0; i < RBACOBJ_NKINDS; i++) {
        if ((rb->objs[i] = strmap_new(key)) == NULL)
            goto out;
    }
    if ((rb->boot[RBACOBJ_ROLE] = strmap_new(key)) == NULL ||
        (rb->boot[RBACOBJ_CLUSTER_ROLE] = strmap_new(key)) == NULL ||
        (rb->ns_index = strmap_new(key)) == NULL ||
        (rb->cluster_index = strmap_new(key)) == NULL)
        goto out;
    if (rbac_boot_load(rb) != 0)
        goto out;
    ret = rb;
    rb = NULL;
out:
    rbac_free(rb);
    return ret;
}

/* What a map holds, for rbac_map_free(). */
enum rbac_vals { RBAC_VALS_OBJS, RBAC_VALS_SLOTS, RBAC_VALS_POSTINGS };

/* Free a map and the values it holds (objects of kind, slots, postings). */
static void rbac_map_free(struct strmap *m, enum rbac_vals vals,
                          enum rbacobj_kind kind)
{
    size_t pos = 0;
    void *val;

    while (strmap_next(m, &pos, NULL, NULL, &val)) {
        if (vals == RBAC_VALS_POSTINGS)
            rbac_posting_free(val);
        else if (vals == RBAC_VALS_SLOTS)
            rbac_slot_free(val);
        else
            rbacobj_free(kind, val);
    }
    strmap_free(m);
}

void rbac_free(struct rbac *rb)
{
    int i;

    if (rb == NULL)
        return;
    /* Bindings first: they point into slots, slots into rb->boot. */
    for (i = 0; i < RBACOBJ_NKINDS; i++) {
        if (i != RBACOBJ_ROLE && i != RBACOBJ_CLUSTER_ROLE)
            rbac_map_free(rb->objs[i], RBAC_VALS_OBJS, (enum rbacobj_kind)i);
    }
    rbac_map_free(rb->objs[RBACOBJ_ROLE], RBAC_VALS_SLOTS, RBACOBJ_ROLE);
    rbac_map_free(rb->objs[RBACOBJ_CLUSTER_ROLE], RBAC_VALS_SLOTS,
                  RBACOBJ_CLUSTER_ROLE);
    for (i = 0; i < RBACOBJ_NKINDS; i++)
        rbac_map_free(rb->boot[i], RBAC_VALS_OBJS, (enum rbacobj_kind)i);
    rbac_map_free(rb->ns_index, RBAC_VALS_POSTINGS, RBACOBJ_NKINDS);
    rbac_map_free(rb->cluster_index, RBAC_VALS_POSTINGS, RBACOBJ_NKINDS);
    free(rb);
}
