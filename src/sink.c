/*
 * sink.c - where a response body goes: a file, a descriptor, a callback or
 * nowhere.
 *
 * File sink: the body is written into "<path>.part" at explicit offsets,
 * straight from the slot's receive buffers, with fallocate (KEEP_SIZE) first
 * when the length is known so a full disk fails at once.  Only when the
 * response is complete and every write has landed is the file closed and
 * renamed to its final name; a failed transfer closes and unlinks the .part
 * and never touches the final name.
 *
 * Names are never overwritten unless the request says RF_REQ_OVERWRITE:
 * the rename uses RENAME_NOREPLACE and, if the name exists (an earlier file,
 * or another URL of this run that mapped to the same name), tries
 * "<path>.1", "<path>.2", ... .  Two slots writing the same name at once get
 * distinct .part files ("<path>.part", "<path>.1.part", ...).
 *
 * Descriptor sink (stdout): writes at the file position, one at a time, in
 * order.  Callback and discard sinks consume the body synchronously.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define MAX_NAME_SUFFIX 9999

static bool part_in_use(const rf_client *c, const struct rf__slot *self, const char *part)
{
	for (unsigned i = 0; i < c->nslots; i++) {
		const struct rf__slot *o = &c->slots[i];
		if (o != self && o->state != RF_SLOT_FREE && o->part && strcmp(o->part, part) == 0)
			return true;
	}
	return false;
}

static char *fmt_path(const char *base, unsigned n, const char *ext)
{
	size_t cap = strlen(base) + 24;
	char *p = malloc(cap);
	if (!p)
		return NULL;
	if (n)
		snprintf(p, cap, "%s.%u%s", base, n, ext);
	else
		snprintf(p, cap, "%s%s", base, ext);
	return p;
}

static void fail_path(rf_client *c, struct rf__slot *s, int err, const char *what, const char *path)
{
	if (!s->err) {
		snprintf(s->detail, sizeof(s->detail), "%s %s", what, path);
		s->err_local = true;
	}
	rf__slot_fail(c, s, err);
}

void rf__sink_headers(rf_client *c, struct rf__slot *s)
{
	if (s->req->sink != RF_SINK_FILE)
		return;
	char *part = NULL;
	for (unsigned n = 0; n <= MAX_NAME_SUFFIX; n++) {
		free(part);
		part = fmt_path(s->req->path, n, ".part");
		if (!part || !part_in_use(c, s, part))
			break;
	}
	if (!part) {
		rf__slot_fail(c, s, -ENOMEM);
		return;
	}
	s->part = part;
	s->file = RF_FILE_OPENING;
	s->ops++;
	rf__op_open(c->loop, rf__slot_tag(s, RF_OP_OPEN, 0), part,
	            O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static void buf_drop(struct rf__buf *b)
{
	b->state = RF_BUF_FREE;
	b->body = NULL;
	b->body_len = b->written = 0;
	b->writing = false;
}

static void submit_write(rf_client *c, struct rf__slot *s, unsigned i, int fd, bool positional)
{
	struct rf__buf *b = &s->buf[i];
	b->writing = true;
	s->writes++;
	s->ops++;
	rf__op_write(c->loop, rf__slot_tag(s, RF_OP_WRITE, i), fd, b->body + b->written,
	             (unsigned)(b->body_len - b->written),
	             positional ? b->off + (int64_t)b->written : -1);
}

void rf__sink_pump(rf_client *c, struct rf__slot *s)
{
	if (s->err || s->requeue)
		return;
	struct rf__req *r = s->req;
	switch (r->sink) {
	case RF_SINK_FILE:
		if (s->file != RF_FILE_OPEN)
			return;
		for (unsigned i = 0; i < RF_SLOT_BUFS; i++)
			if (s->buf[i].state == RF_BUF_HELD && !s->buf[i].writing)
				submit_write(c, s, i, s->ffd, true);
		return;
	case RF_SINK_FD: {
		if (s->writes)
			return;
		int best = -1;
		for (unsigned i = 0; i < RF_SLOT_BUFS; i++)
			if (s->buf[i].state == RF_BUF_HELD &&
			    (best < 0 || s->buf[i].seq < s->buf[best].seq))
				best = (int)i;
		if (best >= 0)
			submit_write(c, s, (unsigned)best, r->fd, false);
		return;
	}
	case RF_SINK_CALLBACK:
	case RF_SINK_DISCARD:
		for (unsigned i = 0; i < RF_SLOT_BUFS; i++) {
			struct rf__buf *b = &s->buf[i];
			if (b->state != RF_BUF_HELD)
				continue;
			if (r->sink == RF_SINK_CALLBACK && r->on_body(r->user, b->body, b->body_len)) {
				buf_drop(b);
				rf__slot_fail(c, s, RF_EBODY_CALLBACK);
				return;
			}
			s->bytes += b->body_len;
			buf_drop(b);
		}
		return;
	}
}

static void start_rename(rf_client *c, struct rf__slot *s)
{
	free(s->target);
	s->target = fmt_path(s->req->path, s->suffix, "");
	if (!s->target) {
		rf__slot_fail(c, s, -ENOMEM);
		return;
	}
	unsigned flags = (s->req->flags & RF_REQ_OVERWRITE) ? 0 : RENAME_NOREPLACE;
	s->file = RF_FILE_RENAMING;
	s->ops++;
	rf__op_rename(c->loop, rf__slot_tag(s, RF_OP_RENAME, 0), s->part, s->target, flags);
}

void rf__sink_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op,
                            unsigned bi, int res)
{
	switch (op) {
	case RF_OP_OPEN:
		if (res < 0) {
			s->file = RF_FILE_NONE;
			fail_path(c, s, res, "open", s->part);
			return;
		}
		s->ffd = res;
		s->file = RF_FILE_OPEN;
		if (s->resp.has_length && s->resp.content_length > 0 && !s->err) {
			s->fallocating = true;
			s->ops++;
			rf__op_fallocate(c->loop, rf__slot_tag(s, RF_OP_FALLOCATE, 0), s->ffd,
			                 FALLOC_FL_KEEP_SIZE, 0, s->resp.content_length);
		}
		rf__sink_pump(c, s);
		return;
	case RF_OP_FALLOCATE:
		s->fallocating = false;
		/* file systems without fallocate: carry on without the early check */
		if (res < 0 && res != -EOPNOTSUPP && res != -EINVAL)
			fail_path(c, s, res, "fallocate", s->part);
		return;
	case RF_OP_WRITE: {
		struct rf__buf *b = &s->buf[bi];
		b->writing = false;
		s->writes--;
		s->last_io = c->now;
		if (res <= 0) {
			buf_drop(b);
			fail_path(c, s, res < 0 ? res : -EIO, "write",
			          s->req->sink == RF_SINK_FILE ? s->part : "output");
			return;
		}
		b->written += (size_t)res;
		s->bytes += (uint64_t)res;
		if (b->written >= b->body_len)
			buf_drop(b);
		rf__sink_pump(c, s); /* the rest of a short write, or the next in order */
		return;
	}
	case RF_OP_FCLOSE:
		s->file = RF_FILE_CLOSED;
		s->ffd = -1;
		if (res < 0)
			fail_path(c, s, res, "close", s->part);
		return;
	case RF_OP_RENAME:
		if (res == 0) {
			s->file = RF_FILE_DONE;
			return;
		}
		s->file = RF_FILE_CLOSED;
		if (res == -EEXIST && s->suffix < MAX_NAME_SUFFIX && !s->err) {
			s->suffix++;
			start_rename(c, s);
			return;
		}
		fail_path(c, s, res, "rename to", s->target ? s->target : s->req->path);
		return;
	case RF_OP_UNLINK:
		s->file = RF_FILE_DONE;
		return;
	default:
		return;
	}
}

bool rf__sink_finish(rf_client *c, struct rf__slot *s)
{
	bool failed = s->err || s->requeue;
	for (unsigned i = 0; i < RF_SLOT_BUFS; i++) {
		struct rf__buf *b = &s->buf[i];
		if (b->state == RF_BUF_HELD && !b->writing) {
			if (!failed)
				return false; /* still to be written (ordered sink) */
			buf_drop(b);
		}
	}
	if (s->file == RF_FILE_OPENING || s->fallocating || s->writes)
		return false;
	switch (s->file) {
	case RF_FILE_NONE:
	case RF_FILE_DONE:
		return true;
	case RF_FILE_OPEN:
		s->file = RF_FILE_CLOSING;
		s->ops++;
		rf__op_close(c->loop, rf__slot_tag(s, RF_OP_FCLOSE, 0), s->ffd);
		return false;
	case RF_FILE_CLOSED:
		if (failed) {
			s->file = RF_FILE_UNLINKING;
			s->ops++;
			rf__op_unlink(c->loop, rf__slot_tag(s, RF_OP_UNLINK, 0), s->part);
		} else {
			start_rename(c, s);
		}
		return false;
	default:
		return false;
	}
}
