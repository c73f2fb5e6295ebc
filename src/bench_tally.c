/*
 * bench_tally.c - per-target and per-step counts of the load generator
 * (see bench_tally.h).
 */
#include "bench_tally.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hdr.h"
#include "ringfetch.h"

int rf__tally_init(struct rf__tally *t, size_t n_targets, int64_t step_ns)
{
	memset(t, 0, sizeof(*t));
	t->step_ns = step_ns > 0 ? step_ns : 1000000000;
	t->targets = calloc(n_targets ? n_targets : 1, sizeof(*t->targets));
	t->steps = calloc(RF_BENCH_MAX_STEPS, sizeof(*t->steps));
	if (!t->targets || !t->steps) {
		rf__tally_free(t);
		return -ENOMEM;
	}
	t->n_targets = n_targets;
	return 0;
}

void rf__tally_free(struct rf__tally *t)
{
	for (size_t i = 0; t->targets && i < t->n_targets; i++)
		rf__hdr_free(t->targets[i].lat);
	for (size_t i = 0; t->steps && i < RF_BENCH_MAX_STEPS; i++)
		rf__hdr_free(t->steps[i].lat);
	free(t->targets);
	free(t->steps);
	memset(t, 0, sizeof(*t));
}

/* Twice as wide: step 2i and 2i + 1 become step i. */
static void widen(struct rf__tally *t)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n_steps; i += 2, n++) {
		struct rf__tally_step a = t->steps[i];
		struct rf__tally_step b = i + 1 < t->n_steps ? t->steps[i + 1] : (struct rf__tally_step){0};
		if (a.lat && b.lat) {
			rf__hdr_merge(a.lat, b.lat);
			rf__hdr_free(b.lat);
		} else if (!a.lat) {
			a.lat = b.lat;
		}
		t->steps[n] = (struct rf__tally_step){a.requests + b.requests, a.errors + b.errors, a.lat};
	}
	for (size_t i = n; i < t->n_steps; i++)
		t->steps[i] = (struct rf__tally_step){0};
	t->n_steps = n;
	t->step_ns *= 2;
}

static struct rf__tally_step *step_at(struct rf__tally *t, int64_t at)
{
	if (at < 0)
		at = 0;
	while ((uint64_t)(at / t->step_ns) >= RF_BENCH_MAX_STEPS)
		widen(t);
	size_t i = (size_t)(at / t->step_ns);
	if (i >= t->n_steps)
		t->n_steps = i + 1;
	return &t->steps[i];
}

void rf__tally_response(struct rf__tally *t, size_t i, int64_t at, int status, uint64_t us)
{
	struct rf__tally_target *g = &t->targets[i];
	g->requests++;
	g->ok += status >= 100 && status < 400;
	if (status >= 100 && status < 600)
		g->status_class[status / 100]++;
	if (!g->lat && i < RF_BENCH_TARGET_HISTS && !(g->lat = rf__hdr_new(RF__HDR_COARSE_BITS)))
		t->short_of_memory = true;
	if (g->lat)
		rf__hdr_record(g->lat, us);
	struct rf__tally_step *s = step_at(t, at);
	s->requests++;
	if (!s->lat && !(s->lat = rf__hdr_new(RF__HDR_COARSE_BITS)))
		t->short_of_memory = true;
	if (s->lat)
		rf__hdr_record(s->lat, us);
}

void rf__tally_error(struct rf__tally *t, size_t i, int64_t at, const char *sample)
{
	struct rf__tally_target *g = &t->targets[i];
	g->errors++;
	if (!g->sample[0])
		snprintf(g->sample, sizeof(g->sample), "%s", sample);
	step_at(t, at)->errors++;
}

int rf__tally_merge(struct rf__tally *dst, const struct rf__tally *src)
{
	for (size_t i = 0; i < dst->n_targets && i < src->n_targets; i++) {
		struct rf__tally_target *d = &dst->targets[i];
		const struct rf__tally_target *s = &src->targets[i];
		d->requests += s->requests;
		d->ok += s->ok;
		d->errors += s->errors;
		for (int k = 0; k < 6; k++)
			d->status_class[k] += s->status_class[k];
		if (s->lat && !d->lat && !(d->lat = rf__hdr_new(RF__HDR_COARSE_BITS)))
			return -ENOMEM;
		if (s->lat)
			rf__hdr_merge(d->lat, s->lat);
		if (!d->sample[0])
			memcpy(d->sample, s->sample, sizeof(d->sample));
	}
	while (dst->step_ns < src->step_ns)
		widen(dst);
	dst->short_of_memory |= src->short_of_memory;
	int64_t factor = dst->step_ns / src->step_ns; /* widths are the base's powers of two */
	for (size_t i = 0; i < src->n_steps; i++) {
		const struct rf__tally_step *s = &src->steps[i];
		struct rf__tally_step *d = step_at(dst, (int64_t)(i / (size_t)factor) * dst->step_ns);
		d->requests += s->requests;
		d->errors += s->errors;
		if (!s->lat)
			continue;
		if (!d->lat && !(d->lat = rf__hdr_new(RF__HDR_COARSE_BITS)))
			return -ENOMEM;
		rf__hdr_merge(d->lat, s->lat);
	}
	return 0;
}
