/*
 * bench_report.h - what `ringfetch bench` reports, in every form: the table
 * on the terminal, the JSON file (with whole histograms), the percentile
 * spectrum in HdrHistogram's text format, its gnuplot plot, and reports read
 * back from JSON and merged (several load generators, one exact report).
 */
#ifndef RF_CLI_BENCH_REPORT_H
#define RF_CLI_BENCH_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#include <ringfetch.h>

#include "bench_series.h"
#include "bench_targets.h"

struct json;

#define REPORT_MAX_URLS 8 /* shown; the rest are counted */

struct bench_report {
	char *urls[REPORT_MAX_URLS];
	size_t n_urls;
	char method[16];
	char io[80]; /* the kernel path ("io_uring (...)", "epoll") */
	int open_model, no_keepalive;
	int http2_streams; /* 0: HTTP/1.1; N: HTTP/2, N streams per connection */
	double rate;
	unsigned connections, threads, runs; /* runs: reports merged (1: one run) */
	double duration;
	uint64_t requests, ok, bytes, errors[RF_BENCH_ERR_KINDS], status[600];
	uint64_t connects, handshakes, resumed, unsent;
	char samples[RF_BENCH_ERR_KINDS][200];
	rf_hist *latency, *ttfb, *connect, *handshake;
	rf_hist *service;      /* open model: send to last byte */
	uint64_t waited, late; /* open model: why requests went out late */
	char schedule[160];    /* open model with stages: "100/s, 30s:2000" */
	double peak_rate;      /* open model: the schedule's highest rate */
	struct report_targets targets;
	struct report_series series;
};

extern const char *const bench_error_names[RF_BENCH_ERR_KINDS];

/* An empty report (histograms allocated): 0 or -ENOMEM. */
int report_init(struct bench_report *r);
void report_free(struct bench_report *r);
/* Fill from a finished run. */
void report_from_run(struct bench_report *r, const rf_bench_opts *o, const rf_bench_results *res);
/* The report for people: within 80 columns (longer lines cut), or wide:
 * the whole latency table (min, mean, stdev, p50 .. p99.99, max), nothing
 * cut. */
void report_print(FILE *f, const struct bench_report *r, bool wide);
/* The same, with the time series chart after it. */
void report_print_timeline(FILE *f, const struct bench_report *r);
/* Everything, histograms included, as one JSON object. */
void report_write_json(FILE *f, const struct bench_report *r);
/* Read a report written by report_write_json and add it to r: 0, or -1 with
 * what was wrong in err. */
int report_merge_json(struct bench_report *r, const char *path, char *err, size_t errlen);
/* A latency for a table cell: "850us", "1.25ms", "2.50s"; and a
 * histogram's percentile p (max when p < 0), "-" when it is empty. */
void report_fmt_us(char *buf, size_t cap, double us);
void report_fmt_latency(char *buf, size_t cap, const rf_hist *h, double p);
/* A histogram as a JSON object (counts, percentiles, the counters), and
 * read back from one (a new histogram, or NULL with what was wrong). */
void report_json_hist(FILE *f, const rf_hist *h);
rf_hist *report_read_hist(const struct json *o, const char *what, char *err, size_t errlen);
/* The percentile spectrum (HdrHistogram's format, values in ms). */
void report_write_percentiles(FILE *f, const rf_hist *h);
/* Plot a spectrum file as PNG with gnuplot: 0, 1 when gnuplot is not
 * installed, -1 when it failed. */
int report_plot(const char *percentiles_path, const char *png_path, const char *title);

#endif
