/*
 * sink_consume.c - the sink kinds that take a body at once, on the loop
 * thread: a callback (RF_SINK_CALLBACK, handed each piece; a non-zero
 * return aborts the transfer with RF_EBODY_CALLBACK) and nowhere
 * (RF_SINK_DISCARD: counted and dropped, for checks and benchmarks).
 * The receive buffer is free again as soon as the call returns.
 */
#include "sink_stage.h"

static int callback_check(const rf_request *rq, const char **why)
{
	if (!rq->on_body) {
		*why = "callback sink without on_body";
		return RF_EINVAL;
	}
	return 0;
}

static int callback_consume(rf_client *c, struct rf__slot *s, const void *p, size_t n)
{
	(void)c;
	return s->req->on_body(s->req->user, p, n) ? RF_EBODY_CALLBACK : 0;
}

static int discard_consume(rf_client *c, struct rf__slot *s, const void *p, size_t n)
{
	(void)c, (void)s, (void)p, (void)n;
	return 0;
}

static bool consume_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	(void)c, (void)s, (void)failed;
	return true; /* nothing was opened */
}

const struct rf__sink_ops rf__sink_callback_ops = {
	.kind = "callback",
	.check = callback_check,
	.headers = rf__sink_whole_headers,
	.consume = callback_consume,
	.finish = consume_finish,
	.shown = rf__sink_shown_output,
};

const struct rf__sink_ops rf__sink_discard_ops = {
	.kind = "discard",
	.headers = rf__sink_whole_headers,
	.consume = discard_consume,
	.finish = consume_finish,
	.shown = rf__sink_shown_output,
};
