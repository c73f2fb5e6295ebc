/*
 * sink_warc.c - the WARC sink kind (RF_SINK_WARC): an exchange kept as
 * the client's WARC files record it (rf_client_warc, warc_file.h): a
 * request record (the request as sent, credentials as *** unless asked to
 * keep them) and a response record (the response as it came off the
 * connection: status line, header fields, body bytes with their transfer
 * coding), linked by WARC-Concurrent-To, with WARC-Block-Digest and
 * WARC-Payload-Digest (the entity body's), each record its own gzip
 * member (or zstd frames).
 *
 * Every response that arrives whole is recorded: a redirect's 3xx and an
 * error status too, as wget and Heritrix keep them; one cut by a limit
 * (--max-filesize) is recorded with WARC-Truncated: length; one that
 * failed mid-way (a reset, a timeout) is not recorded at all - never a
 * cut response dressed as a whole one.
 *
 * The response's bytes are taken as they arrive (the slot hands them over
 * raw, rf__sink_ops.wire).  Up to WARC_HOLD they stay in memory while the
 * run's staged total is under WARC_BUDGET; beyond, they are compressed
 * WARC_PIECE at a time (warc.h's pieces) and written
 * through the ring to an unnamed file beside the WARC files, the
 * receive held while a piece is under write (bounded memory at any -j).
 * When the exchange ends, both records go out in one region of the
 * current file (archive.h) reserved then: from memory in one write, or
 * the head, the spilled pieces copied through the ring, and the tail.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <zlib.h>

#include "output.h"
#include "sink_stage.h"
#include "warc.h"
#include "warc_file.h"

#define WARC_HOLD (256u << 10) /* a response kept in memory up to this ... */
#define WARC_BUDGET (8u << 20) /* ... while the run holds less than this */
#define WARC_PIECE (16u << 10) /* beyond: spilled this much at a time */
#define WARC_COPY (128u << 10) /* a spill read back this much at a time, */
#define WARC_COPIES                                                                                          \
	(4u << 20) /* less while many are copied: the run's copy
                                    buffers stay under this (16 KiB each at least) */

enum warc_step {
	STEP_TAKING, /* the response is coming in (pieces may be spilling) */
	STEP_HEAD,   /* the records (or, spilled: up to the block) go out */
	STEP_COPY,   /* the spilled pieces are copied into the region */
	STEP_TAIL,   /* the tail goes out (gzip: the last piece and the trailer) */
	STEP_DONE,
};

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static bool grow(struct rf__sink *k, size_t want)
{
	if (want <= k->warc_cap)
		return true;
	size_t cap = k->warc_cap ? k->warc_cap : 16384;
	while (cap < want)
		cap *= 2;
	if (k->warc_spilling) /* pieces: no room to spare */
		cap = (want + 16383) & ~(size_t)16383;
	char *n = realloc(k->warc_buf, cap);
	if (!n)
		return false;
	k->warc_buf = n;
	k->warc_cap = cap;
	return true;
}

static void peer_ip(const struct rf__slot *s, char *out, size_t cap)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	out[0] = 0;
	if (!s->conn || s->conn->fd < 0 || getpeername(s->conn->fd, (struct sockaddr *)&sa, &len) < 0)
		return;
	if (sa.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, out, (socklen_t)cap);
	else if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, out, (socklen_t)cap);
}

/* Bytes leave the run's staged total. */
static void unstage(rf_client *c, struct rf__sink *k, size_t n)
{
	c->warc_staged -= n < c->warc_staged ? n : c->warc_staged;
	k->warc_len -= n;
}

/* One write of the kind: a spilled piece, or a part of the region. */
static void warc_write(rf_client *c, struct rf__slot *s, int fd, const void *buf, size_t len, uint64_t at)
{
	s->sink.warc_writing = true;
	s->sink.warc_want = len;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_MEMBER_WRITE, 0), fd, buf, (unsigned)len, (int64_t)at);
}

/* Interim (1xx) responses before the final one are not its record: a
 * replay tool reads the record's first status line. */
