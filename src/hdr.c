/*
 * hdr.c - the log-linear latency histogram (see hdr.h).
 *
 * Value v (us) lives in bucket b = the power of two above v's top 11 bits,
 * at sub-bucket v >> b; counters are laid out bucket after bucket, each
 * bucket after the first holding only its upper half (its lower half is
 * the bucket below at twice the resolution).  A counter stands for the
 * range [s << b, ((s + 1) << b) - 1]; percentiles report the range's top,
 * so a reported latency is never below what was measured.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "ringfetch.h"

#define SUB_COUNT (1u << RF__HDR_SUB_BITS)
#define SUB_HALF (SUB_COUNT / 2)
#define SUB_MASK ((uint64_t)SUB_COUNT - 1)

static size_t index_of(uint64_t v)
{
	unsigned top = 64 - (unsigned)__builtin_clzll(v | SUB_MASK); /* >= 11 */
	unsigned bucket = top - RF__HDR_SUB_BITS;
	unsigned sub = (unsigned)(v >> bucket); /* SUB_HALF.. SUB_COUNT-1, any in bucket 0 */
	return ((size_t)bucket << (RF__HDR_SUB_BITS - 1)) + sub;
}

/* The highest value counter i stands for. */
static uint64_t top_of(size_t i)
{
	size_t bucket = i >> (RF__HDR_SUB_BITS - 1);
	uint64_t sub = i & (SUB_HALF - 1);
	if (bucket == 0) { /* bucket 0 holds all 2048 sub-buckets at resolution 1 */
		sub = i;
		return sub;
	}
	sub += SUB_HALF;
	bucket -= 1;
	return ((sub + 1) << bucket) - 1;
}

void rf__hdr_init(struct rf__hdr *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void rf__hdr_record_n(struct rf__hdr *h, uint64_t us, uint64_t n)
{
	if (!n)
		return;
	if (us > RF__HDR_MAX_US) {
		us = RF__HDR_MAX_US;
		h->clamped += n;
	}
	h->counts[index_of(us)] += n;
	h->total += n;
	if (us < h->min)
		h->min = us;
	if (us > h->max)
		h->max = us;
	h->sum += (double)us * (double)n;
	h->sum_sq += (double)us * (double)us * (double)n;
}

void rf__hdr_record(struct rf__hdr *h, uint64_t us)
{
	rf__hdr_record_n(h, us, 1);
}

void rf__hdr_merge(struct rf__hdr *dst, const struct rf__hdr *src)
{
	for (size_t i = 0; i < RF__HDR_COUNTS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->clamped += src->clamped;
	dst->sum += src->sum;
	dst->sum_sq += src->sum_sq;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t rf__hdr_percentile(const struct rf__hdr *h, double p)
{
	if (!h->total)
		return 0;
	if (p <= 0)
		return h->min;
	if (p >= 100)
		return h->max;
	/* the rank of the value: ceil(p% of total), at least 1 */
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)h->total);
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (size_t i = 0; i < RF__HDR_COUNTS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = top_of(i);
			return v > h->max ? h->max : v < h->min ? h->min : v;
		}
	}
	return h->max;
}

double rf__hdr_mean(const struct rf__hdr *h)
{
	return h->total ? h->sum / (double)h->total : 0.0;
}

double rf__hdr_stdev(const struct rf__hdr *h)
{
	if (h->total < 2)
		return 0.0;
	double mean = rf__hdr_mean(h);
	double var = h->sum_sq / (double)h->total - mean * mean;
	return var > 0 ? sqrt(var) : 0.0;
}

bool rf__hdr_counter(const struct rf__hdr *h, size_t i, uint64_t *count, uint64_t *value)
{
	if (i >= RF__HDR_COUNTS)
		return false;
	*count = h->counts[i];
	*value = top_of(i);
	return true;
}

int rf__hdr_add_counter(struct rf__hdr *h, size_t i, uint64_t count, uint64_t value)
{
	if (i >= RF__HDR_COUNTS || top_of(i) != value)
		return -EINVAL;            /* written by a histogram of another layout */
	rf__hdr_record_n(h, value, count); /* a counter's top falls in that counter */
	return 0;
}

/* ---- the public face (ringfetch.h): rf_hist is this histogram ---- */

struct rf_hist {
	struct rf__hdr h;
};

rf_hist *rf_hist_new(void)
{
	rf_hist *h = malloc(sizeof(*h));
	if (h)
		rf__hdr_init(&h->h);
	return h;
}

void rf_hist_free(rf_hist *h)
{
	free(h);
}

void rf_hist_record(rf_hist *h, uint64_t us)
{
	rf__hdr_record(&h->h, us);
}

void rf_hist_merge(rf_hist *dst, const rf_hist *src)
{
	rf__hdr_merge(&dst->h, &src->h);
}

uint64_t rf_hist_count(const rf_hist *h)
{
	return h->h.total;
}

uint64_t rf_hist_min(const rf_hist *h)
{
	return h->h.total ? h->h.min : 0;
}

uint64_t rf_hist_max(const rf_hist *h)
{
	return h->h.max;
}

double rf_hist_mean(const rf_hist *h)
{
	return rf__hdr_mean(&h->h);
}

double rf_hist_stdev(const rf_hist *h)
{
	return rf__hdr_stdev(&h->h);
}

uint64_t rf_hist_percentile(const rf_hist *h, double p)
{
	return rf__hdr_percentile(&h->h, p);
}

int rf_hist_counter(const rf_hist *h, size_t i, uint64_t *count, uint64_t *value)
{
	return rf__hdr_counter(&h->h, i, count, value) ? 1 : 0;
}

int rf_hist_add_counter(rf_hist *h, size_t i, uint64_t count, uint64_t value)
{
	return rf__hdr_add_counter(&h->h, i, count, value) ? RF_EINVAL : 0;
}

void rf_hist_exact(const rf_hist *h, uint64_t *min, uint64_t *max, double *sum, double *sum_sq)
{
	*min = rf_hist_min(h);
	*max = h->h.max;
	*sum = h->h.sum;
	*sum_sq = h->h.sum_sq;
}

void rf_hist_set_exact(rf_hist *h, uint64_t min, uint64_t max, double sum, double sum_sq)
{
	if (!h->h.total)
		return;
	h->h.min = min;
	h->h.max = max;
	h->h.sum = sum;
	h->h.sum_sq = sum_sq;
}
