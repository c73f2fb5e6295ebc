/*
 * splice.c - the rest of a large plain-HTTP body straight into its file.
 *
 * socket -> pipe moves page references (no copy), pipe -> file copies once
 * into the page cache: one copy per byte instead of recv's two.  The pair is
 * hard-linked (the second runs even when the first moves fewer bytes) and
 * the second is non-blocking, so a failed first cannot leave it waiting.
 * Used only where no byte needs to be seen: plain HTTP (not TLS), a file
 * sink, a known Content-Length with at least SPLICE_MIN left, no digest.
 * The pipe belongs to the slot and is kept (empty) for its next transfer.
 * The body never passes the parser, so bytes a broken server sent after it
 * would go unseen into the next response: the slot does not reuse the
 * connection after RF__SPLICE_BODY_DONE (a new connection is cheap next to a
 * body this large).  Failures are recorded in the slot and reported as
 * RF__SPLICE_STOP; this file never calls up.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "sink_stage.h"

#define SPLICE_MIN (1u << 20) /* bodies with less left than this are not worth a pipe */

bool rf__splice_ok(const rf_client *c, const struct rf__slot *s)
{
	bool positional;
	return !c->opts.no_splice && !rf__conn_is_tls(s->conn) && s->body == RF__BODY_SINK &&
	       rf__sink_target(s, &positional) >= 0 && positional &&          /* a file at offsets */
	       s->resp.has_length && s->req->split < 2 && !s->sink.segment && /* cut at a segment's end */
	       !s->sink.dec && /* decoded bytes go through memory */
	       !s->sink.dg_check && !s->sink.dg_print && s->resp.content_length - s->body_in >= SPLICE_MIN;
}

void rf__splice_init(struct rf__splice *sp)
{
	*sp = (struct rf__splice){.pipe_r = -1, .pipe_w = -1};
}

void rf__splice_reset(struct rf__splice *sp)
{
	assert(!sp->in_busy && !sp->out_busy);
	if (sp->in_pipe) { /* bytes nobody took: the pipe is not reused */
		rf__splice_release(sp);
		return;
	}
	*sp = (struct rf__splice){.pipe_r = sp->pipe_r, .pipe_w = sp->pipe_w, .pipe_len = sp->pipe_len};
}

void rf__splice_release(struct rf__splice *sp)
{
	if (sp->pipe_r >= 0) {
		close(sp->pipe_r);
		close(sp->pipe_w);
	}
	rf__splice_init(sp);
}

static void pipe_close(struct rf__slot *s)
{
	rf__splice_release(&s->splice);
}

/* Start moving the next piece; false when no pipe could be made. */
bool rf__splice_next(rf_client *c, struct rf__slot *s)
{
	/* the body goes around the parser and TLS: plain, known length, a file */
	bool positional;
	int fd = rf__sink_target(s, &positional);
	assert(!rf__conn_is_tls(s->conn) && s->resp.has_length && fd >= 0 && positional);
	if (s->splice.pipe_r < 0) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC))
			return false;
		s->splice.pipe_r = fds[0];
		s->splice.pipe_w = fds[1];
		int sz = fcntl(s->splice.pipe_w, F_SETPIPE_SZ, 1 << 20);
		s->splice.pipe_len = sz > 0 ? (unsigned)sz : 65536;
	}
	s->splice.splicing = true;
	uint64_t left = s->resp.content_length - s->body_in;
	unsigned len = left < s->splice.pipe_len ? (unsigned)left : s->splice.pipe_len;
	rf__slot_sock_op(s, RF__OP_SPLICE_IN, 0);
	s->splice.in_busy = true;
	rf__op_splice(c->loop, s->sock_tag, s->conn->fd, -1, s->splice.pipe_w, -1, len, 0, true);
	s->sink.writes++;
	s->splice.out_busy = true;
	rf__op_splice(c->loop, rf__slot_op(s, RF__OP_SPLICE_OUT, 0), s->splice.pipe_r, -1, fd,
	              s->sink.base + s->next_off, len, SPLICE_F_NONBLOCK, false);
	return true;
}

/* Both halves of a splice are back: drain, go on, or say it is over. */
static enum rf__splice_outcome splice_step(rf_client *c, struct rf__slot *s)
{
	if (s->splice.in_busy || s->splice.out_busy)
		return RF__SPLICE_MOVING;
	if (rf__slot_abandoned(s)) {
		if (s->splice.in_pipe)
			pipe_close(s); /* bytes nobody will take */
		return RF__SPLICE_STOP;
	}
	bool positional;
	int fd = rf__sink_target(s, &positional);
	if (s->splice.in_pipe) { /* the file took fewer than the pipe held */
		assert(fd >= 0 && positional);
		s->sink.writes++;
		s->splice.out_busy = true;
		rf__op_splice(c->loop, rf__slot_op(s, RF__OP_SPLICE_OUT, 0), s->splice.pipe_r, -1, fd,
		              s->sink.base + s->next_off, (unsigned)s->splice.in_pipe, SPLICE_F_NONBLOCK,
		              false);
		return RF__SPLICE_MOVING;
	}
	if (s->body_in == s->resp.content_length) {
		s->splice.splicing = false;
		rf__exchange_body_done(&s->ex);
		return RF__SPLICE_BODY_DONE;
	}
	rf__splice_next(c, s);
	return RF__SPLICE_MOVING;
}

enum rf__splice_outcome rf__splice_on_in(rf_client *c, struct rf__slot *s, int res)
{
	s->splice.in_busy = false;
	if (res > 0) {
		s->splice.in_pipe += res;
		s->last_io = c->now;
	} else if (!rf__slot_abandoned(s)) {
		if (res == 0)
			rf__slot_error(s, RF_ETRUNCATED, false, NULL);
		else if (res != -ECANCELED)
			rf__slot_error(s, res, false, NULL);
	}
	return splice_step(c, s);
}

enum rf__splice_outcome rf__splice_on_out(rf_client *c, struct rf__slot *s, int res)
{
	s->splice.out_busy = false;
	s->sink.writes--;
	if (res > 0) {
		s->splice.in_pipe -= res;
		s->bytes += (uint64_t)res;
		s->body_in += (uint64_t)res;
		s->next_off += res;
		s->last_io = c->now;
	} else if (res == 0 && s->splice.in_pipe && !s->err) {
		res = -EIO; /* the file took nothing: do not spin on it */
	}
	if (res < 0 && res != -EAGAIN && res != -ECANCELED && !s->err) {
		rf__slot_error(s, res, true, "write %s", s->sink.ops->shown(s));
	}
	return splice_step(c, s);
}
