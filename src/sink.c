/*
 * sink.c - the body stage every sink kind shares, and the one place a
 * request's kind becomes its table of functions (sink.h).
 *
 * The slot parses body bytes into its receive buffers and hands them over
 * here (held); they go to the kind from the buffers themselves - written to
 * its target (at explicit offsets, so both buffers can be under write at
 * once, or one at a time in body order for a descriptor), or consumed at
 * once - and a buffer is free for receiving again only when its bytes are
 * out: memory stays bounded per transfer.  A coded body detours through
 * the transform stage (sink_decode.c).  When the response has ended and
 * every write landed, the body's end is checked (decoder ended, checksum
 * matched) before the kind finishes - for a file, only then does it get
 * its final name.
 *
 * Failures are recorded in the slot (rf__slot_error): the sink never calls
 * up, the slot winds down when it sees s->err after any sink call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "decode.h"
#include "sink_stage.h"
#include "fields.h"

/* The kind of a request: the only place that looks at rf_request.sink. */
static const struct rf__sink_ops *ops_for(enum rf_sink_kind kind)
{
	switch (kind) {
	case RF_SINK_FILE:
		return &rf__sink_file_ops;
	case RF_SINK_DISCARD:
		return &rf__sink_discard_ops;
	case RF_SINK_CALLBACK:
		return &rf__sink_callback_ops;
	case RF_SINK_FD:
		return &rf__sink_fd_ops;
	case RF_SINK_ARCHIVE:
		return &rf__sink_archive_ops;
	case RF_SINK_WARC:
		return &rf__sink_warc_ops;
	}
	return NULL;
}

void rf__sink_init(struct rf__sink *k)
{
	k->ffd = k->pfx_fd = k->dir_fd = k->stage_fd = -1;
}

void rf__sink_reset(struct rf__sink *k)
{
	rf__sink_release(k, false);
	/* the digest objects are reused (reset before use) */
	*k = (struct rf__sink){.dg_check = k->dg_check, .dg_print = k->dg_print};
	rf__sink_init(k);
}

void rf__sink_release(struct rf__sink *k, bool all)
{
	free(k->part);
	free(k->target);
	free(k->dirpath);
	free(k->member_buf);
	free(k->stage_buf);
	free(k->warc_buf);
	free(k->warc_out);
	free(k->warc_tail);
	free(k->warc_uri);
	free(k->warc_head);
	rf__digest_free(k->warc_payload);
	rf__digest_free(k->warc_block);
	k->warc_buf = k->warc_out = k->warc_tail = k->warc_uri = k->warc_head = NULL;
	k->warc_payload = k->warc_block = NULL;
	k->member_buf = k->stage_buf = NULL;
	if (k->stage_fd >= 0) /* torn down mid-way: the unnamed file goes with it */
		close(k->stage_fd);
	k->stage_fd = -1;
	rf__decoder_free(k->dec);
	free(k->dec_out);
	k->part = k->target = k->dirpath = k->dec_out = NULL;
	k->dec = NULL;
	if (all)
		rf__sink_digests_free(k);
}

int rf__sink_check(const rf_request *rq, const char **why)
{
	const struct rf__sink_ops *ops = ops_for(rq->sink);
	if (!ops) {
		*why = "unknown sink";
		return RF_EINVAL;
	}
	return ops->check ? ops->check(rq, why) : 0;
}

bool rf__sink_makes_files(enum rf_sink_kind kind)
{
	const struct rf__sink_ops *ops = ops_for(kind);
	return ops && ops->makes_files;
}

void rf__sink_begin(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	k->ops = ops_for(s->req->sink);
	assert(k->ops); /* rf__sink_check let only known kinds in */
	k->resume_from = 0;
	k->part_on_disk = false;
	k->resume_final = false;
	k->owned = false;
	k->validator[0] = 0;
	k->hole_at = INT64_MAX;
	k->segment = false;
	rf__sink_digests_begin(c, s);
	if (!s->err && k->ops->prepare)
		k->ops->prepare(c, s);
}

/* A 206 to a request for a range (rf_request.range): it starts where
 * asked ("-N": it ends where the resource ends). */
static bool asked_range_ok(const struct rf__slot *s)
{
	int64_t start, end, total;
	const char *r = s->req->range;
	if (rf__field_content_range(s->resp.content_range, &start, &end, &total))
		return false;
	if (r[0] == '-')
		return end == total - 1 && end - start + 1 <= strtoll(r + 1, NULL, 10);
	return start == strtoll(r, NULL, 10);
}

