/* monotime.h - the monotonic clock in seconds, milliseconds or microseconds. */
#ifndef LIB_MONOTIME_H
#define LIB_MONOTIME_H

/* CLOCK_MONOTONIC in milliseconds: for deadlines and durations only. */
long long monotime_ms(void);

/* CLOCK_MONOTONIC in microseconds: for deadlines and durations only. */
long long monotime_us(void);

/* CLOCK_MONOTONIC in seconds, to the nanosecond: for durations and timers. */
double monotime_s(void);

#endif
