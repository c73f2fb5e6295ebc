/*
 * fault.h - fault injection for debug builds (RINGFETCH_FAULTS).
 *
 * RINGFETCH_FAULTS=SEED[:PERCENT[:KINDS]] makes PERCENT % (default 5) of
 * the chances of each chosen kind go wrong, deterministically for a seed.
 * KINDS (default "seq"): s, short reads, receives, sends, writes and
 * splices; e, socket and file ops failing instead of running; a, sends
 * and receives answering -EINTR or -EAGAIN (nothing moved); q, the SQ
 * flushed early (loop.c does these three); m, the engine's allocations on
 * a transfer's path failing (alloc.h).  In NDEBUG builds everything here
 * is off and costs nothing.
 */
#ifndef RF_FAULT_H
#define RF_FAULT_H

#include <stdbool.h>
#include <stdint.h>

struct rf__faults {
	unsigned percent; /* 0: off */
	bool shorts, errors, again, flush, alloc;
	uint64_t state; /* xorshift, from the seed */
};

#ifndef NDEBUG
/* Read RINGFETCH_FAULTS into f; salt separates independent streams. */
void rf__faults_setup(struct rf__faults *f, uint64_t salt);
uint64_t rf__fault_rand(struct rf__faults *f);
/* Does a chance of this kind (enabled or not) go wrong now? */
bool rf__fault_now(struct rf__faults *f, bool kind);
/* Should this allocation fail (kind m; per thread)? */
bool rf__fault_alloc(void);
#else
static inline void rf__faults_setup(struct rf__faults *f, uint64_t salt)
{
	(void)salt;
	*f = (struct rf__faults){0};
}
static inline uint64_t rf__fault_rand(struct rf__faults *f)
{
	(void)f;
	return 0;
}
static inline bool rf__fault_now(struct rf__faults *f, bool kind)
{
	(void)f, (void)kind;
	return false;
}
static inline bool rf__fault_alloc(void)
{
	return false;
}
#endif

#endif