static void drop_interim(rf_client *c, struct rf__sink *k)
{
	size_t at = 0;
	while (k->warc_len - at >= 12 && memcmp(k->warc_buf + at, "HTTP/1.", 7) == 0 &&
	       k->warc_buf[at + 9] == '1') {
		const char *end = memmem(k->warc_buf + at, k->warc_len - at, "\r\n\r\n", 4);
		if (!end)
			break;
		at = (size_t)(end + 4 - k->warc_buf);
	}
	if (!at)
		return;
	memmove(k->warc_buf, k->warc_buf + at, k->warc_len - at);
	unstage(c, k, at);
	k->warc_last = 0;
}

static bool spill_due(const rf_client *c, const struct rf__sink *k)
{
	return k->warc_len >= WARC_HOLD ||
	       (k->warc_len >= WARC_PIECE && (k->warc_spilling || c->warc_staged > WARC_BUDGET));
}

/* The staged bytes (all of them this response's) out to the spill file:
 * digested, compressed as one piece, written through the ring. */
static void spill(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	if (k->warc_writing || k->warc_opening || (s->err && s->err_local) || !k->warc_len)
		return;
	if (!k->warc_spilling) {
		drop_interim(c, k);
		const char *end = memmem(k->warc_buf, k->warc_len, "\r\n\r\n", 4);
		if (end && c->warc->dedup && !(k->warc_head = malloc((size_t)(end + 4 - k->warc_buf)))) {
			rf__slot_error(s, -ENOMEM, true, NULL);
			return;
		}
		if (end && k->warc_head) { /* a revisit record's block, should it be one */
			k->warc_head_len = (size_t)(end + 4 - k->warc_buf);
			memcpy(k->warc_head, k->warc_buf, k->warc_head_len);
		}
		k->warc_spilling = true;
		k->warc_crc = (uint32_t)crc32(0, NULL, 0);
	}
	if (k->stage_fd < 0) {
		k->warc_opening = true;
		rf__op_open(c->loop, rf__slot_op(s, RF__OP_OPEN, 0), rf__archive_dir(c->warc->set),
		            O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		return;
	}
	if (!k->warc_block && !(k->warc_block = rf__digest_new("sha-1"))) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return;
	}
	rf__digest_update(k->warc_block, k->warc_buf, k->warc_len);
	k->warc_crc = (uint32_t)crc32(k->warc_crc, (const unsigned char *)k->warc_buf, (uInt)k->warc_len);
	k->warc_raw += k->warc_len;
	free(k->warc_out);
	k->warc_out = NULL;
	if (c->warc_zip) {
		unsigned char *piece;
		size_t n;
		if (rf__warc_piece(c->warc_zip, k->warc_buf, k->warc_len, false, &piece, &n)) {
			rf__slot_error(s, -ENOMEM, true, NULL);
			return;
		}
		k->warc_out = (char *)piece;
		k->warc_out_len = n;
		if (k->warc_cap > 2 * WARC_PIECE) { /* held up to WARC_HOLD: no longer needed */
			free(k->warc_buf);
			k->warc_buf = NULL;
			k->warc_cap = 0;
		}
	} else { /* the buffer itself goes */
		k->warc_out = k->warc_buf;
		k->warc_out_len = k->warc_len;
		k->warc_buf = NULL;
		k->warc_cap = 0;
	}
	unstage(c, k, k->warc_len);
	warc_write(c, s, k->stage_fd, k->warc_out, k->warc_out_len, k->warc_spilled);
}

static void warc_wire(rf_client *c, struct rf__slot *s, const char *raw, size_t n, size_t unread)
{
	struct rf__sink *k = &s->sink;
	if (!c->warc || k->warc_direct)
		return; /* the headers fail the slot; the body comes by consume */
	if (unread) {   /* taken back: not this response's */
		size_t back = unread < k->warc_last ? unread : k->warc_last;
		unstage(c, k, back);
		k->warc_last = 0;
		return;
	}
	k->warc_last = 0;
	if (!k->warc_started) { /* the first bytes of this attempt's response */
		k->warc_started = true;
		k->warc_date = now_us();
		peer_ip(s, k->warc_ip, sizeof(k->warc_ip)); /* the connection is still the slot's */
		char uri[RF__URL_MAX + 300];
		if (s->req->cur_url == s->req->url) /* -c finds it by this */
			k->warc_uri = strdup(s->req->shown_url);
		else
			k->warc_uri = strdup(rf__url_redact(s->req->cur_url, uri, sizeof(uri)));
		if (!k->warc_uri) {
			rf__slot_error(s, -ENOMEM, true, NULL);
			return;
		}
	}
	if (spill_due(c, k)) /* what is staged is all this response's now */
		spill(c, s);
	if (!n || !grow(k, k->warc_len + n)) {
		if (n)
			rf__slot_error(s, -ENOMEM, true, NULL);
		return;
	}
	memcpy(k->warc_buf + k->warc_len, raw, n);
	k->warc_len += n;
	k->warc_last = n;
	c->warc_staged += n;
}

