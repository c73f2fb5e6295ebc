/*
 * ratelimit.c - token buckets (ratelimit.h).
 */
#include "ratelimit.h"

#define MIN_BURST 16384.0

void rf__bucket_init(struct rf__bucket *b, double rate, int64_t now)
{
	b->rate = rate > 0 ? rate : 0;
	b->burst = b->rate / 10 > MIN_BURST ? b->rate / 10 : MIN_BURST;
	b->tokens = b->burst;
	b->at = now;
}

static void refill(struct rf__bucket *b, int64_t now)
{
	if (now > b->at) {
		b->tokens += b->rate * (double)(now - b->at) / 1e9;
		if (b->tokens > b->burst)
			b->tokens = b->burst;
		b->at = now;
	}
}

void rf__bucket_spend(struct rf__bucket *b, int64_t now, uint64_t n)
{
	if (b->rate <= 0)
		return;
	refill(b, now);
	b->tokens -= (double)n;
}

int64_t rf__bucket_wait(struct rf__bucket *b, int64_t now)
{
	if (b->rate <= 0)
		return 0;
	refill(b, now);
	if (b->tokens >= 0)
		return 0;
	return (int64_t)(-b->tokens / b->rate * 1e9) + 1;
}
