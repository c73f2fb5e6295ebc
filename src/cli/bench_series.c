/*
 * bench_series.c - `ringfetch bench`'s time series (see bench_series.h).
 */
#include "bench_series.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_report.h"
#include "json.h"

#define CHART_ROWS 40
#define BAR 36

static int grow(struct report_series *ts, size_t n)
{
	if (n <= ts->n)
		return 0;
	struct report_step *s = realloc(ts->s, n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s + ts->n, 0, (n - ts->n) * sizeof(*s));
	ts->s = s;
	ts->n = n;
	return 0;
}

void series_free(struct report_series *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		rf_hist_free(ts->s[i].latency);
	free(ts->s);
	memset(ts, 0, sizeof(*ts));
}

/* Add into step i: 0 or -ENOMEM. */
static int add(struct report_series *ts, size_t i, uint64_t requests, uint64_t errors, double scheduled,
               const rf_hist *lat)
{
	if (grow(ts, i + 1))
		return -ENOMEM;
	struct report_step *d = &ts->s[i];
	d->requests += requests;
	d->errors += errors;
	d->scheduled += scheduled;
	if (lat && rf_hist_count(lat)) {
		if (!d->latency && !(d->latency = rf_hist_new_layout(128)))
			return -ENOMEM;
		rf_hist_merge(d->latency, lat);
	}
	return 0;
}

int series_from_run(struct report_series *ts, const rf_bench_results *res)
{
	ts->step = res->series_step > 0 ? res->series_step : 1;
	for (size_t i = 0; i < res->n_series; i++) {
		const rf_bench_step *s = &res->series[i];
		if (add(ts, i, s->requests, s->errors, s->scheduled, s->latency))
			return -ENOMEM;
	}
	return 0;
}

/* Seconds of steps [i, i + per) that the run covered (the last may be cut
 * short by its end). */
static double covered(const struct report_series *ts, size_t i, size_t per, double duration)
{
	double from = (double)i * ts->step, to = from + (double)per * ts->step;
	if (duration > from && duration < to)
		to = duration;
	return to > from ? to - from : ts->step;
}

void series_print(FILE *f, const struct report_series *ts, double duration)
{
	if (!ts->n)
		return;
	size_t per = (ts->n + CHART_ROWS - 1) / CHART_ROWS; /* steps per line */
	double peak = 0;
	for (size_t i = 0; i < ts->n; i += per) {
		double req = 0;
		for (size_t k = i; k < i + per && k < ts->n; k++)
			req += (double)ts->s[k].requests;
		if (req / covered(ts, i, per, duration) > peak)
			peak = req / covered(ts, i, per, duration);
	}
	/* 2 + 7 + 1 + 8 + 1 + 36 + 1 + 6 + 1 + 7 + 1 + 7 = 78 columns */
	fprintf(f, "  %7s %8s %-*s %6s %7s %7s\n", "time", "req/s", BAR, "", "errors", "p50", "p99");
	for (size_t i = 0; i < ts->n; i += per) {
		uint64_t req = 0, err = 0;
		rf_hist *lat = rf_hist_new_layout(128);
		for (size_t k = i; k < i + per && k < ts->n; k++) {
			req += ts->s[k].requests;
			err += ts->s[k].errors;
			if (lat && ts->s[k].latency)
				rf_hist_merge(lat, ts->s[k].latency);
		}
		double rps = (double)req / covered(ts, i, per, duration);
		char bar[BAR + 1], at[16], p50[16], p99[16];
		size_t fill = peak > 0 ? (size_t)(rps / peak * BAR + 0.5) : 0;
		memset(bar, '#', fill);
		bar[fill] = 0;
		snprintf(at, sizeof(at), "%.0fs", (double)i * ts->step);
		report_fmt_latency(p50, sizeof(p50), lat, 50);
		report_fmt_latency(p99, sizeof(p99), lat, 99);
		fprintf(f, "  %7s %8.0f %-*s %6" PRIu64 " %7s %7s\n", at, rps, BAR, bar, err, p50, p99);
		rf_hist_free(lat);
	}
}

