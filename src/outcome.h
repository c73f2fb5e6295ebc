/*
 * outcome.h - what a finished attempt leads to (outcome.c): report, requeue now,
 * or retry after a delay, and whether its .part is kept.
 */
#ifndef RF_OUTCOME_H
#define RF_OUTCOME_H

#include <stdbool.h>
#include <stdint.h>

#include "ringfetch.h"

struct rf__conn;
struct rf__origin;
struct rf__req;
struct rf__slot;
struct rf__url;

/* What a finished attempt leads to (outcome.c). */
enum rf__next {
	RF__NEXT_REPORT,  /* report the result (success or failure) */
	RF__NEXT_REQUEUE, /* redirect or stale connection: back to the queue now */
	RF__NEXT_RETRY,   /* a retryable failure: again after delay */
};
struct rf__outcome {
	bool decided;
	enum rf__next next;
	int64_t delay;  /* RF__NEXT_RETRY: ns */
	bool keep_part; /* a failed attempt's .part is worth keeping */
	bool resume;    /* ... and the retry continues it with Range */
};

static inline void rf__outcome_reset(struct rf__outcome *o)
{
	*o = (struct rf__outcome){.decided = false};
}

/* What the finished attempt of s leads to, decided at the first call (once
 * its bytes are all on disk) and the same for every later one. */
const struct rf__outcome *rf__outcome(rf_client *c, struct rf__slot *s);
/* The failure of s is of a retryable kind (whatever the retry budget). */
bool rf__retry_allowed(const rf_client *c, const struct rf__slot *s);

#endif
