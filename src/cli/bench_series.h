/*
 * bench_series.h - `ringfetch bench`'s time series: requests, errors and
 * latency per step (a second, wider on long runs) of the measured part,
 * with what an open-model schedule had due.  Taken from a run, printed as
 * a chart of 80 columns (--timeline), plotted with gnuplot, written to and
 * read back from the JSON report, and added up step by step across merged
 * runs (runs started together: --start-at).
 */
#ifndef RF_CLI_BENCH_SERIES_H
#define RF_CLI_BENCH_SERIES_H

#include <stdbool.h>
#include <stdio.h>

#include <ringfetch.h>

struct json;

struct report_step {
	uint64_t requests, errors;
	double scheduled;
	rf_hist *latency; /* 128 sub-buckets, or NULL (none) */
};

struct report_series {
	struct report_step *s;
	size_t n;
	double step; /* seconds */
};

int series_from_run(struct report_series *ts, const rf_bench_results *res);
void series_free(struct report_series *ts);
/* A line per step (several steps to a line past 40), bars of requests/s
 * (over the part of the step the run covered, duration seconds in all). */
void series_print(FILE *f, const struct report_series *ts, double duration);
/* ",\n  \"series\": {...}" */
void series_write_json(FILE *f, const struct report_series *ts);
int series_merge_json(struct report_series *ts, const struct json *o, const char *path, char *err,
                      size_t errlen);
/* Requests/s (and scheduled) above, p50 and p99 below, as PNG: 0, 1 when
 * gnuplot is not installed, -1 when it failed. */
int series_plot(const struct report_series *ts, const char *png_path, const char *title);

#endif
