/*
 * schedule.h - the open model's rate over time, for the load generator:
 * a warmup at the start rate, then stages, each moving the rate linearly to
 * its own over its duration (k6's ramping arrival rate; --rate-ramp and
 * --stages), then the last rate held.  Answers the two questions the
 * threads ask: how many requests are due by time t, and when request g
 * falls due (its inverse).  A leaf: numbers in, numbers out.
 */
#ifndef RF_SCHEDULE_H
#define RF_SCHEDULE_H

#include <stddef.h>

#define RF__SCHEDULE_MAX_STAGES 64

struct rf__schedule_seg {
	double start, length; /* seconds from the schedule's origin */
	double from, to;      /* requests/s at its start and its end */
	double before;        /* requests due before it */
};

struct rf__schedule {
	struct rf__schedule_seg seg[RF__SCHEDULE_MAX_STAGES + 1]; /* warmup first */
	unsigned n;
	double last_rate; /* after the last segment */
};

/* rates[i] and lengths[i] (seconds) of n stages after warmup seconds at
 * start_rate.  0, or -1 when a value is negative, not finite, or there are
 * more than RF__SCHEDULE_MAX_STAGES stages. */
int rf__schedule_init(struct rf__schedule *s, double warmup, double start_rate, const double *lengths,
                      const double *rates, size_t n);
/* The rate at t seconds, and the requests due in [0, t). */
double rf__schedule_rate(const struct rf__schedule *s, double t);
double rf__schedule_count(const struct rf__schedule *s, double t);
/* The time request g (0, 1, ... or any real g >= 0) falls due: the t at
 * which the count reaches g; INFINITY when the rate falls to 0 first. */
double rf__schedule_time(const struct rf__schedule *s, double g);

#endif