void rf__sink_headers(rf_client *c, struct rf__slot *s)
{
	if (!rf__decode_start(c, s))
		return;
	if (s->req->range && s->resp.status == 206 && !asked_range_ok(s)) {
		rf__slot_error(s, RF_ERANGE, false, "206 with Content-Range '%.100s' for the range %.60s",
		               s->resp.content_range, s->req->range);
		return;
	}
	if (s->req->range && s->resp.status == 200)
		rf__sink_note(s, "the server ignored the range and sent the whole resource: saved whole");
	s->sink.ops->headers(c, s);
}

static void submit_write(rf_client *c, struct rf__slot *s, struct rf__buf *b, int fd, bool positional)
{
	assert(b->state == RF__BUF_HELD && !b->writing && b->written < b->body_len);
	b->writing = true;
	s->sink.writes++;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_WRITE, (unsigned)(b - s->rx.buf)), fd,
	             b->body + b->written, (unsigned)(b->body_len - b->written),
	             positional ? s->sink.base + b->off + (int64_t)b->written : -1);
}

/* A consuming kind takes every held buffer now, in body order. */
static void consume_held(rf_client *c, struct rf__slot *s)
{
	struct rf__buf *b;
	while ((b = rf__sink_first_held(s))) {
		int err = s->sink.ops->consume(c, s, b->body, b->body_len);
		if (err == -EAGAIN)
			return; /* the kind holds it: pumped again when its op completes */
		if (!err)
			s->bytes += b->body_len;
		rf__sink_buf_drop(c, b);
		if (err) {
			rf__slot_error(s, err, false, NULL);
			return;
		}
	}
}

void rf__sink_pump(rf_client *c, struct rf__slot *s)
{
	const struct rf__sink_ops *ops = s->sink.ops;
	if (rf__slot_abandoned(s))
		return;
	if (s->sink.dec) {
		rf__decode_pump(c, s);
		return;
	}
	if (ops->consume) {
		consume_held(c, s);
		return;
	}
	/* a file: nothing is written before the space is reserved, so a full
	 * disk fails before the first byte (its target says -1 until then) */
	bool positional;
	int fd = rf__sink_target(s, &positional);
	if (fd < 0)
		return;
	if (ops->ordered) {
		struct rf__buf *b = rf__sink_first_held(s);
		if (!s->sink.writes && b)
			submit_write(c, s, b, fd, positional);
		return;
	}
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++)
		if (s->rx.buf[i].state == RF__BUF_HELD && !s->rx.buf[i].writing)
			submit_write(c, s, &s->rx.buf[i], fd, positional);
}

static void buf_written(rf_client *c, struct rf__slot *s, struct rf__buf *b, int res)
{
	assert(b->writing && s->sink.writes > 0);
	b->writing = false;
	s->sink.writes--;
	s->last_io = c->now;
	if (res <= 0) {
		rf__sink_note_hole(s, b);
		rf__sink_buf_drop(c, b);
		rf__sink_fail_path(s, res < 0 ? res : -EIO, "write", s->sink.ops->shown(s));
		return;
	}
	b->written += (size_t)res;
	s->bytes += (uint64_t)res;
	if (b->written >= b->body_len)
		rf__sink_buf_drop(c, b);
	rf__sink_pump(c, s); /* the rest of a short write, or the next in order */
}

bool rf__sink_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned bi, int res)
{
	if (op == RF__OP_WRITE) {
		assert(bi < RF__SLOT_BUFS);
		if (s->sink.dec)
			rf__decode_written(c, s, res);
		else
			buf_written(c, s, &s->rx.buf[bi], res);
		return false;
	}
	if (!s->sink.ops->on_completion)
		return false;
	bool prefix_done = s->sink.ops->on_completion(c, s, op, res);
	rf__sink_pump(c, s); /* the destination may have become ready */
	return prefix_done;
}

bool rf__sink_finish(rf_client *c, struct rf__slot *s)
{
	bool failed = rf__slot_abandoned(s);
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++) {
		struct rf__buf *b = &s->rx.buf[i];
		if (b->state == RF__BUF_HELD && !b->writing) {
			if (!failed)
				return false; /* still to be written (ordered sink) */
			rf__sink_note_hole(s, b);
			rf__sink_buf_drop(c, b);
		}
	}
	if (s->sink.writes || s->ops)
		return false;
	if (!failed && s->sink.dec) {
		rf__decode_end(s);
		failed = s->err != 0;
	}
	if (!failed) {
		rf__sink_digests_finish(s);
		failed = s->err != 0;
	}
	return s->sink.ops->finish(c, s, failed);
}

const char *rf__sink_final_path(const struct rf__slot *s, const char *path)
{
	return s->sink.ops && s->sink.ops->final_path ? s->sink.ops->final_path(s, path) : NULL;
}
