/*
 * retry.c - whether a failed attempt is tried again, and after how long.
 *
 * The policy in one place: retried are connect failures, resets, timeouts,
 * truncated bodies and the statuses 408 429 500 502 503 504 (a checksum
 * mismatch only with retry_on_checksum); local errors never.  The backoff
 * doubles from retry_delay with 0.5x-1.5x jitter, a Retry-After wins, and
 * no retry is planned past the request's max-time deadline.  The decision
 * is taken once per attempt (the slot remembers it), so the sink (keep the
 * .part for the retry?) and the client (queue the retry) agree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine.h"

static bool retryable_status(int st)
{
	return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

bool rf__retry_allowed(const rf_client *c, const struct rf__slot *s)
{
	switch (s->err) {
	case -ECONNREFUSED: case -ECONNRESET: case -ECONNABORTED: case -EPIPE: case -ETIMEDOUT:
	case -ENETUNREACH: case -EHOSTUNREACH: case -ENETDOWN: case -EHOSTDOWN:
	case RF_ECONNECT_TIMEOUT: case RF_EIDLE_TIMEOUT: case RF_ETRUNCATED: case RF_ENOANSWER:
		return !s->err_local;
	case RF_EHTTP_STATUS:
		return retryable_status(s->resp.status);
	case RF_ECHECKSUM:
		return c->opts.retry_on_checksum != 0;
	default:
		return false;
	}
}

int64_t rf__retry_delay(rf_client *c, struct rf__slot *s)
{
	if (s->retry_decided)
		return s->retry_delay;
	s->retry_decided = true;
	s->retry_delay = -1;
	struct rf__req *r = s->req;
	if (c->stopping || r->retries >= c->opts.retries || !rf__retry_allowed(c, s))
		return -1;
	double delay = c->opts.retry_delay * (double)(1u << (r->retries < 16 ? r->retries : 16));
	delay *= 0.5 + (double)random() / RAND_MAX; /* jitter: 0.5x to 1.5x */
	double after = s->resp.retry_after[0]
	                   ? rf__http1_retry_after(s->resp.retry_after, (int64_t)time(NULL))
	                   : -1;
	if (after >= 0)
		delay = after; /* the server said when */
	int64_t at = c->now + (int64_t)(delay * 1e9);
	if (r->deadline && at >= r->deadline) {
		snprintf(r->note, sizeof(r->note), "not retried: the next attempt (in %.1f s) would "
		         "pass --max-time", delay);
		return -1;
	}
	s->retry_delay = (int64_t)(delay * 1e9);
	return s->retry_delay;
}

