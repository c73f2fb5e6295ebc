/*
 * sink_fd.c - the descriptor sink kind (RF_SINK_FD): a body appended to a
 * descriptor the caller opened and keeps (stdout, a pipe, -o /dev/null).
 * Writes go at the descriptor's own position, so one at a time, in body
 * order (the stage, sink.c, does that for an `ordered` kind); nothing is
 * ever opened, renamed or closed here.
 */
#include "sink_stage.h"

static int fd_target(const struct rf__slot *s, bool *positional)
{
	*positional = false;
	return s->req->fd;
}

static bool fd_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	(void)c, (void)s, (void)failed;
	return true; /* the descriptor stays the caller's, as it was */
}

const struct rf__sink_ops rf__sink_fd_ops = {
	.kind = "descriptor",
	.ordered = true,
	.headers = rf__sink_whole_headers,
	.target = fd_target,
	.finish = fd_finish,
	.shown = rf__sink_shown_output,
};
