/*
 * bench_targets.c - `ringfetch bench`'s statistics per URL (see
 * bench_targets.h).
 */
#include "bench_targets.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bench_report.h"
#include "json.h"

#define SHORT_ROWS 20

static struct report_target *add(struct report_targets *ts, const char *method, const char *url)
{
	struct report_target *n = realloc(ts->t, (ts->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	ts->t = n;
	struct report_target *t = &ts->t[ts->n];
	memset(t, 0, sizeof(*t));
	char shown[1024];
	t->url = strdup(rf_url_redact(url, shown, sizeof(shown)));
	t->latency = rf_hist_new_layout(128);
	if (!t->url || !t->latency) {
		free(t->url);
		rf_hist_free(t->latency);
		return NULL;
	}
	snprintf(t->method, sizeof(t->method), "%s", method);
	ts->n++;
	return t;
}

void targets_free(struct report_targets *ts)
{
	for (size_t i = 0; i < ts->n; i++) {
		free(ts->t[i].url);
		rf_hist_free(ts->t[i].latency);
	}
	free(ts->t);
	ts->t = NULL;
	ts->n = 0;
}

int targets_from_run(struct report_targets *ts, const rf_bench_results *res)
{
	for (size_t i = 0; i < res->n_targets; i++) {
		const rf_bench_target_results *g = &res->targets[i];
		struct report_target *t = add(ts, g->method, g->url);
		if (!t)
			return -ENOMEM;
		t->weight = g->weight;
		t->requests = g->requests;
		t->ok = g->ok;
		t->errors = g->errors;
		memcpy(t->status_class, g->status_class, sizeof(t->status_class));
		if (g->latency)
			rf_hist_merge(t->latency, g->latency);
		else { /* none kept: say so rather than show empty figures */
			rf_hist_free(t->latency);
			t->latency = NULL;
		}
		snprintf(t->sample, sizeof(t->sample), "%s", g->error_sample ? g->error_sample : "");
	}
	return 0;
}

/* What a row calls the URL: its path when all share the first one's
 * origin, else the whole URL; the tail kept when it must be cut. */
static void row_name(char *out, size_t cap, const struct report_targets *ts, size_t i, size_t width)
{
	const char *u = ts->t[i].url, *path = strstr(u, "://");
	path = path ? strchr(path + 3, '/') : NULL;
	size_t origin_len = path ? (size_t)(path - u) : strlen(u);
	bool one_origin = true;
	for (size_t k = 0; k < ts->n && one_origin; k++)
		one_origin = strncmp(ts->t[k].url, u, origin_len) == 0 &&
		             (ts->t[k].url[origin_len] == '/' || !ts->t[k].url[origin_len]);
	const char *name = one_origin && path ? path : u;
	char full[1100];
	snprintf(full, sizeof(full), "%s %s", ts->t[i].method, name);
	size_t n = strlen(full);
	if (width && n > width)
		snprintf(out, cap, "...%s", full + n - (width - 3));
	else
		snprintf(out, cap, "%s", full);
}

void targets_print(FILE *f, const struct report_targets *ts, bool wide)
{
	if (ts->n < 2)
		return;
	/* 2 + 30 + 9 + 7 + 3 * 9 + 3 = 78 columns */
	fprintf(f, "  %-30s %8s %6s %8s %8s %8s\n", "per URL", "requests", "errors", "p50", "p99", "max");
	size_t rows = wide || ts->n <= SHORT_ROWS ? ts->n : SHORT_ROWS - 1;
	for (size_t i = 0; i < rows; i++) {
		const struct report_target *t = &ts->t[i];
		char name[1200], p50[16], p99[16], max[16], w[16] = "";
		if (t->weight > 1)
			snprintf(w, sizeof(w), " x%u", t->weight);
		row_name(name, sizeof(name), ts, i, wide ? 0 : 30 - strlen(w));
		strncat(name, w, sizeof(name) - strlen(name) - 1);
		report_fmt_latency(p50, sizeof(p50), t->latency, 50);
		report_fmt_latency(p99, sizeof(p99), t->latency, 99);
		report_fmt_latency(max, sizeof(max), t->latency, -1);
		fprintf(f, "  %-30s %8" PRIu64 " %6" PRIu64 " %8s %8s %8s\n", name, t->requests, t->errors,
		        p50, p99, max);
	}
	if (rows < ts->n) {
		uint64_t req = 0, err = 0;
		for (size_t i = rows; i < ts->n; i++) {
			req += ts->t[i].requests;
			err += ts->t[i].errors;
		}
		char more[40];
		snprintf(more, sizeof(more), "%zu more URLs (--json)", ts->n - rows);
		fprintf(f, "  %-30s %8" PRIu64 " %6" PRIu64 "\n", more, req, err);
	}
}

void targets_write_json(FILE *f, const struct report_targets *ts)
{
	fprintf(f, ",\n  \"targets\": [");
	for (size_t i = 0; i < ts->n; i++) {
		const struct report_target *t = &ts->t[i];
		fprintf(f, "%s\n   {\"method\": ", i ? "," : "");
		json_write_string(f, t->method);
		fprintf(f, ", \"url\": ");
		json_write_url(f, t->url);
		fprintf(f,
		        ", \"weight\": %u, \"requests\": %" PRIu64 ", \"ok\": %" PRIu64
		        ", \"errors\": %" PRIu64 ",\n    \"status_classes\": {",
		        t->weight, t->requests, t->ok, t->errors);
		for (int k = 1; k <= 5; k++)
			fprintf(f, "%s\"%dxx\": %" PRIu64, k > 1 ? ", " : "", k, t->status_class[k]);
		fprintf(f, "}, \"error_sample\": ");
		json_write_string(f, t->sample);
		if (t->latency) {
			fprintf(f, ",\n    \"latency_us\": ");
			report_json_hist(f, t->latency);
		}
		fprintf(f, "}");
	}
	fprintf(f, "]");
}

int targets_merge_json(struct report_targets *ts, const struct json *o, const char *path, char *err,
                       size_t errlen)
{
	const struct json *list = json_get(o, "targets");
	if (!list)
		return 0; /* a report of a version without them */
	for (const struct json *j = list->child; j; j = j->next) {
		const struct json *m = json_get(j, "method"), *u = json_get(j, "url");
		uint64_t req = 0, ok = 0, errors = 0, weight = 1;
		if (!m || m->kind != JSON_STRING || !u || u->kind != JSON_STRING ||
		    !json_uint(j, "requests", &req) || !json_uint(j, "ok", &ok) ||
		    !json_uint(j, "errors", &errors)) {
			snprintf(err, errlen, "%s: a target without method, url, requests, ok or errors",
			         path);
			return -1;
		}
		json_uint(j, "weight", &weight);
		rf_hist *lat = NULL;
		if (json_get(j, "latency_us")) {
			char what[600];
			snprintf(what, sizeof(what), "%s: targets: %s", path, u->string);
			if (!(lat = report_read_hist(json_get(j, "latency_us"), what, err, errlen)))
				return -1;
		}
		struct report_target *t = NULL;
		for (size_t i = 0; i < ts->n && !t; i++)
			if (strcmp(ts->t[i].method, m->string) == 0 && strcmp(ts->t[i].url, u->string) == 0)
				t = &ts->t[i];
		if (!t && !(t = add(ts, m->string, u->string))) {
			rf_hist_free(lat);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		t->weight = (unsigned)weight;
		t->requests += req;
		t->ok += ok;
		t->errors += errors;
		const struct json *classes = json_get(j, "status_classes");
		for (int k = 1; k <= 5; k++) {
			char key[8];
			uint64_t n = 0;
			snprintf(key, sizeof(key), "%dxx", k);
			if (json_uint(classes, key, &n))
				t->status_class[k] += n;
		}
		const struct json *sample = json_get(j, "error_sample");
		if (!t->sample[0] && sample && sample->kind == JSON_STRING)
			snprintf(t->sample, sizeof(t->sample), "%s", sample->string);
		if (lat && t->latency)
			rf_hist_merge(t->latency, lat);
		rf_hist_free(lat);
	}
	return 0;
}
