/*
 * bench_report.c - `ringfetch bench` reports (see bench_report.h).
 *
 * Merging is exact: counts add, histograms add counter by counter (their
 * exact minimum, maximum, sum and sum of squares travel with them), and
 * every percentile of a merged report comes from the summed histogram.
 * Runs on several machines overlap in time, so the merged duration is the
 * longest run's and the merged rate is all requests over it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_report.h"
#include "json.h"

const char *const bench_error_names[RF_BENCH_ERR_KINDS] = {
	"connect", "timeout", "reset", "protocol", "tls", "status",
};

int report_init(struct bench_report *r)
{
	memset(r, 0, sizeof(*r));
	r->latency = rf_hist_new();
	r->ttfb = rf_hist_new();
	r->connect = rf_hist_new();
	r->handshake = rf_hist_new();
	r->service = rf_hist_new();
	if (!r->latency || !r->ttfb || !r->connect || !r->handshake || !r->service) {
		report_free(r);
		return -ENOMEM;
	}
	return 0;
}

void report_free(struct bench_report *r)
{
	for (size_t i = 0; i < r->n_urls && i < REPORT_MAX_URLS; i++)
		free(r->urls[i]);
	rf_hist_free(r->latency);
	rf_hist_free(r->ttfb);
	rf_hist_free(r->connect);
	rf_hist_free(r->handshake);
	rf_hist_free(r->service);
	targets_free(&r->targets);
	series_free(&r->series);
	memset(r, 0, sizeof(*r));
}

static void add_url(struct bench_report *r, const char *url)
{
	if (r->n_urls < REPORT_MAX_URLS) {
		char shown[512];
		r->urls[r->n_urls] = strdup(rf_url_redact(url, shown, sizeof(shown)));
		if (!r->urls[r->n_urls])
			return;
	}
	r->n_urls++;
}

void report_from_run(struct bench_report *r, const rf_bench_opts *o, const rf_bench_results *res)
{
	for (size_t i = 0; i < res->n_targets; i++)
		add_url(r, res->targets[i].url);
	snprintf(r->method, sizeof(r->method), "%s", o->method);
	snprintf(r->io, sizeof(r->io), "%s", res->io ? res->io : "");
	r->open_model = res->open_model;
	r->no_keepalive = o->no_keepalive;
	r->http2_streams = o->http2_streams;
	r->rate = res->rate;
	r->connections = res->connections;
	r->threads = res->threads;
	r->runs = 1;
	r->duration = res->duration;
	r->requests = res->requests;
	r->ok = res->ok;
	r->bytes = res->bytes;
	memcpy(r->errors, res->errors, sizeof(r->errors));
	memcpy(r->status, res->status, sizeof(r->status));
	r->connects = res->connects;
	r->handshakes = res->handshakes;
	r->resumed = res->resumed;
	r->unsent = res->unsent;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		snprintf(r->samples[k], sizeof(r->samples[k]), "%s", res->error_samples[k]);
	rf_hist_merge(r->latency, res->latency);
	rf_hist_merge(r->ttfb, res->ttfb);
	rf_hist_merge(r->connect, res->connect);
	rf_hist_merge(r->handshake, res->handshake);
	if (res->service)
		rf_hist_merge(r->service, res->service);
	r->waited = res->waited;
	r->late = res->late;
	r->peak_rate = o->rate;
	size_t w = 0;
	for (size_t i = 0; i < o->n_stages && w < sizeof(r->schedule); i++) {
		if (o->stages[i].rate > r->peak_rate)
			r->peak_rate = o->stages[i].rate;
		if (!i)
			w += (size_t)snprintf(r->schedule, sizeof(r->schedule), "from %.6g/s:", o->rate);
		if (w < sizeof(r->schedule))
			w += (size_t)snprintf(r->schedule + w, sizeof(r->schedule) - w, "%s %gs to %.6g/s",
			                      i ? "," : "", o->stages[i].duration, o->stages[i].rate);
	}
	if (targets_from_run(&r->targets, res) || series_from_run(&r->series, res))
		fprintf(stderr, "ringfetch bench: note: out of memory for the per-URL and per-second "
		                "figures\n");
}

/* ---- the table ---- */

