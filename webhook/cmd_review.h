/*
 * cmd_review.h - the commands that answer AdmissionReviews offline, with no
 * server: review (one request, from a file or stdin) and test (folders of
 * recorded cases, replayed and compared).
 */
#ifndef WEBHOOK_CMD_REVIEW_H
#define WEBHOOK_CMD_REVIEW_H

/*
 * review mutate|validate [--config F] [--bindings F] [FILE|-]: the answer on
 * stdout. argv holds the argc words after the command. Returns the exit
 * code: 0, or 2 on bad input (bad flags exit 2 at once).
 */
int cmd_review(int argc, char **argv);

/*
 * test [--config F] [--bindings F] DIR...: a PASS or FAIL line a case and a
 * count. Returns the exit code: 0 when every case passed, else 1.
 */
int cmd_review_test(int argc, char **argv);

#endif
