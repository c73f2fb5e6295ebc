/*
 * schedule.c - the open model's rate over time (see schedule.h).
 *
 * Within a segment the rate is linear, r(u) = a + (b - a) u / L, so the
 * requests due after u seconds of it are a u + (b - a) u^2 / 2L, and the
 * inverse solves that quadratic in the form that stays exact when a or
 * b - a is 0: u = 2 x / (a + sqrt(a^2 + 2 (b - a) x / L)).
 */
#include "schedule.h"

#include <math.h>
#include <string.h>

static double seg_count(const struct rf__schedule_seg *g, double u)
{
	if (u <= 0)
		return 0;
	if (u > g->length)
		u = g->length;
	return g->from * u + (g->to - g->from) * u * u / (2 * g->length);
}

int rf__schedule_init(struct rf__schedule *s, double warmup, double start_rate, const double *lengths,
                      const double *rates, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (n > RF__SCHEDULE_MAX_STAGES || !(warmup >= 0) || !isfinite(warmup) || !(start_rate >= 0) ||
	    !isfinite(start_rate))
		return -1;
	double t = 0, before = 0, rate = start_rate;
	for (size_t i = 0; i <= n; i++) {
		double len = i ? lengths[i - 1] : warmup;
		double to = i ? rates[i - 1] : start_rate;
		if (!(len >= 0) || !isfinite(len) || !(to >= 0) || !isfinite(to))
			return -1;
		if (len == 0) {
			rate = to;
			continue;
		}
		struct rf__schedule_seg *g = &s->seg[s->n++];
		*g = (struct rf__schedule_seg){
			.start = t, .length = len, .from = rate, .to = to, .before = before};
		before += seg_count(g, len);
		t += len;
		rate = to;
	}
	s->last_rate = rate;
	return 0;
}

/* The segment holding t, or NULL past the last. */
static const struct rf__schedule_seg *seg_at(const struct rf__schedule *s, double t)
{
	for (unsigned i = 0; i < s->n; i++)
		if (t < s->seg[i].start + s->seg[i].length)
			return &s->seg[i];
	return NULL;
}

static double end_of(const struct rf__schedule *s, double *count)
{
	if (!s->n) {
		*count = 0;
		return 0;
	}
	const struct rf__schedule_seg *g = &s->seg[s->n - 1];
	*count = g->before + seg_count(g, g->length);
	return g->start + g->length;
}

double rf__schedule_rate(const struct rf__schedule *s, double t)
{
	const struct rf__schedule_seg *g = seg_at(s, t < 0 ? 0 : t);
	if (!g)
		return s->last_rate;
	return g->from + (g->to - g->from) * (t - g->start) / g->length;
}

double rf__schedule_count(const struct rf__schedule *s, double t)
{
	if (t <= 0)
		return 0;
	const struct rf__schedule_seg *g = seg_at(s, t);
	if (g)
		return g->before + seg_count(g, t - g->start);
	double count, end = end_of(s, &count);
	return count + s->last_rate * (t - end);
}

double rf__schedule_time(const struct rf__schedule *s, double g_req)
{
	if (g_req <= 0)
		return 0;
	for (unsigned i = 0; i < s->n; i++) {
		const struct rf__schedule_seg *g = &s->seg[i];
		double in = seg_count(g, g->length);
		if (g_req > g->before + in)
			continue;
		double x = g_req - g->before, a = g->from, slope = (g->to - g->from) / g->length;
		double root = sqrt(fmax(0, a * a + 2 * slope * x)); /* r(u)^2: rounding aside, >= 0 */
		if (a + root <= 0)
			return INFINITY;
		double u = 2 * x / (a + root);
		return g->start + (u < g->length ? u : g->length);
	}
	double count, end = end_of(s, &count);
	if (s->last_rate <= 0)
		return INFINITY;
	return end + (g_req - count) / s->last_rate;
}
