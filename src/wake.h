/*
 * wake.h - the earliest moment the run loop must wake up for.  Whoever
 * arms a deadline (a slot's timeouts, a rate limit's wait, a retry's
 * delay) notes it here; the client's loop waits until the earliest.  A
 * header of its own, under both, so noting a deadline is no call up.
 */
#ifndef RF_WAKE_H
#define RF_WAKE_H

#include <stdint.h>

struct rf__wake {
	int64_t at; /* INT64_MAX: nothing armed */
};

/* A deadline the loop must wake up for (it keeps only the earliest). */
static inline void rf__wake_at(struct rf__wake *w, int64_t deadline)
{
	if (deadline < w->at)
		w->at = deadline;
}

#endif