static int payload(struct rf__sink *k, const void *p, size_t n)
{
	if (!k->warc_payload && !(k->warc_payload = rf__digest_new("sha-1")))
		return -ENOMEM;
	rf__digest_update(k->warc_payload, p, n);
	return 0;
}

/* A body with a length, past the header section: spilled straight from
 * the receive buffer, which is held meanwhile - written from it, or
 * compressed from it WARC_PIECE at a most at a time - so nothing of it is
 * copied and a transfer has at most one piece in flight. */
static int direct(rf_client *c, struct rf__slot *s, const char *p, size_t n)
{
	struct rf__sink *k = &s->sink;
	if (k->warc_writing || k->warc_opening)
		return -EAGAIN;
	if (s->err && s->err_local) {
		k->warc_direct_p = NULL;
		return 0; /* the slot is failing: nothing is recorded */
	}
	if (k->warc_len) {
		spill(c, s); /* the header section first */
		return -EAGAIN;
	}
	if (k->warc_direct_p != p) { /* a new buffer: its first bytes may be staged */
		size_t skip = k->warc_dup < n ? k->warc_dup : n;
		k->warc_dup -= skip;
		k->warc_direct_p = p;
		k->warc_direct_off = skip;
	}
	if (k->warc_direct_off >= n) { /* all of it is out */
		k->warc_direct_p = NULL;
		return payload(k, p, n);
	}
	const char *body = p + k->warc_direct_off;
	size_t len = n - k->warc_direct_off;
	if (c->warc_zip && len > WARC_PIECE)
		len = WARC_PIECE;
	k->warc_direct_off += len;
	if (!k->warc_block && !(k->warc_block = rf__digest_new("sha-1")))
		return -ENOMEM;
	rf__digest_update(k->warc_block, body, len);
	k->warc_crc = (uint32_t)crc32(k->warc_crc, (const unsigned char *)body, (uInt)len);
	k->warc_raw += len;
	if (!c->warc_zip) {
		warc_write(c, s, k->stage_fd, body, len, k->warc_spilled);
		return -EAGAIN;
	}
	unsigned char *piece;
	size_t piece_len;
	if (rf__warc_piece(c->warc_zip, body, len, false, &piece, &piece_len))
		return -ENOMEM;
	free(k->warc_out);
	k->warc_out = (char *)piece;
	k->warc_out_len = piece_len;
	warc_write(c, s, k->stage_fd, piece, piece_len, k->warc_spilled);
	return -EAGAIN;
}

static int warc_consume(rf_client *c, struct rf__slot *s, const void *p, size_t n)
{
	struct rf__sink *k = &s->sink;
	if (k->warc_direct)
		return direct(c, s, p, n);
	if (k->warc_spilling && (k->warc_writing || k->warc_opening) && k->warc_len)
		return -EAGAIN; /* held: no more is received until the piece is out */
	return payload(k, p, n);
}

static void digest_of(const void *p, size_t n, char out[RF__WARC_DIGEST_LEN])
{
	unsigned char sha[64];
	struct rf__digest *d = rf__digest_new("sha-1");
	if (!d) {
		out[0] = 0;
		return;
	}
	rf__digest_update(d, p, n);
	rf__digest_final(d, sha);
	rf__digest_free(d);
	rf__warc_sha1(sha, out);
}

