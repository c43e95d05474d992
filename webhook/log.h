/* log.h - log lines as JSON objects on stderr. */
#ifndef WEBHOOK_LOG_H
#define WEBHOOK_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below level are dropped; LOG_INFO until set. */
void log_set_level(enum log_level level);

/*
 * Write {"time": ..., "level": ..., "msg": ...} as one line on stderr,
 * atomically with respect to other threads.
 */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
