/*
 * sink_stage.h - what the files of the body stage share (sink.c, the kinds
 * sink_*.c, splice.c): the receive buffers seen from the sink's side and
 * the small ways to record what happened.  Not for the rest of the engine.
 */
#ifndef RF_SINK_STAGE_H
#define RF_SINK_STAGE_H

#include <stdio.h>

#include "engine.h"

/* The descriptor the kind writes body bytes to now (*positional: at
 * explicit offsets), or -1: not ready, or a kind that consumes. */
static inline int rf__sink_target(const struct rf__slot *s, bool *positional)
{
	*positional = false;
	return s->sink.ops->target ? s->sink.ops->target(s, positional) : -1;
}

/* A note for the result (the latest wins). */
static inline void rf__sink_note(struct rf__slot *s, const char *text)
{
	snprintf(s->req->note, sizeof(s->req->note), "%s", text);
}

/* A failure of the local output at path (the first error wins). */
static inline void rf__sink_fail_path(struct rf__slot *s, int err, const char *what, const char *path)
{
	rf__slot_error(s, err, true, "%s %s", what, path);
}

/* The held buffer that came first (the sink's order), or NULL. */
static inline struct rf__buf *rf__sink_first_held(struct rf__slot *s)
{
	struct rf__buf *best = NULL;
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++)
		if (s->rx.buf[i].state == RF__BUF_HELD && (!best || s->rx.buf[i].seq < best->seq))
			best = &s->rx.buf[i];
	return best;
}

/* A held buffer is dropped unwritten (the transfer failed): the file must
 * not be trusted beyond its first unwritten byte. */
static inline void rf__sink_note_hole(struct rf__slot *s, const struct rf__buf *b)
{
	if (b->written < b->body_len && b->off + (int64_t)b->written < s->sink.hole_at)
		s->sink.hole_at = b->off + (int64_t)b->written;
}

/* b's bytes are all taken (or dropped): it is free for receiving again. */
static inline void rf__sink_buf_drop(rf_client *c, struct rf__buf *b)
{
	rf__buf_release(c->loop, b);
	b->body = NULL;
	b->body_len = b->written = 0;
	b->writing = false;
}

/* The headers of a kind that takes only a body from its start: a 206 is
 * right only for a range the request asked for. */
static inline void rf__sink_whole_headers(rf_client *c, struct rf__slot *s)
{
	(void)c;
	if (s->resp.status == 206 && !s->req->range)
		rf__slot_error(s, RF_ERANGE, false, NULL);
}

/* The name messages give a destination that is not a file of ours. */
static inline const char *rf__sink_shown_output(const struct rf__slot *s)
{
	(void)s;
	return "output";
}

/* sink_digest.c (rf__sink_digest itself: sink.h) */
/* Before an attempt: the digests the request and the client want, reset
 * (fails the slot with -ENOMEM when one cannot be made). */
void rf__sink_digests_begin(rf_client *c, struct rf__slot *s);
/* What was fed so far is thrown away (the body restarts from zero). */
void rf__sink_digests_reset(struct rf__slot *s);
/* All body bytes are in: compare the checksum, keep the printable digest. */
void rf__sink_digests_finish(struct rf__slot *s);
void rf__sink_digests_free(struct rf__sink *k);

#endif
