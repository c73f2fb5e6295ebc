/*
 * thresholds.c - parsing and checking `--fail-if` (see thresholds.h).
 *
 *   p99>20ms  p99.9>=1s  mean>5ms  max>2s      latency (us, ms or s; ms if
 *                                              no unit)
 *   errors>0  errors>0.1%                      failed requests: a count, or
 *                                              a share of attempts
 *   5xx>0  4xx>=1%  2xx<99%                    responses of a class: a count,
 *                                              or a share of responses
 *   rps<5000  rps<5k                           requests per second
 *   requests<1000                              responses in all
 */
#include "thresholds.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *what, const char *expr)
{
	snprintf(err, errlen, "--fail-if '%s': %s", expr, what);
	return -1;
}

/* A number with what follows it: a latency unit, %, or k/M. */
static bool number(const char *s, bool latency, bool *share, double *out)
{
	char *end;
	double v = strtod(s, &end);
	if (end == s || !isfinite(v) || v < 0)
		return false;
	*share = false;
	if (*end == '%') {
		*share = true;
		v /= 100;
		end++;
	} else if (latency) {
		if (strcmp(end, "us") == 0)
			end += 2;
		else if (strcmp(end, "ms") == 0 || !*end)
			v *= 1e3, end += *end ? 2 : 0;
		else if (strcmp(end, "s") == 0)
			v *= 1e6, end++;
	} else if (*end == 'k' || *end == 'M') {
		v *= *end == 'k' ? 1e3 : 1e6;
		end++;
	}
	*out = v;
	return *end == 0;
}

static int parse_one(struct threshold *t, const char *expr, char *err, size_t errlen)
{
	snprintf(t->text, sizeof(t->text), "%s", expr);
	size_t name_len = strcspn(expr, "<>");
	if (!expr[name_len])
		return fail(err, errlen, "no comparison (>, >=, < or <=)", expr);
	const char *op = expr + name_len;
	t->op = op[1] == '=' ? (op[0] == '>' ? 'G' : 'L') : op[0];
	const char *val = op + (op[1] == '=' ? 2 : 1);
	char name[32];
	if (name_len == 0 || name_len >= sizeof(name))
		return fail(err, errlen, "no measure before the comparison", expr);
	memcpy(name, expr, name_len);
	name[name_len] = 0;
	bool latency = false;
	if (name[0] == 'p' && (isdigit((unsigned char)name[1]))) {
		char *end;
		t->pct = strtod(name + 1, &end);
		if (*end || t->pct < 0 || t->pct > 100)
			return fail(err, errlen, "a percentile is p0 to p100 (p99, p99.9)", expr);
		t->metric = TH_PERCENTILE;
		latency = true;
	} else if (strcmp(name, "mean") == 0 || strcmp(name, "max") == 0) {
		t->metric = name[1] == 'e' ? TH_MEAN : TH_MAX;
		latency = true;
	} else if (strcmp(name, "errors") == 0) {
		t->metric = TH_ERRORS;
	} else if (strlen(name) == 3 && name[0] >= '1' && name[0] <= '5' && strcmp(name + 1, "xx") == 0) {
		t->metric = TH_CLASS;
		t->klass = name[0] - '0';
	} else if (strcmp(name, "rps") == 0) {
		t->metric = TH_RPS;
	} else if (strcmp(name, "requests") == 0) {
		t->metric = TH_REQUESTS;
	} else {
		return fail(err, errlen, "unknown measure (pN, mean, max, errors, 1xx..5xx, rps, requests)",
		            expr);
	}
	if (!number(val, latency, &t->share, &t->value))
		return fail(err, errlen,
		            latency ? "a latency is a number with us, ms or s" : "not a number (or N%)",
		            expr);
	if (t->share && t->metric != TH_ERRORS && t->metric != TH_CLASS)
		return fail(err, errlen, "only errors and status classes take a %", expr);
	if (t->share && t->value > 1)
		return fail(err, errlen, "a share is at most 100%", expr);
	return 0;
}

