/*
 * rbacboot.h - OpenShift's bootstrap roles that can grant a pull: a const
 * table of their rules (with the sources they were read from), which the
 * RBAC index uses for roles its source does not define.
 */
#ifndef POLICY_RBACBOOT_H
#define POLICY_RBACBOOT_H

#include <stddef.h>

#include <jansson.h>

/* How many roles the table holds. */
size_t rbacboot_count(void);

/*
 * Role i's (i < rbacboot_count()) namespace ("" for a ClusterRole) and
 * name, static strings.
 */
void rbacboot_name(size_t i, const char **ns, const char **name);

/*
 * Role i's rules as a JSON list of PolicyRule, so that they compile like
 * the source's: a new reference, or NULL on ENOMEM.
 */
json_t *rbacboot_rules(size_t i);

#endif
