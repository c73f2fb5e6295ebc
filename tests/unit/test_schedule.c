/* test_schedule.c - the open model's rate over time: counts by time
 * against the integral of the stages, times of request g as the exact
 * inverse, ramps up and down, a rate of 0 that never releases, bad input. */
#include <math.h>

#include "schedule.h"
#include "tap.h"

int main(void)
{
	struct rf__schedule s;
	/* constant: 100/s, no stages */
	CHECK(rf__schedule_init(&s, 0, 100, NULL, NULL, 0) == 0, "constant rate");
	CHECK(fabs(rf__schedule_count(&s, 2.5) - 250) < 1e-9 && fabs(rf__schedule_time(&s, 250) - 2.5) < 1e-12,
	      "100/s: 250 due by 2.5 s, and request 250 at 2.5 s");

	/* 2 s warmup at 10/s, a ramp 10 -> 110 over 10 s, down to 0 over 5 s */
	double lengths[] = {10, 5}, rates[] = {110, 0};
	CHECK(rf__schedule_init(&s, 2, 10, lengths, rates, 2) == 0, "warmup and two stages");
	CHECK(fabs(rf__schedule_count(&s, 2) - 20) < 1e-9, "warmup: 20 due (%g)", rf__schedule_count(&s, 2));
	double ramp = 20 + (10 + 110) / 2.0 * 10; /* the ramp's area */
	CHECK(fabs(rf__schedule_count(&s, 12) - ramp) < 1e-9, "after the ramp: %g due (%g)", ramp,
	      rf__schedule_count(&s, 12));
	CHECK(fabs(rf__schedule_rate(&s, 7) - 60) < 1e-9, "mid-ramp rate 60/s (%g)", rf__schedule_rate(&s, 7));
	CHECK(fabs(rf__schedule_count(&s, 17) - (ramp + 110 * 5 / 2.0)) < 1e-9, "ramp down: its triangle");
	int bad = 0;
	for (double g = 0.5; g < ramp + 275 - 1; g += 7.3) {
		double t = rf__schedule_time(&s, g);
		if (!(fabs(rf__schedule_count(&s, t) - g) < 1e-6))
			bad++;
	}
	CHECK(bad == 0, "time(g) inverts count(t) across warmup, ramp up and ramp down (%d bad)", bad);
	CHECK(isinf(rf__schedule_time(&s, ramp + 275 + 1)), "past the end at rate 0: never due");

	/* per-second counts of a ramp 0 -> 100 over 10 s: 5, 15, 25 ... */
	double l1[] = {10}, r1[] = {100};
	CHECK(rf__schedule_init(&s, 0, 0, l1, r1, 1) == 0, "ramp from 0");
	bad = 0;
	for (int sec = 0; sec < 10; sec++) {
		double n = rf__schedule_count(&s, sec + 1) - rf__schedule_count(&s, sec);
		if (fabs(n - (10 * sec + 5)) > 1e-9)
			bad++;
	}
	CHECK(bad == 0 && rf__schedule_time(&s, 0) == 0 && rf__schedule_time(&s, 1) > 0,
	      "from rate 0: second s has 10 s + 5 due");
	CHECK(fabs(rf__schedule_count(&s, 12) - (500 + 200)) < 1e-9, "after the stages the last rate holds");

	double neg[] = {-1};
	CHECK(rf__schedule_init(&s, 0, 10, neg, r1, 1) != 0 && rf__schedule_init(&s, 0, -5, NULL, NULL, 0) != 0 &&
	          rf__schedule_init(&s, 0, NAN, NULL, NULL, 0) != 0,
	      "negative or NaN lengths and rates are refused");
	return tap_done();
}
