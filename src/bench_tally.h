/*
 * bench_tally.h - what the load generator counts besides its run totals,
 * per thread: per target (requests, errors, status classes, latency, the
 * first error) and per step of the time series (requests, errors,
 * latency by when each request was due or sent).  Threads count on their
 * own; the run adds the tallies up at the end.  Memory, per thread: a
 * coarse histogram (hdr.h, about 14 KiB) per target it answered, for the
 * first RF_BENCH_TARGET_HISTS targets, and per step it answered in, at most
 * RF_BENCH_MAX_STEPS steps (a long run's steps widen): under 17 MiB for
 * the series, 14 MiB for the targets.
 */
#ifndef RF_BENCH_TALLY_H
#define RF_BENCH_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RF__TALLY_SAMPLE 200

struct rf__tally_target {
	uint64_t requests, ok, errors, status_class[6];
	struct rf__hdr *lat; /* from its first response; never past
	                        RF_BENCH_TARGET_HISTS targets */
	char sample[RF__TALLY_SAMPLE];
};

struct rf__tally_step {
	uint64_t requests, errors;
	struct rf__hdr *lat; /* NULL until a response lands in the step */
};

struct rf__tally {
	struct rf__tally_target *targets;
	size_t n_targets;
	struct rf__tally_step *steps;
	size_t n_steps;       /* steps in use */
	int64_t step_ns;      /* the width of a step */
	bool short_of_memory; /* a step's histogram could not be had */
};

/* 0 or -ENOMEM. */
int rf__tally_init(struct rf__tally *t, size_t n_targets, int64_t step_ns);
void rf__tally_free(struct rf__tally *t);
/* A complete response of target i with this status and latency (us); at:
 * its latency origin, ns into the measured part (>= 0). */
void rf__tally_response(struct rf__tally *t, size_t i, int64_t at, int status, uint64_t us);
/* An error of target i (a status error too); sample: its message, kept
 * when it is the target's first. */
void rf__tally_error(struct rf__tally *t, size_t i, int64_t at, const char *sample);
/* dst += src (same targets); steps of different widths are widened to the
 * wider.  0 or -ENOMEM. */
int rf__tally_merge(struct rf__tally *dst, const struct rf__tally *src);

#endif