/* The request as sent, its credentials' values as *** (unless kept). */
static size_t request_bytes(const rf_client *c, const struct rf__slot *s, char *out, size_t cap)
{
	const char *p = s->tx.buf, *end = s->tx.buf + s->tx.len;
	size_t o = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t line = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
		static const char *const secret[] = {"authorization:", "proxy-authorization:", "cookie:"};
		bool hide = false;
		for (size_t i = 0; !c->warc->keep_credentials && i < 3; i++)
			hide |= line > strlen(secret[i]) && strncasecmp(p, secret[i], strlen(secret[i])) == 0;
		if (hide) {
			const char *colon = memchr(p, ':', line);
			size_t name = (size_t)(colon - p + 1);
			if (o + name + 7 <= cap) {
				memcpy(out + o, p, name);
				memcpy(out + o + name, " ***\r\n", 6);
				o += name + 6;
			}
		} else if (o + line <= cap) {
			memcpy(out + o, p, line);
			o += line;
		}
		p += line;
	}
	return o;
}

/* bytes[0..n) appended to *out (*out_len): 0 or -ENOMEM. */
static int append(char **out, size_t *out_len, const void *bytes, size_t n)
{
	char *grown = realloc(*out, *out_len + n);
	if (!grown)
		return -ENOMEM;
	memcpy(grown + *out_len, bytes, n);
	*out = grown;
	*out_len += n;
	return 0;
}

/* One whole record, compressed when the file is, appended to *out. */
static int add_record(rf_client *c, struct rf__warc_record *r, const char *block, size_t len, char **out,
                      size_t *out_len)
{
	return rf__warc_record_bytes(c->warc_zip, r, block, len, (unsigned char **)out, out_len);
}

/* The payload digest of a response no consume saw (a redirect, an error
 * status): its entity body from what is held. */
static void payload_of_held(const struct rf__sink *k, char out[RF__WARC_DIGEST_LEN])
{
	char *body;
	size_t n;
	out[0] = 0;
	if (k->warc_spilling || rf__warc_entity(k->warc_buf, k->warc_len, &body, &n))
		return;
	digest_of(body, n, out);
	free(body);
}

/* A spilled response record: the records up to the response's block go
 * out first (k->warc_out), the spilled pieces after them, then the tail
 * (k->warc_tail).  gzip: one member, its head, pieces and trailer
 * (warc.h); zstd: a frame of the head, the pieces' frames, a frame of the
 * tail. */
static int spilled_parts(rf_client *c, struct rf__slot *s, const struct rf__warc_record *rs, char **out,
                         size_t *out_len)
{
	struct rf__sink *k = &s->sink;
	size_t head_len = rf__warc_head(NULL, 0, rs);
	char *head = malloc(head_len + 1);
	if (!head)
		return -ENOMEM;
	rf__warc_head(head, head_len + 1, rs);
	int err = 0;
	enum rf__warc_codec codec = rf__warc_codec(c->warc_zip);
	if (codec == RF__WARC_NONE) {
		err = append(out, out_len, head, head_len);
		if (!err)
			err = append(&k->warc_tail, &k->warc_tail_len, RF__WARC_TAIL, 4);
		free(head);
		return err;
	}
	unsigned char gz[RF__GZIP_HEAD], trailer[RF__GZIP_TRAILER], *piece = NULL, *last = NULL;
	size_t piece_len, last_len;
	rf__warc_gzip_head(gz);
	if (codec == RF__WARC_GZIP)
		err = append(out, out_len, gz, sizeof(gz));
	if (!err)
		err = rf__warc_piece(c->warc_zip, head, head_len, false, &piece, &piece_len);
	if (!err)
		err = append(out, out_len, piece, piece_len);
	if (!err)
		err = rf__warc_piece(c->warc_zip, RF__WARC_TAIL, 4, true, &last, &last_len);
	if (!err)
		err = append(&k->warc_tail, &k->warc_tail_len, last, last_len);
	if (!err && codec == RF__WARC_GZIP) {
		uLong crc = crc32(0, (const unsigned char *)head, (uInt)head_len);
		crc = crc32_combine(crc, k->warc_crc, (z_off_t)k->warc_raw);
		crc = crc32_combine(crc, crc32(0, (const unsigned char *)RF__WARC_TAIL, 4), 4);
		rf__warc_gzip_trailer((uint32_t)crc, head_len + k->warc_raw + 4, trailer);
		err = append(&k->warc_tail, &k->warc_tail_len, trailer, sizeof(trailer));
	}
	free(piece);
	free(last);
	free(head);
	return err;
}