void report_fmt_us(char *buf, size_t cap, double us)
{
	if (us < 1000)
		snprintf(buf, cap, "%.0fus", us);
	else if (us < 1e6)
		snprintf(buf, cap, "%.2fms", us / 1e3);
	else
		snprintf(buf, cap, "%.2fs", us / 1e6);
}

void report_fmt_latency(char *buf, size_t cap, const rf_hist *h, double p)
{
	if (!h || !rf_hist_count(h))
		snprintf(buf, cap, "-");
	else
		report_fmt_us(buf, cap, p < 0 ? (double)rf_hist_max(h) : (double)rf_hist_percentile(h, p));
}

/* The short row (80 columns): p50 p90 p99 p99.9 max mean. */
/* A column of the latency table: a percentile (0..100), or one of these. */
enum { COL_MIN = -1, COL_MEAN = -2, COL_STDEV = -3, COL_MAX = -4 };
static const double short_cols[] = {50, 90, 99, 99.9, COL_MAX, COL_MEAN};
static const double wide_cols[] = {COL_MIN, COL_MEAN, COL_STDEV, 50, 75, 90, 99, 99.9, 99.99, COL_MAX};

static double column_value(const rf_hist *h, double col)
{
	if (col == COL_MIN)
		return (double)rf_hist_min(h);
	if (col == COL_MEAN)
		return rf_hist_mean(h);
	if (col == COL_STDEV)
		return rf_hist_stdev(h);
	if (col == COL_MAX)
		return (double)rf_hist_max(h);
	return (double)rf_hist_percentile(h, col);
}

static void latency_table(FILE *f, const struct bench_report *r, const double *cols, size_t n)
{
	fprintf(f, "  %-13s", "latency");
	for (size_t i = 0; i < n; i++) {
		char head[16];
		if (cols[i] >= 0)
			snprintf(head, sizeof(head), "p%g", cols[i]);
		fprintf(f, " %9s",
		        cols[i] == COL_MIN     ? "min"
		        : cols[i] == COL_MEAN  ? "mean"
		        : cols[i] == COL_STDEV ? "stdev"
		        : cols[i] == COL_MAX   ? "max"
		                               : head);
	}
	fputc('\n', f);
	const struct {
		const char *name;
		const rf_hist *h;
	} rows[] = {{"total", r->latency},
	            {"first byte", r->ttfb},
	            {"connect", r->connect},
	            {"TLS handshake", r->handshake}};
	for (size_t k = 0; k < sizeof(rows) / sizeof(rows[0]); k++) {
		if (!rf_hist_count(rows[k].h))
			continue;
		fprintf(f, "  %-13s", rows[k].name);
		for (size_t i = 0; i < n; i++) {
			char cell[32];
			report_fmt_us(cell, sizeof(cell), column_value(rows[k].h, cols[i]));
			fprintf(f, " %9s", cell);
		}
		fputc('\n', f);
	}
}

