/*
 * bench_targets.h - `ringfetch bench`'s statistics per URL: taken from a
 * run, printed as a table (80 columns), written to and read back from the
 * JSON report, and added up across merged runs (matched by method and URL).
 */
#ifndef RF_CLI_BENCH_TARGETS_H
#define RF_CLI_BENCH_TARGETS_H

#include <stdbool.h>
#include <stdio.h>

#include <ringfetch.h>

struct json;

struct report_target {
	char *url; /* redacted */
	char method[16];
	unsigned weight;
	uint64_t requests, ok, errors, status_class[6];
	rf_hist *latency; /* NULL when the run kept none */
	char sample[200];
};

struct report_targets {
	struct report_target *t;
	size_t n;
};

/* 0 or -ENOMEM. */
int targets_from_run(struct report_targets *ts, const rf_bench_results *res);
void targets_free(struct report_targets *ts);
/* The table: one line per URL (at most 20 unless wide), nothing for one. */
void targets_print(FILE *f, const struct report_targets *ts, bool wide);
/* ",\n  \"targets\": [...]" */
void targets_write_json(FILE *f, const struct report_targets *ts);
/* Add the report o's targets (a member "targets", may be missing): 0, or
 * -1 with what was wrong in err. */
int targets_merge_json(struct report_targets *ts, const struct json *o, const char *path, char *err,
                       size_t errlen);

#endif
