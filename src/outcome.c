/*
 * outcome.c - what a finished attempt leads to, decided once: report it,
 * requeue it (redirect, stale connection), or retry it later; and whether
 * a failed attempt's .part is kept (for that retry, or for the user's -c).
 *
 * The policy in one place: retried are connect failures, resets, timeouts,
 * truncated bodies and the statuses 408 429 500 502 503 504 (a checksum
 * mismatch only with retry_on_checksum); local errors never.  The backoff
 * doubles from retry_delay with 0.5x-1.5x jitter, a Retry-After wins, and
 * no retry is planned past the request's max-time deadline.  A .part with
 * data is kept when the retry can continue it with Range (the server spoke
 * of ranges or validators), when the user asked for -c and the failure is
 * of a retryable kind, or when the run was interrupted; never after a
 * checksum mismatch.  The decision is taken once per attempt and kept in
 * the slot, so the sink (keep or drop the .part) and the client (report,
 * requeue, retry) act on the same one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine.h"
#include "fields.h"

static bool retryable_status(int st)
{
	return st == 408 || st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

bool rf__retry_allowed(const rf_client *c, const struct rf__slot *s)
{
	switch (s->err) {
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -ECONNABORTED:
	case -EPIPE:
	case -ETIMEDOUT:
	case -ENETUNREACH:
	case -EHOSTUNREACH:
	case -ENETDOWN:
	case -EHOSTDOWN:
	case RF_ECONNECT_TIMEOUT:
	case RF_EIDLE_TIMEOUT:
	case RF_ETRUNCATED:
	case RF_ENOANSWER:
	case RF_EHTTP2:
		return !s->err_local;
	case RF_EHTTP_STATUS:
		return retryable_status(s->resp.status);
	case RF_ECHECKSUM:
		return c->opts.retry_on_checksum != 0;
	default:
		return false;
	}
}

/* ns until the retry, or -1 for none */
static int64_t retry_delay(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	if (c->stopping || r->retries >= c->opts.retries || !rf__retry_allowed(c, s))
		return -1;
	double delay = c->opts.retry_delay * (double)(1u << (r->retries < 16 ? r->retries : 16));
	delay *= 0.5 + (double)random() / RAND_MAX; /* jitter: 0.5x to 1.5x */
	double after =
		s->resp.retry_after[0] ? rf__field_retry_after(s->resp.retry_after, (int64_t)time(NULL)) : -1;
	if (after >= 0)
		delay = after; /* the server said when */
	int64_t at = c->now + (int64_t)(delay * 1e9);
	if (r->deadline && at >= r->deadline) {
		snprintf(r->note, sizeof(r->note),
		         "not retried: the next attempt (in %.1f s) would "
		         "pass --max-time",
		         delay);
		return -1;
	}
	return (int64_t)(delay * 1e9);
}

const struct rf__outcome *rf__outcome(rf_client *c, struct rf__slot *s)
{
	struct rf__outcome *o = &s->outcome;
	if (o->decided)
		return o;
	o->decided = true;
	if (!s->err) {
		o->next = s->end == RF__END_REQUEUE && !c->stopping ? RF__NEXT_REQUEUE : RF__NEXT_REPORT;
		return o;
	}
	o->delay = retry_delay(c, s);
	o->next = o->delay >= 0 ? RF__NEXT_RETRY : RF__NEXT_REPORT;
	uint64_t on_disk = s->bytes + (uint64_t)s->sink.resume_from;
	bool ranges = s->resp.accept_ranges || s->resp.etag[0] || s->resp.last_modified[0] ||
	              s->sink.resume_from > 0;
	if (on_disk == 0 || s->err == RF_ECHECKSUM || s->req->range || s->sink.dec)
		o->keep_part = false; /* a range, a decoded body: fetched from the start again */
	else if (s->err == RF_ECANCELED)
		o->keep_part = true; /* interrupted: resumable with -c */
	else if (o->next == RF__NEXT_RETRY)
		o->keep_part = o->resume = ranges; /* the retry continues it with Range */
	else
		o->keep_part = (s->req->flags & RF_REQ_RESUME) && rf__retry_allowed(c, s);
	return o;
}
