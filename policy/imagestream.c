/* imagestream.c - tag conventions: tags that embed a date. */
#include "imagestream.h"

#include <string.h>
#include <strings.h>

#define IMAGESTREAM_TOKENS_MAX 64

/* One run of digits or of letters of a tag, and what came before it. */
struct imagestream_token {
    const char *s;
    size_t n;
    int digits;
    char sep; /* the separator before it, 0 if none (a letter/digit change) */
};

static int imagestream_num(const char *s, size_t n)
{
    int v = 0;
    size_t i;

    for (i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int imagestream_year(const struct imagestream_token *t)
{
    int y;

    if (!t->digits || t->n != 4)
        return 0;
    y = imagestream_num(t->s, 4);
    return y >= 1970 && y <= 2099;
}

static int imagestream_ymd(const char *s)
{
    int y = imagestream_num(s, 4), m = imagestream_num(s + 4, 2),
        d = imagestream_num(s + 6, 2);

    return y >= 1970 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int imagestream_month(const struct imagestream_token *t)
{
    static const char *const months[] = {
        "jan",  "january", "feb",    "february", "mar",  "march",
        "apr",  "april",   "may",    "jun",      "june", "jul",
        "july", "aug",     "august", "sep",      "sept", "september",
        "oct",  "october", "nov",    "november", "dec",  "december"};
    size_t i;

    if (t->digits)
        return 0;
    for (i = 0; i < sizeof(months) / sizeof(months[0]); i++)
        if (strlen(months[i]) == t->n &&
            strncasecmp(months[i], t->s, t->n) == 0)
            return 1;
    return 0;
}

static int imagestream_two(const struct imagestream_token *t, int lo, int hi)
{
    int v;

    if (!t->digits || t->n != 2)
        return 0;
    v = imagestream_num(t->s, 2);
    return v >= lo && v <= hi;
}

static int imagestream_isalpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int imagestream_isdigit(char c)
{
    return c >= '0' && c <= '9';
}

int imagestream_tag_is_dated(const char *tag)
{
    struct imagestream_token t[IMAGESTREAM_TOKENS_MAX];
    size_t n = 0, i;
    const char *p = tag;
    char sep = 0;

    while (*p != '\0' && n < IMAGESTREAM_TOKENS_MAX) {
        const char *start = p;
        int digits = imagestream_isdigit(*p);

        if (!digits && !imagestream_isalpha(*p)) {
            sep = *p++;
            continue;
        }
        while (*p != '\0' &&
               (digits ? imagestream_isdigit(*p) : imagestream_isalpha(*p)))
            p++;
        t[n].s = start;
        t[n].n = (size_t)(p - start);
        t[n].digits = digits;
        t[n].sep = sep;
        n++;
        sep = 0;
    }
    for (i = 0; i < n; i++) {
        if (t[i].digits && (t[i].n == 8 || t[i].n == 12 || t[i].n == 14) &&
            imagestream_ymd(t[i].s))
            return 1;
        if (i + 2 < n && imagestream_year(&t[i]) && t[i + 1].sep != 0 &&
            t[i + 1].sep == t[i + 2].sep && imagestream_two(&t[i + 1], 1, 12) &&
            imagestream_two(&t[i + 2], 1, 31))
            return 1;
        if (i + 1 < n &&
            ((imagestream_month(&t[i]) && imagestream_year(&t[i + 1])) ||
             (imagestream_year(&t[i]) && imagestream_month(&t[i + 1]))))
            return 1;
    }
    return 0;
}
