/* lograte.h - at most so many log lines a second of one kind, and a count
 * of the others: the logic alone, the time handed in. */
#ifndef WEBHOOK_LOGRATE_H
#define WEBHOOK_LOGRATE_H

/* Lines of one kind let through in each one-second window. */
#define LOGRATE_PER_S 10

/* The state of one kind of line; all zero to start. */
struct lograte {
    long long window_us;     /* start of the current one-second window */
    unsigned in_window;      /* lines let through in it */
    unsigned long long held; /* lines held back and not reported yet */
    long long first_held_us; /* when the first of them came */
    long long last_held_us;  /* when the last of them came */
};

/*
 * A line of this kind at now_us (a monotonic clock, microseconds, never 0):
 * 1 to write it (one of the first LOGRATE_PER_S of its one-second window),
 * 0 to hold it back (counted for lograte_report()).
 */
int lograte_take(struct lograte *r, long long now_us);

/*
 * Whether to report the lines held back, at now_us: once none has been held
 * back for quiet_us (the flood is over), or the first of them is max_us old
 * (a flood that goes on is still reported now and then). Then sets *n (how
 * many) and *seconds (from the first of them to now), starts a new count
 * and returns 1; else returns 0. max_us 0: report whatever is held.
 */
int lograte_report(struct lograte *r, long long now_us, long long quiet_us,
                   long long max_us, unsigned long long *n, double *seconds);

#endif
