/* verdict.c - the denial message and warnings a validation builds up. */
#include "verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "utf8.h"

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

int verdict_init_findings(struct verdict *v)
{
    if (verdict_init(v) != 0)
        return -1;
    v->findings = json_array();
    return v->findings != NULL ? 0 : -1;
}

/* The reasons whose messages end in a command that fixes them. */
static int verdict_has_fix(enum verdict_reason why)
{
    return why == VERDICT_CROSS_PROJECT || why == VERDICT_PULL_SECRET ||
           why == VERDICT_CROSS_STREAM_ALIAS;
}

/* One finding into v->findings, when it keeps them. */
static void verdict_finding(struct verdict *v, int deny,
                            enum verdict_reason why, const char *msg)
{
    json_t *f;
    const char *fix = NULL, *p;

    if (v->findings == NULL)
        return;
    /* The fix is what follows the message's last ": oc ": ours always comes
     * last, after anything the object could have put in the message. */
    for (p = msg; verdict_has_fix(why) && (p = strstr(p, ": oc ")) != NULL; p++)
        fix = p + 2;
    f = json_pack("{s:s, s:s, s:s, s:s}", "result", deny ? "deny" : "warn",
                  "reason", verdict_reason_name(why), "field",
                  v->where != NULL ? v->where : "", "message", msg);
    if (f == NULL ||
        (fix != NULL && json_object_set_new(f, "fix", json_string(fix)) != 0) ||
        json_array_append_new(v->findings, f) != 0)
        v->failed = 1;
}

/*
 * Replace each byte of s that does not start a valid UTF-8 sequence with
 * '?': a message quotes names and images cut at a byte count ("%.63s"),
 * which can split a character, and JSON strings must be valid UTF-8.
 */
static void verdict_utf8(char *s)
{
    unsigned char *p = (unsigned char *)s;
    size_t n = strlen(s), len;
    uint32_t r;

    while (n > 0) {
        len = utf8_decode(p, n, &r);
        if (len == 1 && r == 0xFFFD) /* U+FFFD itself takes three bytes */
            *p = '?';
        p += len;
        n -= len;
    }
}

/* The message of a warning or denial part: long enough for any we give. */
#define VERDICT_MESSAGE_MAX 2048

static void verdict_vwarn(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void verdict_vwarn(struct verdict *v, enum verdict_reason why,
                          const char *fmt, va_list ap)
{
    char buf[VERDICT_MESSAGE_MAX];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n < 0)
        return;
    verdict_utf8(buf);
    verdict_finding(v, 0, why, buf);
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
    char buf[VERDICT_MESSAGE_MAX];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    verdict_utf8(buf);
    verdict_finding(v, 1, why, buf);
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
    json_decref(v->findings);
    v->findings = NULL;
    strbuf_free(&v->deny);
}
