/*
 * ratelimit.h - a token bucket for --limit-rate and --limit-rate-per-host.
 *
 * Bytes are spent after they arrived (a receive's size is the kernel's
 * choice), so the balance may go below zero; a receive is armed only when
 * it is not, and otherwise the loop sleeps in its ring wait until the
 * refill covers the debt.  Over a few seconds the rate converges on the
 * limit; the burst (a tenth of a second's worth, at least 16 KiB) bounds
 * how far ahead it may run.
 */
#ifndef RF_RATELIMIT_H
#define RF_RATELIMIT_H

#include <stdint.h>

struct rf__bucket {
	double rate;   /* bytes per second; 0: no limit */
	double tokens; /* may be negative: bytes owed */
	double burst;
	int64_t at; /* ns of the last refill */
};

void rf__bucket_init(struct rf__bucket *b, double rate, int64_t now);
/* n bytes arrived. */
void rf__bucket_spend(struct rf__bucket *b, int64_t now, uint64_t n);
/* 0 when a receive may go now, else the ns to wait. */
int64_t rf__bucket_wait(struct rf__bucket *b, int64_t now);

#endif
