/*
 * tap.h - a minimal TAP producer for the unit tests.  Each CHECK is one
 * test point; the plan is printed at the end ("1..N").  Exit status is 1 if
 * any point failed.
 */
#ifndef RF_TAP_H
#define RF_TAP_H

#include <stdio.h>

static int tap_n, tap_failed;

#define CHECK(cond, ...)                                                     \
	do {                                                                 \
		int ok_ = (cond);                                            \
		tap_n++;                                                     \
		char d_[1024];                                               \
		snprintf(d_, sizeof(d_), __VA_ARGS__);                       \
		for (char *q_ = d_; *q_; q_++)                               \
			if (*q_ == '\n' || *q_ == '\r')                       \
				*q_ = ' ';                                   \
		printf("%sok %d - %s\n", ok_ ? "" : "not ", tap_n, d_);      \
		if (!ok_) {                                                  \
			tap_failed++;                                        \
			printf("# failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		}                                                            \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
