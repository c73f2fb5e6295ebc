/*
 * hdr.h - a log-linear high-dynamic-range histogram of latencies, for the
 * load generator (issue 11): microseconds from 1 us to over an hour at 3
 * significant digits (every value is kept within 1/1024 of itself), in
 * constant memory (about 190 KiB), or coarser (within 1/64, 14 KiB) where
 * there are many (per URL, per second), and mergeable: histograms of several
 * threads or machines add, and percentiles come from the sum, never from
 * averaged percentiles.  The layout is HdrHistogram's (2048 sub-buckets per
 * power of two, the lower half shared with the bucket below).  A leaf:
 * numbers in, numbers out.
 */
#ifndef RF_HDR_H
#define RF_HDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RF__HDR_SUB_BITS 11   /* 2048 sub-buckets: 3 significant digits */
#define RF__HDR_COARSE_BITS 7 /* 128: within 1/64 (per URL, per second) */
#define RF__HDR_TOP_BITS 32   /* values up to 2^32 - 1 us, about 71 minutes */
#define RF__HDR_MAX_US ((UINT64_C(1) << RF__HDR_TOP_BITS) - 1)

struct rf__hdr {
	uint64_t total;     /* values recorded */
	uint64_t min, max;  /* exact, in us (min UINT64_MAX while empty) */
	double sum, sum_sq; /* for the mean and standard deviation */
	uint64_t clamped;   /* values above RF__HDR_MAX_US, counted as it */
	unsigned sub_bits;  /* the layout: 2^sub_bits sub-buckets per power of two */
	size_t n_counts;
	uint64_t counts[];
};

/* A histogram of the given layout (4..RF__HDR_SUB_BITS sub-bucket bits;
 * RF__HDR_SUB_BITS: about 190 KiB, RF__HDR_COARSE_BITS: about 14 KiB), or
 * NULL when out of memory or the layout is not one of those. */
struct rf__hdr *rf__hdr_new(unsigned sub_bits);
void rf__hdr_free(struct rf__hdr *h);
/* Empty again, the layout kept. */
void rf__hdr_clear(struct rf__hdr *h);
/* Record one value (us); values above RF__HDR_MAX_US count as it. */
void rf__hdr_record(struct rf__hdr *h, uint64_t us);
/* Record n values: the same value n times (a schedule's missed requests). */
void rf__hdr_record_n(struct rf__hdr *h, uint64_t us, uint64_t n);
/* dst += src.  Of one layout exactly; src of a finer or coarser layout is
 * added counter by counter at dst's resolution (min, max, sum exact). */
void rf__hdr_merge(struct rf__hdr *dst, const struct rf__hdr *src);
/* The value at percentile p (0..100): the smallest recorded value's
 * equivalent such that p % of the values are at or below it; 0 if empty. */
uint64_t rf__hdr_percentile(const struct rf__hdr *h, double p);
double rf__hdr_mean(const struct rf__hdr *h);
double rf__hdr_stdev(const struct rf__hdr *h);
/* The i-th counter: its count and the highest value it stands for; false
 * past the end.  For writing the histogram out (JSON, percentile files). */
bool rf__hdr_counter(const struct rf__hdr *h, size_t i, uint64_t *count, uint64_t *value);
/* Add count values that the i-th counter stands for (reading one back). */
int rf__hdr_add_counter(struct rf__hdr *h, size_t i, uint64_t count, uint64_t value);

#endif
