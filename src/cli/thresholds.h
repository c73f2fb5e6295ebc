/*
 * thresholds.h - `ringfetch bench --fail-if EXPR[,EXPR...]`: conditions on
 * a finished (or merged) report that make the run exit non-zero - a CI
 * gate in one flag (k6's thresholds, as failure conditions).
 */
#ifndef RF_CLI_THRESHOLDS_H
#define RF_CLI_THRESHOLDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench_report.h"

#define THRESHOLDS_MAX 32

enum threshold_metric {
	TH_PERCENTILE, /* pN: latency at percentile N (us) */
	TH_MEAN,       /* mean latency (us) */
	TH_MAX,        /* max latency (us) */
	TH_ERRORS,     /* failed requests (a count, or with % a share of attempts) */
	TH_CLASS,      /* responses of a status class (count or share of responses) */
	TH_RPS,        /* requests per second */
	TH_REQUESTS,   /* responses in all */
};

struct threshold {
	char text[64]; /* as given, for messages */
	enum threshold_metric metric;
	double pct;   /* TH_PERCENTILE: which */
	int klass;    /* TH_CLASS: 1..5 */
	bool share;   /* the value is a share (given with %) */
	int op;       /* '>', '<', 'G' (>=), 'L' (<=) */
	double value; /* us for latencies, a fraction for shares */
};

struct thresholds {
	struct threshold t[THRESHOLDS_MAX];
	size_t n;
};

/* Add the comma-separated expressions of one --fail-if: 0, or -1 with what
 * was wrong in err. */
int thresholds_parse(struct thresholds *ts, const char *spec, char *err, size_t errlen);
/* Write a line to `to` for each threshold the report crosses, with the
 * measured value; the number crossed. */
size_t thresholds_check(const struct thresholds *ts, const struct bench_report *r, FILE *to);

#endif
