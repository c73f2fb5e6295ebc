/*
 * hdr.c - the log-linear latency histogram (see hdr.h).
 *
 * Value v (us) lives in bucket b = the power of two above v's top sub_bits
 * bits (11 by default, 7 in the coarse layout),
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

static size_t counts_for(unsigned sb)
{
	return (size_t)(RF__HDR_TOP_BITS + 2 - sb) << (sb - 1);
}

static size_t index_of(const struct rf__hdr *h, uint64_t v)
{
	unsigned sb = h->sub_bits;
	uint64_t mask = (UINT64_C(1) << sb) - 1;
	unsigned top = 64 - (unsigned)__builtin_clzll(v | mask); /* >= sb */
	unsigned bucket = top - sb;
	size_t sub = (size_t)(v >> bucket); /* upper half, any in bucket 0 */
	return ((size_t)bucket << (sb - 1)) + sub;
}

/* The highest value counter i stands for. */
static uint64_t top_of(const struct rf__hdr *h, size_t i)
{
	unsigned sb = h->sub_bits;
	size_t half = (size_t)1 << (sb - 1);
	size_t bucket = i >> (sb - 1);
	if (bucket == 0) /* bucket 0 holds all its sub-buckets at resolution 1 */
		return i;
	uint64_t sub = (i & (half - 1)) + half;
	bucket -= 1;
	return ((sub + 1) << bucket) - 1;
}

struct rf__hdr *rf__hdr_new(unsigned sub_bits)
{
	if (sub_bits < 4 || sub_bits > RF__HDR_SUB_BITS)
		return NULL;
	size_t n = counts_for(sub_bits);
	struct rf__hdr *h = malloc(sizeof(*h) + n * sizeof(h->counts[0]));
	if (!h)
		return NULL;
	h->sub_bits = sub_bits;
	h->n_counts = n;
	rf__hdr_clear(h);
	return h;
}

void rf__hdr_free(struct rf__hdr *h)
{
	free(h);
}

void rf__hdr_clear(struct rf__hdr *h)
{
	h->total = h->max = h->clamped = 0;
	h->sum = h->sum_sq = 0;
	h->min = UINT64_MAX;
	memset(h->counts, 0, h->n_counts * sizeof(h->counts[0]));
}

void rf__hdr_record_n(struct rf__hdr *h, uint64_t us, uint64_t n)
{
	if (!n)
		return;
	if (us > RF__HDR_MAX_US) {
		us = RF__HDR_MAX_US;
		h->clamped += n;
	}
	h->counts[index_of(h, us)] += n;
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
	if (dst->sub_bits == src->sub_bits) {
		for (size_t i = 0; i < dst->n_counts; i++)
			dst->counts[i] += src->counts[i];
	} else { /* each counter's top lands in the counter of dst that covers it */
		for (size_t i = 0; i < src->n_counts; i++)
			if (src->counts[i])
				dst->counts[index_of(dst, top_of(src, i))] += src->counts[i];
	}
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
	for (size_t i = 0; i < h->n_counts; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			uint64_t v = top_of(h, i);
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
	if (i >= h->n_counts)
		return false;
	*count = h->counts[i];
	*value = top_of(h, i);
	return true;
}

int rf__hdr_add_counter(struct rf__hdr *h, size_t i, uint64_t count, uint64_t value)
{
	if (i >= h->n_counts || top_of(h, i) != value)
		return -EINVAL;            /* written by a histogram of another layout */
	rf__hdr_record_n(h, value, count); /* a counter's top falls in that counter */
	return 0;
}

/* ---- the public face (ringfetch.h): rf_hist is this histogram ---- */

static struct rf__hdr *in(rf_hist *h)
{
	return (struct rf__hdr *)(void *)h;
}

static const struct rf__hdr *cin(const rf_hist *h)
{
	return (const struct rf__hdr *)(const void *)h;
}

rf_hist *rf_hist_new(void)
{
	return (rf_hist *)(void *)rf__hdr_new(RF__HDR_SUB_BITS);
}

rf_hist *rf_hist_new_layout(unsigned sub_buckets)
{
	unsigned bits = 0;
	while (bits < 12 && (1u << bits) != sub_buckets)
		bits++;
	return (rf_hist *)(void *)rf__hdr_new(bits);
}

unsigned rf_hist_layout(const rf_hist *h)
{
	return 1u << cin(h)->sub_bits;
}

void rf_hist_free(rf_hist *h)
{
	rf__hdr_free(in(h));
}

void rf_hist_record(rf_hist *h, uint64_t us)
{
	rf__hdr_record(in(h), us);
}

void rf_hist_merge(rf_hist *dst, const rf_hist *src)
{
	rf__hdr_merge(in(dst), cin(src));
}

uint64_t rf_hist_count(const rf_hist *h)
{
	return cin(h)->total;
}

uint64_t rf_hist_min(const rf_hist *h)
{
	return cin(h)->total ? cin(h)->min : 0;
}

uint64_t rf_hist_max(const rf_hist *h)
{
	return cin(h)->max;
}

double rf_hist_mean(const rf_hist *h)
{
	return rf__hdr_mean(cin(h));
}

double rf_hist_stdev(const rf_hist *h)
{
	return rf__hdr_stdev(cin(h));
}

uint64_t rf_hist_percentile(const rf_hist *h, double p)
{
	return rf__hdr_percentile(cin(h), p);
}

int rf_hist_counter(const rf_hist *h, size_t i, uint64_t *count, uint64_t *value)
{
	return rf__hdr_counter(cin(h), i, count, value) ? 1 : 0;
}

int rf_hist_add_counter(rf_hist *h, size_t i, uint64_t count, uint64_t value)
{
	return rf__hdr_add_counter(in(h), i, count, value) ? RF_EINVAL : 0;
}

void rf_hist_exact(const rf_hist *h, uint64_t *min, uint64_t *max, double *sum, double *sum_sq)
{
	*min = rf_hist_min(h);
	*max = cin(h)->max;
	*sum = cin(h)->sum;
	*sum_sq = cin(h)->sum_sq;
}

void rf_hist_set_exact(rf_hist *h, uint64_t min, uint64_t max, double sum, double sum_sq)
{
	struct rf__hdr *d = in(h);
	if (!d->total)
		return;
	d->min = min;
	d->max = max;
	d->sum = sum;
	d->sum_sq = sum_sq;
}
