/*
 * bench_list.h - `ringfetch bench`'s targets: URLs from the command line
 * and from -i FILE, each with its weight, method, headers and body.
 *
 *   # comments, and blank lines, are skipped
 *   http://host/a weight=3
 *   http://host/b method=POST header='Content-Type: application/json' body='{"a": 1}'
 *   http://host/c
 *     header=X-Trace: 1
 *     body-file=post.json
 *
 * Options follow the URL on its line as key=value, separated by spaces
 * (a value with spaces in '...' or "...", where \" and \\ are escapes), or
 * come on the indented lines under it, one per line, the whole rest of the
 * line its value.  Keys: weight=N (1..1000000, default 1), method=M,
 * header=Name: value (repeatable), body=TEXT, body-file=PATH.  A bad line
 * is an error that names file, line and what was wrong: a load test never
 * runs without what was asked.
 */
#ifndef RF_CLI_BENCH_LIST_H
#define RF_CLI_BENCH_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <ringfetch.h>

struct bench_list {
	rf_bench_target *t;
	size_t n, cap;
	/* what the targets point into, freed with the list */
	char **owned;
	size_t n_owned, cap_owned;
};

/* Add a URL with no options: 0 or -ENOMEM. */
int bench_list_add_url(struct bench_list *l, const char *url);
/* Read path ("-": stdin): 0, or -1 after saying on err what was wrong. */
int bench_list_read(struct bench_list *l, const char *path, FILE *err);
void bench_list_free(struct bench_list *l);
/* A whole file (at most 1 GiB) into *out (malloc'd): 0, or -1 with why. */
int bench_read_body(const char *path, char **out, size_t *len, char *why, size_t whylen);

#endif
