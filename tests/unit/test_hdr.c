/* test_hdr.c - the latency histogram: resolution (3 significant digits
 * everywhere from 1 us to an hour; 1/64 in the coarse layout), percentiles
 * against exact ones, merging equals recording everything in one (also
 * across layouts), clamping, reading counters back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "tap.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The exact p-th percentile of sorted v[0..n): the ceil(p% n)-th value. */
static uint64_t exact(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p / 100.0 * (double)n);
	return v[rank ? rank - 1 : 0];
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(void)
{
	struct rf__hdr *hp = rf__hdr_new(RF__HDR_SUB_BITS), *ap = rf__hdr_new(RF__HDR_SUB_BITS);
	struct rf__hdr *bp = rf__hdr_new(RF__HDR_SUB_BITS), *backp = rf__hdr_new(RF__HDR_SUB_BITS);
	struct rf__hdr *coarse = rf__hdr_new(RF__HDR_COARSE_BITS);
	if (!hp || !ap || !bp || !backp || !coarse)
		return 99;
	CHECK(rf__hdr_percentile(hp, 50) == 0 && hp->total == 0, "empty: percentiles are 0");
	CHECK(rf__hdr_new(3) == NULL && rf__hdr_new(12) == NULL, "layouts outside 4..11 bits refused");

	/* every value from 1 us to an hour keeps 3 significant digits (1/64 coarse) */
	for (int layout = 0; layout < 2; layout++) {
		struct rf__hdr *one = layout ? coarse : hp;
		double within = layout ? 64.0 : 1024.0;
		int bad = 0;
		for (uint64_t v = 1; v <= UINT64_C(3600000000); v = v * 1.013 + 1) {
			rf__hdr_clear(one);
			rf__hdr_record(one, v);
			uint64_t got = rf__hdr_percentile(one, 50);
			if (got != v) /* min == max == v: exact */
				bad++;
			uint64_t c, top;
			size_t i;
			for (i = 0; rf__hdr_counter(one, i, &c, &top) && !c; i++)
				;
			if (!(top >= v && (double)(top - v) <= (double)v / within + 1))
				bad++;
		}
		CHECK(bad == 0, "1 us .. 1 h: each value's counter is within 1/%g above it (%d bad)",
		      within, bad);
	}
	CHECK(RF__HDR_MAX_US >= UINT64_C(3600000000), "range reaches an hour (%llu us)",
	      (unsigned long long)RF__HDR_MAX_US);
	CHECK(hp->n_counts * 8 < 200 * 1024 && coarse->n_counts * 8 < 16 * 1024,
	      "constant memory: %zu and %zu bytes of counters", hp->n_counts * 8, coarse->n_counts * 8);

	/* percentiles of a long-tailed random sample against the exact ones */
	enum { N = 200000 };
	static uint64_t v[N];
	uint64_t seed = 88172645463325252ull;
	rf__hdr_clear(hp);
	rf__hdr_clear(ap);
	rf__hdr_clear(bp);
	for (size_t i = 0; i < N; i++) {
		double u = (double)(xorshift(&seed) % 1000000) / 1e6;
		v[i] = 100 + (uint64_t)(50.0 / (1.0 - u * 0.999)) * 37; /* 100 us .. ~1.9 s */
		rf__hdr_record(hp, v[i]);
		rf__hdr_record(i % 3 ? ap : bp, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	static const double ps[] = {1, 25, 50, 75, 90, 99, 99.9, 99.99};
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t want = exact(v, N, ps[k]), got = rf__hdr_percentile(hp, ps[k]);
		CHECK(got >= want && (double)(got - want) <= (double)want / 1024.0 + 1,
		      "p%g = %llu us, exact %llu", ps[k], (unsigned long long)got,
		      (unsigned long long)want);
	}
	CHECK(rf__hdr_percentile(hp, 0) == v[0] && rf__hdr_percentile(hp, 100) == v[N - 1],
	      "p0 and p100 are the exact min and max");
	double mean = 0;
	for (size_t i = 0; i < N; i++)
		mean += (double)v[i];
	mean /= N;
	CHECK(fabs(rf__hdr_mean(hp) - mean) < 1e-6 * mean, "mean exact (%.3f vs %.3f)",
	      rf__hdr_mean(hp), mean);
	CHECK(rf__hdr_stdev(hp) > 0, "stdev %.1f", rf__hdr_stdev(hp));

	/* merging the two thirds gives the very same histogram */
	rf__hdr_merge(ap, bp);
	CHECK(ap->total == hp->total && ap->min == hp->min && ap->max == hp->max &&
	          memcmp(ap->counts, hp->counts, hp->n_counts * 8) == 0,
	      "merge of two parts == one histogram of everything");
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		CHECK(rf__hdr_percentile(ap, ps[k]) == rf__hdr_percentile(hp, ps[k]),
		      "merged p%g equals the single run's", ps[k]);

	/* written out counter by counter and read back */
	rf__hdr_clear(backp);
	uint64_t c, top;
	int errs = 0;
	for (size_t i = 0; rf__hdr_counter(hp, i, &c, &top); i++)
		errs += rf__hdr_add_counter(backp, i, c, top) != 0;
	CHECK(errs == 0 && backp->total == hp->total &&
	          memcmp(backp->counts, hp->counts, hp->n_counts * 8) == 0 &&
	          rf__hdr_percentile(backp, 99) == rf__hdr_percentile(hp, 99),
	      "counters read back give the same percentiles");
	CHECK(rf__hdr_add_counter(backp, 5000, 1, 12345) != 0,
	      "a counter of another layout is refused");

	/* values past the range are clamped and counted */
	rf__hdr_clear(hp);
	rf__hdr_record(hp, UINT64_C(1) << 40);
	rf__hdr_record_n(hp, 7, 3);
	CHECK(hp->clamped == 1 && hp->max == RF__HDR_MAX_US && hp->total == 4 &&
	          rf__hdr_percentile(hp, 50) == 7,
	      "over the range: clamped to the top and counted; record_n counts n");

	/* the coarse layout: percentiles within 1/64; merged into the fine one,
	 * totals, min, max and mean stay exact */
	rf__hdr_clear(coarse);
	seed = 88172645463325252ull;
	for (size_t i = 0; i < N; i++) {
		double u = (double)(xorshift(&seed) % 1000000) / 1e6;
		rf__hdr_record(coarse, 100 + (uint64_t)(50.0 / (1.0 - u * 0.999)) * 37);
	}
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t want = exact(v, N, ps[k]), got = rf__hdr_percentile(coarse, ps[k]);
		CHECK(got >= want && (double)(got - want) <= (double)want / 64.0 + 1,
		      "coarse p%g = %llu us, exact %llu", ps[k], (unsigned long long)got,
		      (unsigned long long)want);
	}
	rf__hdr_clear(ap);
	rf__hdr_merge(ap, coarse);
	struct rf__hdr *coarse2 = rf__hdr_new(RF__HDR_COARSE_BITS);
	if (!coarse2)
		return 99;
	rf__hdr_merge(coarse2, backp); /* fine into coarse: each fine counter lies in one coarse */
	CHECK(coarse2->total == N && memcmp(coarse2->counts, coarse->counts, coarse->n_counts * 8) == 0,
	      "the fine histogram merged into a coarse one equals the coarse record of the values");
	rf__hdr_free(coarse2);
	CHECK(ap->total == N && ap->min == v[0] && ap->max == v[N - 1] &&
	          fabs(rf__hdr_mean(ap) - mean) < 1e-6 * mean &&
	          rf__hdr_percentile(ap, 99) == rf__hdr_percentile(coarse, 99),
	      "a coarse histogram merged into a fine one keeps count, min, max, mean, p99");
	rf__hdr_free(hp);
	rf__hdr_free(ap);
	rf__hdr_free(bp);
	rf__hdr_free(backp);
	rf__hdr_free(coarse);
	return tap_done();
}
