/*
 * results.h - what the CLI writes about each URL for scripts: --json
 * records (one JSON object per line as each URL finishes, then a summary
 * object) and -w/--write-out templates with curl's variable names.  The
 * record's fields are documented in README "Reports"; a test validates
 * them against that schema.
 */
#ifndef RF_CLI_RESULTS_H
#define RF_CLI_RESULTS_H

#include <stdbool.h>
#include <stdio.h>

#include <ringfetch.h>

struct run_totals {
	unsigned long downloaded, skipped, failed;
	unsigned long long bytes; /* body bytes transferred in this run */
	double seconds;
	int exit_status;
	rf_dns_stats dns;
	unsigned shard_k, shard_n; /* --shard K/N, 0/0: none */
	unsigned threads;
};

/* One URL's record, one line without its newline.  path: where the body went ("-" for
 * stdout, NULL when nothing was saved); exit: the exit status this URL
 * alone would give; line: its line in the -i list (0: the command line). */
void results_json(FILE *f, const rf_result *r, const char *path, int exit, unsigned line);
/* The closing record. */
void results_json_summary(FILE *f, const struct run_totals *t);

/* Check a --write-out template: NULL, or what is wrong with it. */
const char *writeout_check(const char *fmt);
/* Write the template for one URL. */
void writeout(FILE *f, const char *fmt, const rf_result *r, const char *path, int exit, unsigned line);

#endif