/* The exchange's records, their region reserved and the first write out. */
static void records_out(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	char why[512];
	int err = rf__archive_join(c->warc->set, &k->member); /* the file the records go to */
	if (err) {
		rf__slot_error(s, err, true, "--warc-file: %s",
		               rf__archive_why(c->warc->set, why, sizeof(why)));
		return;
	}
	const struct rf__shard *sh = k->member.shard;
	if (!k->warc_spilling)
		drop_interim(c, k);
	const char *ip = k->warc_ip;
	char req_id[RF__WARC_ID_LEN], resp_id[RF__WARC_ID_LEN], block_d[RF__WARC_DIGEST_LEN],
		payload_d[RF__WARC_DIGEST_LEN] = "", req_d[RF__WARC_DIGEST_LEN];
	rf__warc_id(req_id);
	rf__warc_id(resp_id);
	char *req = malloc(s->tx.len + 64);
	if (!req) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return;
	}
	size_t req_len = request_bytes(c, s, req, s->tx.len + 64);
	digest_of(req, req_len, req_d);
	unsigned char sha[64];
	if (k->warc_spilling) {
		rf__digest_final(k->warc_block, sha);
		rf__warc_sha1(sha, block_d);
	} else {
		digest_of(k->warc_buf, k->warc_len, block_d);
	}
	if (k->warc_truncated)
		;
	else if (s->body == RF__BODY_SINK) {
		if (!k->warc_payload)
			payload(k, "", 0);
		if (k->warc_payload) {
			rf__digest_final(k->warc_payload, sha);
			rf__warc_sha1(sha, payload_d);
		}
	} else {
		payload_of_held(k, payload_d);
	}
	const char *uri = k->warc_uri;
	/* -N: a payload recorded before: a revisit record, the header section
	 * alone, referring to the first; else it is the one later ones refer to */
	const char *block = k->warc_buf;
	char *ref_uri = NULL, ref_date[RF__WARC_DATE_LEN];
	size_t block_len = k->warc_len;
	int revisit = 0;
	if (c->warc->dedup && payload_d[0] && s->resp.status / 100 == 2 && s->bytes > 0) {
		char date[RF__WARC_DATE_LEN];
		rf__warc_date(k->warc_date, date);
		if ((revisit = rf__warc_files_revisit(c->warc, payload_d, uri, date, &ref_uri, ref_date)) <
		    0) {
			free(req);
			rf__slot_error(s, revisit, true, NULL);
			return;
		}
		if (!revisit) /* remembered: forgotten if the record is not written whole */
			snprintf(k->warc_referred, sizeof(k->warc_referred), "%s", payload_d);
	}
	if (revisit) {
		const char *end = k->warc_spilling ? NULL : memmem(k->warc_buf, k->warc_len, "\r\n\r\n", 4);
		block = k->warc_spilling ? k->warc_head : k->warc_buf;
		block_len = k->warc_spilling ? k->warc_head_len : end ? (size_t)(end + 4 - k->warc_buf) : 0;
		revisit = block && block_len;
	}
	if (revisit) {
		k->warc_spilling = false; /* what was spilled is not written */
		digest_of(block, block_len, block_d);
	}
	struct rf__warc_record rq = {.type = "request",
	                             .id = req_id,
	                             .date_us = k->warc_date,
	                             .target_uri = uri,
	                             .ip = ip[0] ? ip : NULL,
	                             .concurrent_to = resp_id,
	                             .warcinfo_id = sh->first_id,
	                             .block_digest = req_d,
	                             .content_type = "application/http;msgtype=request",
	                             .length = req_len};
	struct rf__warc_record rs = {.type = revisit ? "revisit" : "response",
	                             .id = resp_id,
	                             .date_us = k->warc_date,
	                             .target_uri = uri,
	                             .ip = ip[0] ? ip : NULL,
	                             .concurrent_to = req_id,
	                             .warcinfo_id = sh->first_id,
	                             .block_digest = block_d,
	                             .payload_digest = payload_d[0] ? payload_d : NULL,
	                             .truncated = k->warc_truncated || revisit ? "length" : NULL,
	                             .profile = revisit ? RF__WARC_PROFILE_IDENTICAL : NULL,
	                             .refers_to_uri = revisit ? ref_uri : NULL,
	                             .refers_to_date = revisit ? ref_date : NULL,
	                             .content_type = "application/http;msgtype=response",
	                             .length = k->warc_spilling ? k->warc_raw : block_len};
	char *out = NULL;
	size_t out_len = 0;
	err = add_record(c, &rq, req, req_len, &out, &out_len);
	size_t req_bytes = out_len; /* the response record follows */
	if (!err)
		err = k->warc_spilling ? spilled_parts(c, s, &rs, &out, &out_len)
		                       : add_record(c, &rs, block, block_len, &out, &out_len);
	free(req);
	free(ref_uri);
	if (err) {
		free(out);
		rf__slot_error(s, err, true, NULL);
		return;
	}
	free(k->warc_out);
	k->warc_out = out;
	k->warc_out_len = out_len;
	uint64_t total = out_len + (k->warc_spilling ? k->warc_spilled + k->warc_tail_len : 0);
	if ((err = rf__archive_place(c->warc->set, &k->member, total))) {
		rf__slot_error(s, err, true, "--warc-file: %s",
		               rf__archive_why(c->warc->set, why, sizeof(why)));
		return;
	}
	if ((err = rf__warc_files_index(c->warc, k->member.shard, uri, k->warc_date,
	                                revisit ? "warc/revisit" : s->resp.content_type, s->resp.status,
	                                rs.payload_digest,
	                                total - req_bytes - (c->warc_zip ? 0 : 4), /* as warcio: an
	                                uncompressed record's length leaves its blank lines out */
	                                k->member.at + req_bytes))) {
		rf__archive_member_failed(c->warc->set, &k->member, err);
		rf__slot_error(s, err, true, NULL);
		return;
	}
	k->warc_at = k->member.at;
	k->warc_step = STEP_HEAD;
	warc_write(c, s, rf__archive_fd(&k->member), out, out_len, k->warc_at);
	k->warc_at += out_len;
}

