/*
 * sink_decode.c - the transform stage between the exchange and the sink:
 * a 200 body in a Content-Encoding (gzip, deflate, br, zstd) is decoded as
 * it streams when the caller asked for it (rf_client_opts.compressed).
 *
 * The receive buffers hold the encoded bytes; they are decoded in body
 * order into dec_out, which goes to the kind one piece at a time - written
 * to its target (in order, at explicit offsets where it takes them) or
 * consumed at once.  A buffer wholly decoded is given back at once, so
 * memory stays two receive buffers and one output buffer per transfer.
 * The digests and --max-filesize see the decoded bytes.
 */
#include <errno.h>

#include "alloc.h"
#include "decode.h"
#include "sink_stage.h"

#define DEC_OUT_CAP (256 * 1024) /* decoded bytes per write */

bool rf__decode_start(rf_client *c, struct rf__slot *s)
{
	if (!c->opts.compressed || s->resp.status != 200 || rf__decode_identity(s->resp.content_encoding) ||
	    s->req->range || s->sink.segment || s->req->job)
		return true;
	int err = rf__decoder_new(s->resp.content_encoding, &s->sink.dec);
	if (err == RF_EDECODE) {
		rf__slot_error(s, RF_EDECODE, false,
		               "Content-Encoding '%.60s' is not one decoded here "
		               "(gzip, deflate, br, zstd, one of them)",
		               s->resp.content_encoding);
		return false;
	}
	if (!err && !(s->sink.dec_out = rf__malloc(DEC_OUT_CAP)))
		err = -ENOMEM;
	if (err) {
		rf__slot_error(s, err, false, NULL);
		return false;
	}
	s->sink.dec_cap = DEC_OUT_CAP;
	return true; /* a 200: what is on disk is restarted from zero */
}

/* Decode the held encoded bytes, in order, until some decoded bytes are
 * ready in dec_out (true) or nothing is left to decode (false).  A
 * buffer wholly decoded is given back at once (its receive may go on). */
static bool decode_more(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	while (!s->err) {
		/* a decoder that filled dec_out may hold more output of input it
		 * has taken: it is asked again, with no new input if none waits */
		struct rf__buf *b = rf__sink_first_held(s);
		if (!b && !k->dec_full)
			return false;
		size_t in_len = b ? b->body_len - b->written : 0, used, made;
		int err = rf__decoder_step(k->dec, b ? b->body + b->written : NULL, in_len, &used, k->dec_out,
		                           k->dec_cap, &made);
		k->dec_full = made == k->dec_cap;
		if (b) {
			b->written += used;
			if (b->written >= b->body_len)
				rf__sink_buf_drop(c, b);
		}
		if (err == RF_EDECODE || (!err && in_len && !used && !made)) {
			rf__slot_error(s, RF_EDECODE, false, "%s",
			               err ? rf__decoder_why(k->dec) : "the decoder made no progress");
			return false;
		}
		if (err) {
			rf__slot_error(s, err, false, NULL);
			return false;
		}
		if (!made)
			continue;
		if (c->opts.max_filesize && (uint64_t)k->dec_off + made > c->opts.max_filesize) {
			rf__slot_error(s, RF_ETOO_BIG, false, "more than the limit of %llu bytes decoded",
			               (unsigned long long)c->opts.max_filesize);
			return false;
		}
		rf__sink_digest(s, k->dec_out, made);
		k->dec_len = made;
		k->dec_written = 0;
		return true;
	}
	return false;
}

/* A consuming kind: all that can be decoded now, at once. */
static void decode_consume(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	while (decode_more(c, s)) {
		int err = k->ops->consume(c, s, k->dec_out, k->dec_len);
		if (err) {
			rf__slot_error(s, err, false, NULL);
			return;
		}
		s->bytes += k->dec_len;
		k->dec_off += (int64_t)k->dec_len;
		k->dec_len = 0;
	}
}

void rf__decode_pump(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	if (rf__slot_abandoned(s))
		return;
	if (k->ops->consume) {
		decode_consume(c, s);
		return;
	}
	bool positional;
	int fd = rf__sink_target(s, &positional);
	if (fd < 0 || k->dec_writing || (k->dec_written >= k->dec_len && !decode_more(c, s)))
		return;
	k->dec_writing = true;
	k->writes++;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_WRITE, 0), fd, k->dec_out + k->dec_written,
	             (unsigned)(k->dec_len - k->dec_written),
	             positional ? k->base + k->dec_off + (int64_t)k->dec_written : -1);
}

void rf__decode_written(rf_client *c, struct rf__slot *s, int res)
{
	struct rf__sink *k = &s->sink;
	assert(k->dec_writing && k->writes > 0);
	k->dec_writing = false;
	k->writes--;
	s->last_io = c->now;
	if (res <= 0) {
		rf__sink_fail_path(s, res < 0 ? res : -EIO, "write", k->ops->shown(s));
		return;
	}
	k->dec_written += (size_t)res;
	s->bytes += (uint64_t)res;
	if (k->dec_written >= k->dec_len) {
		k->dec_off += (int64_t)k->dec_len;
		k->dec_len = k->dec_written = 0;
	}
	rf__decode_pump(c, s);
}

void rf__decode_end(struct rf__slot *s)
{
	int err = rf__decoder_end(s->sink.dec);
	if (err)
		rf__slot_error(s, err, false, "%s", rf__decoder_why(s->sink.dec));
}
