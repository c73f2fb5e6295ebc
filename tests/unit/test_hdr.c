/* test_hdr.c - the latency histogram: resolution (3 significant digits
 * everywhere from 1 us to an hour), percentiles against exact ones, merging
 * equals recording everything in one, clamping, reading counters back. */
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
	static struct rf__hdr h, a, b, back;
	rf__hdr_init(&h);
	CHECK(rf__hdr_percentile(&h, 50) == 0 && h.total == 0, "empty: percentiles are 0");

	/* every value from 1 us to an hour keeps 3 significant digits */
	int bad = 0;
	for (uint64_t v = 1; v <= UINT64_C(3600000000); v = v * 1.013 + 1) {
		rf__hdr_init(&h);
		rf__hdr_record(&h, v);
		uint64_t got = rf__hdr_percentile(&h, 50);
		if (got != v) /* min == max == v: exact */
			bad++;
		uint64_t c, top;
		size_t i;
		for (i = 0; rf__hdr_counter(&h, i, &c, &top) && !c; i++)
			;
		if (!(top >= v && (double)(top - v) <= (double)v / 1024.0 + 1))
			bad++;
	}
	CHECK(bad == 0, "1 us .. 1 h: each value's counter is within 1/1024 above it (%d bad)", bad);
	CHECK(RF__HDR_MAX_US >= UINT64_C(3600000000), "range reaches an hour (%llu us)",
	      (unsigned long long)RF__HDR_MAX_US);
	CHECK(sizeof(struct rf__hdr) < 200 * 1024, "constant memory: %zu bytes", sizeof(struct rf__hdr));

	/* percentiles of a long-tailed random sample against the exact ones */
	enum { N = 200000 };
	static uint64_t v[N];
	uint64_t seed = 88172645463325252ull;
	rf__hdr_init(&h);
	rf__hdr_init(&a);
	rf__hdr_init(&b);
	for (size_t i = 0; i < N; i++) {
		double u = (double)(xorshift(&seed) % 1000000) / 1e6;
		v[i] = 100 + (uint64_t)(50.0 / (1.0 - u * 0.999)) * 37; /* 100 us .. ~1.9 s */
		rf__hdr_record(&h, v[i]);
		rf__hdr_record(i % 3 ? &a : &b, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	static const double ps[] = {1, 25, 50, 75, 90, 99, 99.9, 99.99};
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
		uint64_t want = exact(v, N, ps[k]), got = rf__hdr_percentile(&h, ps[k]);
		CHECK(got >= want && (double)(got - want) <= (double)want / 1024.0 + 1,
		      "p%g = %llu us, exact %llu", ps[k], (unsigned long long)got,
		      (unsigned long long)want);
	}
	CHECK(rf__hdr_percentile(&h, 0) == v[0] && rf__hdr_percentile(&h, 100) == v[N - 1],
	      "p0 and p100 are the exact min and max");
	double mean = 0;
	for (size_t i = 0; i < N; i++)
		mean += (double)v[i];
	mean /= N;
	CHECK(fabs(rf__hdr_mean(&h) - mean) < 1e-6 * mean, "mean exact (%.3f vs %.3f)",
	      rf__hdr_mean(&h), mean);
	CHECK(rf__hdr_stdev(&h) > 0, "stdev %.1f", rf__hdr_stdev(&h));

	/* merging the two thirds gives the very same histogram */
	rf__hdr_merge(&a, &b);
	CHECK(a.total == h.total && a.min == h.min && a.max == h.max &&
	          memcmp(a.counts, h.counts, sizeof(h.counts)) == 0,
	      "merge of two parts == one histogram of everything");
	for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++)
		CHECK(rf__hdr_percentile(&a, ps[k]) == rf__hdr_percentile(&h, ps[k]),
		      "merged p%g equals the single run's", ps[k]);

	/* written out counter by counter and read back */
	rf__hdr_init(&back);
	uint64_t c, top;
	int errs = 0;
	for (size_t i = 0; rf__hdr_counter(&h, i, &c, &top); i++)
		errs += rf__hdr_add_counter(&back, i, c, top) != 0;
	CHECK(errs == 0 && back.total == h.total &&
	          memcmp(back.counts, h.counts, sizeof(h.counts)) == 0 &&
	          rf__hdr_percentile(&back, 99) == rf__hdr_percentile(&h, 99),
	      "counters read back give the same percentiles");
	CHECK(rf__hdr_add_counter(&back, 5000, 1, 12345) != 0,
	      "a counter of another layout is refused");

	/* values past the range are clamped and counted */
	rf__hdr_init(&h);
	rf__hdr_record(&h, UINT64_C(1) << 40);
	rf__hdr_record_n(&h, 7, 3);
	CHECK(h.clamped == 1 && h.max == RF__HDR_MAX_US && h.total == 4 &&
	          rf__hdr_percentile(&h, 50) == 7,
	      "over the range: clamped to the top and counted; record_n counts n");
	return tap_done();
}
