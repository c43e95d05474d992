/*
 * strvec.h - a growable array of owned strings, kept as the caller's three
 * fields (array, count, capacity) so that a struct can hold several.
 */
#ifndef POLICY_STRVEC_H
#define POLICY_STRVEC_H

#include <stddef.h>

/*
 * Append a copy of s to the *n strings of *v (room for *cap), growing the
 * array when full. The array and the copies are the caller's: free them
 * with strvec_free(). Returns 0, or -1 on ENOMEM with the same *n strings
 * (the array may have grown).
 */
int strvec_push(char ***v, size_t *n, size_t *cap, const char *s);

/* Frees the n strings of v and v itself; v may be NULL (n 0). */
void strvec_free(char **v, size_t n);

#endif