/* Print at most `width` columns of text (the rest cut, marked "..."). */
static void cut_line(FILE *f, size_t width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void cut_line(FILE *f, size_t width, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (width && strlen(line) > width)
		memcpy(line + width - 3, "...", 4);
	fprintf(f, "%s\n", line);
}

/* text at `indent` spaces, broken at spaces (or anywhere in a longer word)
 * into lines of at most width columns (0: one line), the first after
 * `lead`. */
static void wrap_line(FILE *f, size_t width, const char *lead, size_t indent, const char *text)
{
	size_t col = (size_t)fprintf(f, "%s", lead);
	const char *p = text;
	while (*p) {
		size_t room = width && width > col ? width - col : 0;
		size_t n = strlen(p);
		if (!width || n <= room) {
			fprintf(f, "%s", p);
			break;
		}
		size_t cut = room;
		while (cut > 0 && p[cut] != ' ')
			cut--;
		if (cut == 0)
			cut = room ? room : 1;
		fprintf(f, "%.*s\n%*s", (int)cut, p, (int)indent, "");
		col = indent;
		p += cut;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* Open model: which limit kept requests from going out when they fell due,
 * from what was measured. */
static void explain_late(FILE *f, size_t width, const struct bench_report *r)
{
	/* a few stragglers are noise (a busy machine's scheduling): named when
	 * any went unsent, or at least 5 and 1 % of the requests went late */
	uint64_t stragglers = r->waited + r->late;
	if (!r->open_model || (!r->unsent && (stragglers < 5 || stragglers * 100 < r->requests)))
		return;
	char text[600];
	double mean_s = rf_hist_mean(r->service) / 1e6;
	double p50 = (double)rf_hist_percentile(r->service, 50), best = (double)rf_hist_min(r->service);
	double carry = mean_s > 0 ? r->connections / mean_s : 0;
	char at[32], best_s[32], p50_s[32];
	report_fmt_us(at, sizeof(at), mean_s * 1e6);
	report_fmt_us(best_s, sizeof(best_s), best);
	report_fmt_us(p50_s, sizeof(p50_s), p50);
	if (r->late > r->waited) {
		snprintf(text, sizeof(text),
		         "this client: %" PRIu64 " requests went out over 1 ms after they fell due with "
		         "their connection free (its loop fell behind the schedule: CPU; try -t)",
		         r->late);
	} else if (!rf_hist_count(r->service)) {
		snprintf(text, sizeof(text),
		         "server: %" PRIu64 " requests fell due while their connection was still waiting "
		         "and no response came at all",
		         r->waited);
	} else if (carry >= 0.9 * r->peak_rate) {
		char max_s[32];
		report_fmt_us(max_s, sizeof(max_s), (double)rf_hist_max(r->service));
		snprintf(text, sizeof(text),
		         "server stalls: %u connections at the server's mean %s per response carry about "
		         "%.0f requests/s, enough for the %.6g/s asked, but its slowest responses (up to "
		         "%s, median %s) held every connection (%" PRIu64 " requests waited)",
		         r->connections, at, carry, r->peak_rate, max_s, p50_s, r->waited);
	} else if (p50 > 2 * best + 1000) {
		snprintf(text, sizeof(text),
		         "server latency: its responses slowed from %s at best to %s at the median, so %u "
		         "connections carried about %.0f requests/s, below the %.6g/s asked (%" PRIu64
		         " requests waited for their connection); more connections help only if the "
		         "server has capacity left",
		         best_s, p50_s, r->connections, carry, r->peak_rate, r->waited);
	} else {
		double need = ceil(r->peak_rate * mean_s * 1.2);
		snprintf(text, sizeof(text),
		         "connections: %u connections at the server's %s per response carry about %.0f "
		         "requests/s, below the %.6g/s asked (%" PRIu64 " requests waited for their "
		         "connection); -c %.0f would keep up if the server can take more (its response "
		         "times held steady: best %s, median %s)",
		         r->connections, at, carry, r->peak_rate, r->waited, need, best_s, p50_s);
	}
	wrap_line(f, width, "  limit      ", 13, text);
}

void report_print(FILE *f, const struct bench_report *r, bool wide)
{
	size_t width = wide ? 0 : 80; /* wide: nothing is cut */
	char more[64] = "";
	if (r->n_urls > 1)
		snprintf(more, sizeof(more), " and %zu more URL%s", r->n_urls - 1, r->n_urls > 2 ? "s" : "");
	cut_line(f, width, "ringfetch bench: %s %s%s", r->method, r->n_urls ? r->urls[0] : "", more);
	char runs[32] = "";
	if (r->runs > 1)
		snprintf(runs, sizeof(runs), ", %u runs merged", r->runs);
	char h2[48] = "";
	if (r->http2_streams)
		snprintf(h2, sizeof(h2), " (HTTP/2, %d stream%s each)", r->http2_streams,
		         r->http2_streams == 1 ? "" : "s");
	cut_line(f, width, "  %u connection%s%s%s, %u thread%s%s", r->connections,
	         r->connections == 1 ? "" : "s", r->no_keepalive ? " (a new one per request)" : "", h2,
	         r->threads, r->threads == 1 ? "" : "s", runs);
	if (r->io[0])
		cut_line(f, width, "  io         %s", r->io);
	if (r->open_model && r->schedule[0]) {
		cut_line(f, width, "  model      open, up to %.6g/s: latency from each request's due time",
		         r->peak_rate);
		wrap_line(f, width, "  schedule   ", 13, r->schedule);
	} else if (r->open_model) {
		cut_line(f, width, "  model      open, %.6g/s: latency from each request's due time",
		         r->rate);
	} else
		cut_line(f, width, "  model      closed: latency from each send, as wrk (--rate: open)");
	double secs = r->duration > 0 ? r->duration : 1e-9;
	cut_line(f, width, "  requests   %" PRIu64 " in %.2f s: %.0f requests/s, %.2f MB/s", r->requests,
	         r->duration, (double)r->requests / secs, (double)r->bytes / secs / 1e6);
	char line[1024];
	size_t w = (size_t)snprintf(line, sizeof(line), "  responses ");
	bool any = false;
	for (int s = 100; s < 600 && w < sizeof(line) - 32; s++) {
		if (r->status[s]) {
			w += (size_t)snprintf(line + w, sizeof(line) - w, " %d: %" PRIu64, s, r->status[s]);
			any = true;
		}
	}
	cut_line(f, width, "%s%s", line, any ? "" : " none");
	uint64_t errors = 0;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		errors += r->errors[k];
	if (!errors) {
		cut_line(f, width, "  errors     none");
	} else {
		w = (size_t)snprintf(line, sizeof(line), "  errors    ");
		for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
			if (r->errors[k])
				w += (size_t)snprintf(line + w, sizeof(line) - w, " %s %" PRIu64,
				                      bench_error_names[k], r->errors[k]);
		cut_line(f, width, "%s", line);
		for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
			if (r->errors[k] && r->samples[k][0]) {
				/* "METHOD URL: what": what first, then which request (a URL
				 * has no ": ") */
				const char *sample = r->samples[k], *what = strstr(sample, ": ");
				char lead[64];
				snprintf(lead, sizeof(lead), "    first %s error: ", bench_error_names[k]);
				wrap_line(f, width, lead, 6, what ? what + 2 : sample);
				if (what)
					cut_line(f, width, "      in %.*s", (int)(what - sample), sample);
			}
		}
	}
	if (r->unsent)
		cut_line(f, width, "  unsent     %" PRIu64 " requests fell due but never went out",
		         r->unsent);
	explain_late(f, width, r);
	if (r->handshakes)
		cut_line(f, width, "  TLS        %" PRIu64 " handshakes (%" PRIu64 " resumed)", r->handshakes,
		         r->resumed);
	if (wide)
		latency_table(f, r, wide_cols, sizeof(wide_cols) / sizeof(wide_cols[0]));
	else
		latency_table(f, r, short_cols, sizeof(short_cols) / sizeof(short_cols[0]));
	targets_print(f, &r->targets, wide);
}

void report_print_timeline(FILE *f, const struct bench_report *r)
{
	series_print(f, &r->series, r->duration);
}

/* ---- JSON out ---- */

void report_json_hist(FILE *f, const rf_hist *h)
{
	uint64_t min, max;
	double sum, sum_sq;
	rf_hist_exact(h, &min, &max, &sum, &sum_sq);
	fprintf(f,
	        "{\"count\": %" PRIu64 ", \"min\": %" PRIu64 ", \"mean\": %.3f, "
	        "\"stdev\": %.3f, \"max\": %" PRIu64,
	        rf_hist_count(h), min, rf_hist_mean(h), rf_hist_stdev(h), max);
	static const double pts[] = {50, 75, 90, 99, 99.9, 99.99, 99.999};
	fprintf(f, ", \"percentiles\": {");
	for (size_t i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
		fprintf(f, "%s\"%g\": %" PRIu64, i ? ", " : "", pts[i], rf_hist_percentile(h, pts[i]));
	fprintf(f,
	        "},\n    \"histogram\": {\"layout\": \"log-linear-us-%u\", \"sum\": %.17g, "
	        "\"sum_sq\": %.17g, \"counters\": [",
	        rf_hist_layout(h), sum, sum_sq);
	uint64_t count, value;
	bool first = true;
	for (size_t i = 0; rf_hist_counter(h, i, &count, &value); i++) {
		if (!count)
			continue;
		fprintf(f, "%s[%zu, %" PRIu64 ", %" PRIu64 "]", first ? "" : ", ", i, value, count);
		first = false;
	}
	fprintf(f, "]}}");
}

static void json_hist(FILE *f, const char *name, const rf_hist *h)
{
	fprintf(f, ",\n  \"%s\": ", name);
	report_json_hist(f, h);
}

void report_write_json(FILE *f, const struct bench_report *r)
{
	double secs = r->duration > 0 ? r->duration : 1e-9;
	fprintf(f, "{\"ringfetch_bench\": 1, \"version\": ");
	json_write_string(f, rf_version());
	fprintf(f, ",\n  \"method\": ");
	json_write_string(f, r->method);
	fprintf(f, ", \"io\": ");
	json_write_string(f, r->io);
	fprintf(f, ", \"urls\": [");
	for (size_t i = 0; i < r->n_urls && i < REPORT_MAX_URLS; i++) {
		fprintf(f, "%s", i ? ", " : "");
		json_write_string(f, r->urls[i]);
	}
	fprintf(f,
	        "], \"url_count\": %zu,\n  \"model\": \"%s\", \"rate\": %.17g, "
	        "\"connections\": %u, \"http2_streams\": %d, \"threads\": %u, \"keepalive\": %s, \"runs\": "
	        "%u,\n"
	        "  \"duration_s\": %.6f, \"requests\": %" PRIu64 ", \"ok\": %" PRIu64 ", \"bytes\": %" PRIu64
	        ", \"requests_per_s\": %.3f, \"mb_per_s\": %.3f,\n"
	        "  \"connects\": %" PRIu64 ", \"tls_handshakes\": %" PRIu64 ", \"tls_resumed\": %" PRIu64
	        ", \"unsent\": %" PRIu64 ",\n  \"errors\": {",
	        r->n_urls, r->open_model ? "open" : "closed", r->rate, r->connections, r->http2_streams,
	        r->threads, r->no_keepalive ? "false" : "true", r->runs, r->duration, r->requests, r->ok,
	        r->bytes, (double)r->requests / secs, (double)r->bytes / secs / 1e6, r->connects,
	        r->handshakes, r->resumed, r->unsent);
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		fprintf(f, "%s\"%s\": %" PRIu64, k ? ", " : "", bench_error_names[k], r->errors[k]);
	fprintf(f, "},\n  \"error_samples\": {");
	bool first = true;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
		if (!r->samples[k][0])
			continue;
		fprintf(f, "%s\"%s\": ", first ? "" : ", ", bench_error_names[k]);
		json_write_string(f, r->samples[k]);
		first = false;
	}
	fprintf(f, "},\n  \"status\": {");
	first = true;
	for (int s = 0; s < 600; s++) {
		if (!r->status[s])
			continue;
		fprintf(f, "%s\"%d\": %" PRIu64, first ? "" : ", ", s, r->status[s]);
		first = false;
	}
	fprintf(f, "}");
	json_hist(f, "latency_us", r->latency);
	json_hist(f, "first_byte_us", r->ttfb);
	json_hist(f, "connect_us", r->connect);
	json_hist(f, "tls_handshake_us", r->handshake);
	if (r->open_model) {
		fprintf(f, ",\n  \"waited\": %" PRIu64 ", \"late\": %" PRIu64 ", \"peak_rate\": %.17g",
		        r->waited, r->late, r->peak_rate);
		if (r->schedule[0]) {
			fprintf(f, ", \"schedule\": ");
			json_write_string(f, r->schedule);
		}
		json_hist(f, "service_us", r->service);
	}
	targets_write_json(f, &r->targets);
	series_write_json(f, &r->series);
	fprintf(f, "\n}\n");
}

/* ---- JSON in, merged ---- */

static int read_file(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = cap < (256u << 20) ? realloc(buf, cap * 2) : NULL;
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	bool bad = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!buf || bad) {
		free(buf);
		snprintf(err, errlen, "%s: %s", path, bad ? "read error" : "too large (over 256 MiB)");
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

rf_hist *report_read_hist(const struct json *o, const char *what, char *err, size_t errlen)
{
	const struct json *h = json_get(o, "histogram");
	const struct json *counters = json_get(h, "counters");
	const struct json *layout = json_get(h, "layout");
	uint64_t min = 0, max = 0, count = 0;
	double sum = 0, sum_sq = 0;
	unsigned sub = 0;
	if (!counters || counters->kind != JSON_ARRAY || !layout || layout->kind != JSON_STRING ||
	    sscanf(layout->string, "log-linear-us-%u", &sub) != 1 || !json_uint(o, "min", &min) ||
	    !json_uint(o, "max", &max) || !json_uint(o, "count", &count) || !json_double(h, "sum", &sum) ||
	    !json_double(h, "sum_sq", &sum_sq)) {
		snprintf(err, errlen, "%s: no histogram this version can read", what);
		return NULL;
	}
	rf_hist *one = rf_hist_new_layout(sub);
	if (!one) {
		snprintf(err, errlen, "%s: histogram layout %s unknown (or out of memory)", what,
		         layout->string);
		return NULL;
	}
	for (const struct json *c = counters->child; c; c = c->next) {
		const struct json *i = c->kind == JSON_ARRAY ? c->child : NULL;
		const struct json *v = i ? i->next : NULL;
		const struct json *n = v ? v->next : NULL;
		if (!n || !i->is_uint || !v->is_uint || !n->is_uint ||
		    rf_hist_add_counter(one, (size_t)i->uint, n->uint, v->uint) != 0) {
			rf_hist_free(one);
			snprintf(err, errlen, "%s: a counter does not fit this histogram's layout", what);
			return NULL;
		}
	}
	if (rf_hist_count(one) != count) {
		rf_hist_free(one);
		snprintf(err, errlen, "%s: the counters do not add up to the count", what);
		return NULL;
	}
	rf_hist_set_exact(one, min, max, sum, sum_sq);
	return one;
}

static int merge_hist(rf_hist *into, const struct json *o, const char *name, char *err, size_t errlen,
                      const char *path)
{
	char what[512];
	snprintf(what, sizeof(what), "%s: %s", path, name);
	rf_hist *one = report_read_hist(json_get(o, name), what, err, errlen);
	if (!one)
		return -1;
	rf_hist_merge(into, one);
	rf_hist_free(one);
	return 0;
}

int report_merge_json(struct bench_report *r, const char *path, char *err, size_t errlen)
{
	char *text;
	size_t len;
	if (read_file(path, &text, &len, err, errlen))
		return -1;
	char why[128];
	struct json *o = json_parse(text, len, why, sizeof(why));
	free(text);
	if (!o) {
		snprintf(err, errlen, "%s: not JSON (%s)", path, why);
		return -1;
	}
	int ret = -1;
	uint64_t version = 0, conns = 0, threads = 0, runs = 1, u;
	double duration = 0, rate = 0;
	const struct json *model = json_get(o, "model");
	if (!json_uint(o, "ringfetch_bench", &version) || version != 1) {
		snprintf(err, errlen, "%s: not a ringfetch bench result (no \"ringfetch_bench\": 1)", path);
		goto out;
	}
	if (!json_double(o, "duration_s", &duration) || !json_uint(o, "connections", &conns) ||
	    !json_uint(o, "threads", &threads) || !model || model->kind != JSON_STRING) {
		snprintf(err, errlen, "%s: missing duration_s, connections, threads or model", path);
		goto out;
	}
	json_uint(o, "runs", &runs);
	json_double(o, "rate", &rate);
	struct bench_report add = {0};
	if (!json_uint(o, "requests", &add.requests) || !json_uint(o, "ok", &add.ok) ||
	    !json_uint(o, "bytes", &add.bytes)) {
		snprintf(err, errlen, "%s: missing requests, ok or bytes", path);
		goto out;
	}
	const struct json *errors = json_get(o, "errors");
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
		if (!json_uint(errors, bench_error_names[k], &add.errors[k])) {
			snprintf(err, errlen, "%s: errors.%s missing", path, bench_error_names[k]);
			goto out;
		}
	}
	const struct json *status = json_get(o, "status");
	for (const struct json *s = status ? status->child : NULL; s; s = s->next) {
		char *end;
		long code = strtol(s->key, &end, 10);
		if (*end || code < 0 || code >= 600 || s->kind != JSON_NUMBER || !s->is_uint) {
			snprintf(err, errlen, "%s: bad status count \"%s\"", path, s->key);
			goto out;
		}
		add.status[code] = s->uint;
	}
	if (merge_hist(r->latency, o, "latency_us", err, errlen, path) ||
	    merge_hist(r->ttfb, o, "first_byte_us", err, errlen, path) ||
	    merge_hist(r->connect, o, "connect_us", err, errlen, path) ||
	    merge_hist(r->handshake, o, "tls_handshake_us", err, errlen, path) ||
	    (json_get(o, "service_us") && merge_hist(r->service, o, "service_us", err, errlen, path)) ||
	    targets_merge_json(&r->targets, o, path, err, errlen) ||
	    series_merge_json(&r->series, o, path, err, errlen))
		goto out;
	/* everything read: add it up */
	bool open = strcmp(model->string, "open") == 0;
	if (r->runs == 0) {
		const struct json *m = json_get(o, "method");
		snprintf(r->method, sizeof(r->method), "%s", m && m->kind == JSON_STRING ? m->string : "GET");
		const struct json *io = json_get(o, "io");
		snprintf(r->io, sizeof(r->io), "%s", io && io->kind == JSON_STRING ? io->string : "");
		r->open_model = open;
		const struct json *ka = json_get(o, "keepalive");
		r->no_keepalive = ka && ka->kind == JSON_BOOL && !ka->boolean;
		const struct json *h2 = json_get(o, "http2_streams");
		r->http2_streams = h2 && h2->kind == JSON_NUMBER ? (int)h2->number : 0;
	} else if (r->open_model != open) {
		fprintf(stderr, "ringfetch: note: %s used the %s model, the others the %s one\n", path,
		        open ? "open" : "closed", r->open_model ? "open" : "closed");
	}
	const struct json *urls = json_get(o, "urls");
	for (const struct json *s = urls ? urls->child : NULL; s; s = s->next) {
		bool seen = false;
		for (size_t i = 0; i < r->n_urls && i < REPORT_MAX_URLS; i++)
			seen |= s->kind == JSON_STRING && strcmp(r->urls[i], s->string) == 0;
		if (!seen && s->kind == JSON_STRING)
			add_url(r, s->string);
	}
	r->runs += (unsigned)runs;
	r->rate += rate;
	r->connections += (unsigned)conns;
	r->threads += (unsigned)threads;
	if (duration > r->duration)
		r->duration = duration;
	r->requests += add.requests;
	r->ok += add.ok;
	r->bytes += add.bytes;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		r->errors[k] += add.errors[k];
	for (int s = 0; s < 600; s++)
		r->status[s] += add.status[s];
	if (json_uint(o, "connects", &u))
		r->connects += u;
	if (json_uint(o, "tls_handshakes", &u))
		r->handshakes += u;
	if (json_uint(o, "tls_resumed", &u))
		r->resumed += u;
	if (json_uint(o, "unsent", &u))
		r->unsent += u;
	if (json_uint(o, "waited", &u))
		r->waited += u;
	if (json_uint(o, "late", &u))
		r->late += u;
	double peak = 0;
	if (json_double(o, "peak_rate", &peak))
		r->peak_rate += peak;
	const struct json *sched = json_get(o, "schedule");
	if (!r->schedule[0] && sched && sched->kind == JSON_STRING)
		snprintf(r->schedule, sizeof(r->schedule), "%s", sched->string);
	const struct json *samples = json_get(o, "error_samples");
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
		const struct json *s = json_get(samples, bench_error_names[k]);
		if (!r->samples[k][0] && s && s->kind == JSON_STRING)
			snprintf(r->samples[k], sizeof(r->samples[k]), "%s", s->string);
	}
	ret = 0;
out:
	json_free(o);
	return ret;
}

/* ---- the spectrum ---- */

void report_write_percentiles(FILE *f, const rf_hist *h)
{
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)");
	uint64_t total = rf_hist_count(h);
	if (total) {
		/* HdrHistogram's iteration: 5 ticks per halving of the distance to 100 % */
		size_t i = 0;
		uint64_t cum = 0, count, value = 0;
		rf_hist_counter(h, 0, &count, &value);
		cum = count;
		double p = 0;
		for (;;) {
			uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)total);
			if (rank < 1)
				rank = 1;
			while (cum < rank && rf_hist_counter(h, ++i, &count, &value))
				cum += count;
			uint64_t v = value > rf_hist_max(h) ? rf_hist_max(h) : value;
			if (v < rf_hist_min(h))
				v = rf_hist_min(h);
			if (cum >= total) {
				fprintf(f, "%12.3f %14.12f %10" PRIu64 "\n", (double)rf_hist_max(h) / 1e3,
				        1.0, total);
				break;
			}
			fprintf(f, "%12.3f %14.12f %10" PRIu64 " %14.2f\n", (double)v / 1e3, p / 100, cum,
			        1 / (1 - p / 100));
			double ticks = 5 * pow(2, floor(log2(100 / (100 - p))) + 1);
			p += 100 / ticks;
		}
	}
	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", rf_hist_mean(h) / 1e3,
	        rf_hist_stdev(h) / 1e3);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n", (double)rf_hist_max(h) / 1e3,
	        total);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", 23, 2048);
}

