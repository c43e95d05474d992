/* lograte.c - at most so many log lines a second of one kind, and a count
 * of the others: the logic alone, the time handed in. */
#include "lograte.h"

int lograte_take(struct lograte *r, long long now_us)
{
    /* Fixed windows: a new one starts with the first line a second or
     * more after the start of the last. */
    if (r->window_us == 0 || now_us - r->window_us >= 1000000 ||
        now_us < r->window_us) {
        r->window_us = now_us;
        r->in_window = 0;
    }
    if (r->in_window < LOGRATE_PER_S) {
        r->in_window++;
        return 1;
    }
    if (r->held++ == 0)
        r->first_held_us = now_us;
    r->last_held_us = now_us;
    return 0;
}

int lograte_report(struct lograte *r, long long now_us, long long quiet_us,
                   long long max_us, unsigned long long *n, double *seconds)
{
    if (r->held == 0)
        return 0;
    if (max_us != 0 && now_us - r->last_held_us < quiet_us &&
        now_us - r->first_held_us < max_us)
        return 0;
    *n = r->held;
    *seconds = (double)(now_us - r->first_held_us) / 1e6;
    r->held = 0;
    return 1;
}