int thresholds_parse(struct thresholds *ts, const char *spec, char *err, size_t errlen)
{
	char buf[1024];
	if (snprintf(buf, sizeof(buf), "%s", spec) >= (int)sizeof(buf))
		return fail(err, errlen, "too long", "...");
	char *save = NULL;
	size_t n0 = ts->n;
	for (char *e = strtok_r(buf, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		while (*e == ' ')
			e++;
		size_t n = strlen(e);
		while (n && e[n - 1] == ' ')
			e[--n] = 0;
		if (ts->n == THRESHOLDS_MAX)
			return fail(err, errlen, "more than 32 thresholds", e);
		if (parse_one(&ts->t[ts->n], e, err, errlen))
			return -1;
		ts->n++;
	}
	if (ts->n == n0)
		return fail(err, errlen, "no expression", spec);
	return 0;
}

/* The measured value of t in r, in t's terms; *shown gets it for people. */
static double measured(const struct threshold *t, const struct bench_report *r, char *shown, size_t cap)
{
	uint64_t failed = 0, unanswered = 0;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
		failed += r->errors[k];
		if (k != RF_BENCH_ERR_STATUS) /* a status error is also a response */
			unanswered += r->errors[k];
	}
	double v;
	switch (t->metric) {
	case TH_PERCENTILE:
	case TH_MEAN:
	case TH_MAX:
		v = t->metric == TH_MEAN  ? rf_hist_mean(r->latency)
		    : t->metric == TH_MAX ? (double)rf_hist_max(r->latency)
		                          : (double)rf_hist_percentile(r->latency, t->pct);
		if (v >= 1e6)
			snprintf(shown, cap, "%.3g s", v / 1e6);
		else if (v >= 1e3)
			snprintf(shown, cap, "%.3g ms", v / 1e3);
		else
			snprintf(shown, cap, "%.0f us", v);
		return v;
	case TH_ERRORS: {
		uint64_t attempts = r->requests + unanswered;
		if (t->share) {
			v = attempts ? (double)failed / (double)attempts : 0;
			snprintf(shown, cap, "%.3g%% (%llu of %llu)", v * 100, (unsigned long long)failed,
			         (unsigned long long)attempts);
			return v;
		}
		snprintf(shown, cap, "%llu", (unsigned long long)failed);
		return (double)failed;
	}
	case TH_CLASS: {
		uint64_t n = 0;
		for (int s = t->klass * 100; s < t->klass * 100 + 100 && s < 600; s++)
			n += r->status[s];
		if (t->share) {
			v = r->requests ? (double)n / (double)r->requests : 0;
			snprintf(shown, cap, "%.3g%% (%llu of %llu)", v * 100, (unsigned long long)n,
			         (unsigned long long)r->requests);
			return v;
		}
		snprintf(shown, cap, "%llu", (unsigned long long)n);
		return (double)n;
	}
	case TH_RPS:
		v = r->duration > 0 ? (double)r->requests / r->duration : 0;
		snprintf(shown, cap, "%.0f", v);
		return v;
	case TH_REQUESTS:
		snprintf(shown, cap, "%llu", (unsigned long long)r->requests);
		return (double)r->requests;
	}
	return 0;
}

size_t thresholds_check(const struct thresholds *ts, const struct bench_report *r, FILE *to)
{
	size_t crossed = 0;
	for (size_t i = 0; i < ts->n; i++) {
		const struct threshold *t = &ts->t[i];
		char shown[96];
		double v = measured(t, r, shown, sizeof(shown));
		bool hit = t->op == '>'   ? v > t->value
		           : t->op == '<' ? v < t->value
		           : t->op == 'G' ? v >= t->value
		                          : v <= t->value;
		if (!hit)
			continue;
		crossed++;
		fprintf(to, "ringfetch bench: threshold crossed: %s (measured %s)\n", t->text, shown);
	}
	return crossed;
}