/* The next spilled bytes: read back (the write into the region follows). */
static void copy_next(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	uint64_t left = k->warc_spilled - k->warc_copied;
	if (!left) {
		k->warc_step = STEP_TAIL;
		if (k->warc_tail_len) {
			warc_write(c, s, rf__archive_fd(&k->member), k->warc_tail, k->warc_tail_len,
			           k->warc_at);
			k->warc_at += k->warc_tail_len;
		} else {
			k->warc_step = STEP_DONE;
			k->warc_whole = true;
		}
		return;
	}
	if (!k->warc_out) {
		size_t room = WARC_COPIES / ++c->warc_copying;
		k->warc_copy = room > WARC_COPY ? WARC_COPY : room < (16u << 10) ? (16u << 10) : room;
		if (!(k->warc_out = malloc(k->warc_copy))) {
			c->warc_copying--;
			k->warc_copy = 0;
			rf__slot_error(s, -ENOMEM, true, NULL);
			return;
		}
	}
	k->warc_reading = true;
	rf__op_read_at(c->loop, rf__slot_op(s, RF__OP_STAGE_READ, 0), k->stage_fd, k->warc_out,
	               (unsigned)(left < k->warc_copy ? left : k->warc_copy), k->warc_copied);
}

static bool warc_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	struct rf__sink *k = &s->sink;
	switch (op) {
	case RF__OP_OPEN:
		k->warc_opening = false;
		if (res < 0)
			rf__sink_fail_path(s, res, "cannot stage a big response in",
			                   rf__archive_dir(c->warc->set));
		else {
			k->stage_fd = res;
			if (k->warc_len >= WARC_PIECE || (k->warc_direct && k->warc_len))
				spill(c, s);
		}
		return false;
	case RF__OP_STAGE_READ:
		k->warc_reading = false;
		if (res <= 0) {
			rf__archive_member_failed(c->warc->set, &k->member, res < 0 ? res : -EIO);
			rf__sink_fail_path(s, res < 0 ? res : -EIO, "read back", "a spilled response");
			return false;
		}
		warc_write(c, s, rf__archive_fd(&k->member), k->warc_out, (size_t)res, k->warc_at);
		k->warc_at += (uint64_t)res;
		k->warc_copied += (uint64_t)res;
		return false;
	case RF__OP_MEMBER_WRITE:
		k->warc_writing = false;
		if (res < 0 || (size_t)res != k->warc_want) { /* written whole or not at all */
			int err = res < 0 ? res : -ENOSPC;
			if (k->warc_step == STEP_TAKING) {
				rf__sink_fail_path(s, err, "cannot stage a big response in",
				                   rf__archive_dir(c->warc->set));
			} else {
				rf__archive_member_failed(c->warc->set, &k->member,
				                          err); /* the file keeps its .part */
				rf__sink_fail_path(s, err, "write", k->member.shard->out->part);
				k->warc_step = STEP_DONE;
			}
			return false;
		}
		if (k->warc_step == STEP_TAKING) {
			k->warc_spilled += (uint64_t)res;
			free(k->warc_out); /* the piece is out */
			k->warc_out = NULL;
			if (spill_due(c, k))
				spill(c, s);
		} else if (k->warc_step == STEP_HEAD && k->warc_spilling) {
			k->warc_step = STEP_COPY;
			free(k->warc_out);
			k->warc_out = NULL;
			copy_next(c, s);
		} else if (k->warc_step == STEP_COPY) {
			copy_next(c, s);
		} else {
			k->warc_step = STEP_DONE;
			k->warc_whole = true;
		}
		return false;
	default:
		return false;
	}
}