static bool gnuplot_installed(void)
{
	const char *path = getenv("PATH");
	if (!path)
		return false;
	char dir[4096];
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n && n < sizeof(dir) - 10) {
			snprintf(dir, sizeof(dir), "%.*s/gnuplot", (int)n, path);
			if (access(dir, X_OK) == 0)
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}

int report_plot(const char *percentiles_path, const char *png_path, const char *title)
{
	if (!gnuplot_installed())
		return 1;
	if (strpbrk(percentiles_path, "'\"\n\\") || strpbrk(png_path, "'\"\n\\"))
		return -1; /* no quoting games in a gnuplot script */
	FILE *g = popen("gnuplot 2>/dev/null", "w");
	if (!g)
		return -1;
	fprintf(g, "set terminal png size 900,500\nset output '%s'\n", png_path);
	/* tic labels are formats to gnuplot: a literal % is %% there */
	fputs("set logscale x\nset xtics (\"0%%\" 1, \"90%%\" 10, \"99%%\" 100, \"99.9%%\" 1000, "
	      "\"99.99%%\" 10000, \"99.999%%\" 100000, \"99.9999%%\" 1000000)\n",
	      g);
	fprintf(g, "set xlabel 'percentile'\nset ylabel 'latency (ms)'\nset grid\nset key top left\n");
	fprintf(g, "set title \"");
	for (const char *p = title; *p; p++)
		if (*p != '"' && *p != '\\' && *p != '\n')
			fputc(*p, g);
	fprintf(g,
	        "\"\nplot \"< awk 'NF==4 && $1+0==$1' '%s'\" using 4:1 with lines lw 2 "
	        "title 'latency'\n",
	        percentiles_path);
	int st = pclose(g);
	struct stat sb;
	return st == 0 && stat(png_path, &sb) == 0 && sb.st_size > 0 ? 0 : -1;
}