void series_write_json(FILE *f, const struct report_series *ts)
{
	fprintf(f, ",\n  \"series\": {\"step_s\": %.17g, \"steps\": [", ts->step);
	for (size_t i = 0; i < ts->n; i++) {
		const struct report_step *s = &ts->s[i];
		const rf_hist *h = s->latency;
		fprintf(f,
		        "%s\n   {\"t_s\": %.17g, \"requests\": %" PRIu64 ", \"errors\": %" PRIu64
		        ", \"scheduled\": %.3f, \"p50_us\": %" PRIu64 ", \"p99_us\": %" PRIu64,
		        i ? "," : "", (double)i * ts->step, s->requests, s->errors, s->scheduled,
		        h ? rf_hist_percentile(h, 50) : 0, h ? rf_hist_percentile(h, 99) : 0);
		if (h) {
			fprintf(f, ",\n    \"latency_us\": ");
			report_json_hist(f, h);
		}
		fprintf(f, "}");
	}
	fprintf(f, "]}");
}

int series_merge_json(struct report_series *ts, const struct json *o, const char *path, char *err,
                      size_t errlen)
{
	const struct json *series = json_get(o, "series");
	if (!series)
		return 0; /* a report of a version without it */
	double step = 0;
	const struct json *steps = json_get(series, "steps");
	if (!json_double(series, "step_s", &step) || !(step > 0) || !steps || steps->kind != JSON_ARRAY) {
		snprintf(err, errlen, "%s: series without step_s or steps", path);
		return -1;
	}
	if (!(ts->step > 0))
		ts->step = step;
	size_t i = 0;
	for (const struct json *j = steps->child; j; j = j->next, i++) {
		uint64_t req = 0, errors = 0;
		double scheduled = 0;
		if (!json_uint(j, "requests", &req) || !json_uint(j, "errors", &errors)) {
			snprintf(err, errlen, "%s: series step %zu without requests or errors", path, i);
			return -1;
		}
		json_double(j, "scheduled", &scheduled);
		rf_hist *lat = NULL;
		if (json_get(j, "latency_us")) {
			char what[600];
			snprintf(what, sizeof(what), "%s: series step %zu", path, i);
			if (!(lat = report_read_hist(json_get(j, "latency_us"), what, err, errlen)))
				return -1;
		}
		/* a step of another width lands where its start falls */
		size_t at = (size_t)((double)i * step / ts->step + 1e-9);
		int e = add(ts, at, req, errors, scheduled, lat);
		rf_hist_free(lat);
		if (e) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

int series_plot(const struct report_series *ts, const char *png_path, const char *title)
{
	if (strpbrk(png_path, "'\"\n\\"))
		return -1; /* no quoting games in a gnuplot script */
	char data[] = "/tmp/ringfetch-series-XXXXXX";
	int fd = mkstemp(data);
	if (fd < 0)
		return -1;
	FILE *d = fdopen(fd, "w");
	if (!d) {
		close(fd);
		unlink(data);
		return -1;
	}
	for (size_t i = 0; i < ts->n; i++) {
		const struct report_step *s = &ts->s[i];
		const rf_hist *h = s->latency;
		fprintf(d, "%.3f %.3f %.3f %.3f %.3f %.3f\n", (double)i * ts->step,
		        (double)s->requests / ts->step, s->scheduled / ts->step, (double)s->errors / ts->step,
		        h ? (double)rf_hist_percentile(h, 50) / 1e3 : 0,
		        h ? (double)rf_hist_percentile(h, 99) / 1e3 : 0);
	}
	fclose(d);
	int st = -1;
	FILE *g = popen("gnuplot 2>/dev/null", "w");
	if (g) {
		fprintf(g,
		        "set terminal png size 900,600\nset output '%s'\nset multiplot layout 2,1 title \"",
		        png_path);
		for (const char *p = title; *p; p++)
			if (*p != '"' && *p != '\\' && *p != '\n')
				fputc(*p, g);
		fprintf(g,
		        "\"\nset grid\nset key top left\nset ylabel 'requests/s'\n"
		        "plot '%s' using 1:2 with steps lw 2 title 'responses', "
		        "'' using 1:3 with steps dt 2 title 'scheduled', "
		        "'' using 1:4 with steps title 'errors'\n"
		        "set xlabel 'seconds'\nset ylabel 'latency (ms)'\n"
		        "plot '%s' using 1:5 with steps lw 2 title 'p50', '' using 1:6 with steps lw 2 "
		        "title 'p99'\nunset multiplot\n",
		        data, data);
		st = pclose(g);
	}
	unlink(data);
	struct stat sb;
	return st == 0 && stat(png_path, &sb) == 0 && sb.st_size > 0 ? 0 : -1;
}