/* Whether this attempt's response is recorded: it arrived whole, or a
 * limit of ours cut it (then WARC-Truncated says so). */
static bool to_record(const rf_client *c, const struct rf__slot *s)
{
	if (!c->warc || !s->sink.warc_started || !s->resp.headers_done)
		return false;
	if (s->err == RF_ETOO_BIG)
		return true;
	return s->resp.complete && !(s->err && s->err_local);
}

static bool warc_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	(void)failed; /* a redirect or an error status is recorded too */
	struct rf__sink *k = &s->sink;
	if (k->warc_writing || k->warc_opening || k->warc_reading)
		return false;
	if (k->warc_step == STEP_TAKING) {
		if (!to_record(c, s))
			goto done;
		k->warc_truncated = !s->resp.complete;
		if (k->warc_spilling && k->warc_len) { /* the last bytes out first */
			spill(c, s);
			if (k->warc_writing || k->warc_opening)
				return false;
		}
		if (s->err && s->err_local && s->err != RF_ETOO_BIG)
			goto done;
		records_out(c, s);
		if (k->warc_writing)
			return false;
	}
	if (k->warc_step != STEP_DONE && k->warc_step != STEP_TAKING)
		return false;
	char why[512];
	int err = k->member.shard ? rf__archive_member_done(c->warc->set, &k->member, false) : 0;
	if (err && !s->err)
		rf__slot_error(s, err, true, "--warc-file: %s",
		               rf__archive_why(c->warc->set, why, sizeof(why)));
	if (k->warc_referred[0] && !k->warc_whole) {
		char date[RF__WARC_DATE_LEN];
		rf__warc_date(k->warc_date, date);
		rf__warc_files_forget(c->warc, k->warc_referred, k->warc_uri, date);
	}
done:
	unstage(c, k, k->warc_len);
	if (k->warc_copy) /* its copy buffer leaves the run's */
		c->warc_copying--;
	k->warc_copy = 0;
	if (k->stage_fd >= 0)
		rf__op_close(c->loop, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0), k->stage_fd);
	k->stage_fd = -1;
	return true;
}

static void warc_headers(rf_client *c, struct rf__slot *s)
{
	struct rf__sink *k = &s->sink;
	rf__sink_whole_headers(c, s);
	if (!s->err && !c->warc)
		rf__slot_error(s, RF_EINVAL, true, "no WARC file: rf_client_warc was not called");
	if (s->err || !s->resp.has_length || k->dec ||
	    (s->resp.content_length <= WARC_HOLD &&
	     !(c->warc_staged > WARC_BUDGET && s->resp.content_length > WARC_PIECE)))
		return;
	/* a big body with a length: spilled as it comes, past the header
	 * section (and the body's first bytes, staged with it) */
	k->warc_direct = true;
	k->warc_dup = s->resp.body_len;
	spill(c, s);
}

static const char *warc_shown(const struct rf__slot *s)
{
	return s->sink.member.shard ? rf__archive_path(&s->sink.member) : "the WARC file";
}

const struct rf__sink_ops rf__sink_warc_ops = {
	.kind = "warc",
	.headers = warc_headers,
	.consume = warc_consume,
	.wire = warc_wire,
	.on_completion = warc_on_completion,
	.finish = warc_finish,
	.shown = warc_shown,
};
