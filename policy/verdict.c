/* verdict.c - the denial message and warnings a validation builds up. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

const char *verdict_reason_name(enum verdict_reason r)
{
    static const char *const names[VERDICT_REASONS] = {
        [VERDICT_CROSS_PROJECT] = "cross-project",
        [VERDICT_INVALID_REFERENCE] = "invalid-reference",
        [VERDICT_DATED_TAG] = "dated-tag",
        [VERDICT_LATEST] = "latest",
        [VERDICT_PULL_SECRET] = "pull-secret",
        [VERDICT_CROSS_STREAM_ALIAS] = "cross-stream-alias",
        [VERDICT_TOO_LARGE] = "too-large",
        [VERDICT_TRIGGER_ANNOTATION] = "trigger-annotation",
    };

    return (unsigned)r < VERDICT_REASONS ? names[r] : "unknown";
}

int verdict_init(struct verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->warnings = json_array();
    return v->warnings != NULL ? 0 : -1;
}

static void verdict_vwarn(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void verdict_vwarn(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
{
    char buf[VERDICT_WARNING_MAX + 1];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n < 0)
        return;
    if ((size_t)n > VERDICT_WARNING_MAX) {
        size_t end = VERDICT_WARNING_MAX - 3;

        while (end > 0 && ((unsigned char)buf[end] & 0xC0) == 0x80)
            end--;
        memcpy(buf + end, "...", 4);
    }
    if (json_array_append_new(v->warnings, json_string(buf)) != 0)
        v->failed = 1;
    else if ((unsigned)why < VERDICT_REASONS)
        v->warned[why]++;
}

static void verdict_vdeny(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void verdict_vdeny(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
{
    char buf[2048];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    strbuf_printf(&v->deny, "%s%s", v->deny.len > 0 ? "; " : "", buf);
    if ((unsigned)why < VERDICT_REASONS)
        v->denied[why]++;
}

void verdict_warn(struct verdict *v, enum verdict_reason why, const char *fmt,
                  ...)
{
    va_list ap;

    va_start(ap, fmt);
    verdict_vwarn(v, why, fmt, ap);
    va_end(ap);
}

void verdict_deny(struct verdict *v, enum verdict_reason why, const char *fmt,
                  ...)
{
    va_list ap;

    va_start(ap, fmt);
    verdict_vdeny(v, why, fmt, ap);
    va_end(ap);
}

void verdict_act(struct verdict *v, int action, enum verdict_reason why,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    if (action == CONFIG_WARN)
        verdict_vwarn(v, why, fmt, ap);
    else if (action == CONFIG_DENY)
        verdict_vdeny(v, why, fmt, ap);
    va_end(ap);
}

void verdict_free(struct verdict *v)
{
    json_decref(v->warnings);
    v->warnings = NULL;
    strbuf_free(&v->deny);
}
