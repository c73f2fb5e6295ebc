/*
 * sink_warc.c - the WARC sink kind (RF_SINK_WARC): an exchange kept as
 * the client's WARC file records it (rf_client_warc): a request record
 * (the request as sent, credentials as *** unless asked to keep them) and
 * a response record (the response as it came off the connection: status
 * line, header fields, body bytes with their transfer coding), linked by
 * WARC-Concurrent-To, with WARC-Block-Digest and WARC-Payload-Digest
 * (the entity body's), each record its own gzip member.
 *
 * The response's bytes are staged in memory as they arrive (the slot hands
 * them over raw, rf__sink_ops.wire) up to RF__WARC_STAGE_MAX; beyond that
 * the record keeps what it has and says WARC-Truncated: length.  When the
 * exchange ends well, both records are built, compressed and appended in
 * one piece at a region of the file reserved then (output.h), through the
 * ring.  A failed exchange writes nothing: never a cut response dressed as
 * a whole one.  Only final responses are recorded (a redirect's 3xx is
 * not, yet).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "sink_stage.h"
#include "warc.h"

#define RF__WARC_STAGE_MAX (8u << 20) /* a response kept whole up to this */

#define RF__WARC_STAGE_MAX (8u << 20) /* a response kept whole up to this */

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

static void warc_wire(rf_client *c, struct rf__slot *s, const char *raw, size_t n, size_t unread)
{
	(void)c;
	struct rf__sink *k = &s->sink;
	if (unread) { /* taken back: not this response's (kept only what it had room for) */
		size_t back = unread < k->warc_last ? unread : k->warc_last;
		k->warc_len -= back;
		return;
	}
	k->warc_last = 0;
	if (!k->warc_started) { /* the first bytes of this attempt's response */
		k->warc_started = true;
		k->warc_date = now_us();
		peer_ip(s, k->warc_ip, sizeof(k->warc_ip)); /* the connection is still the slot's */
	}
	size_t room = RF__WARC_STAGE_MAX - k->warc_len;
	if (n > room) {
		n = room;
		k->warc_truncated = true;
	}
	if (!n)
		return;
	if (!grow(k, k->warc_len + n)) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return;
	}
	memcpy(k->warc_buf + k->warc_len, raw, n);
	k->warc_len += n;
	k->warc_last = n;
}

static int warc_consume(struct rf__slot *s, const void *p, size_t n)
{
	if (!s->sink.warc_payload && !(s->sink.warc_payload = rf__digest_new("sha-1")))
		return -ENOMEM;
	rf__digest_update(s->sink.warc_payload, p, n);
	return 0;
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

/* One record, compressed when the file is: appended to *out. */
static int add_record(rf_client *c, struct rf__warc_record *r, const char *block, size_t len, char **out,
                      size_t *out_len)
{
	unsigned char *bytes;
	size_t n;
	if (rf__warc_record_bytes(c->warc->gzip ? c->warc->zip : NULL, r, block, len, &bytes, &n))
		return -ENOMEM;
	char *grown = realloc(*out, *out_len + n);
	if (grown) {
		memcpy(grown + *out_len, bytes, n);
		*out = grown;
		*out_len += n;
	}
	free(bytes);
	return grown ? 0 : -ENOMEM;
}

static bool warc_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	struct rf__sink *k = &s->sink;
	if (k->warc_writing)
		return false;
	if (k->warc_written) {
		rf__output_write_done(c->warc->out, k->warc_res, k->warc_out_len);
		k->warc_written = false;
		if (k->warc_res != (int)k->warc_out_len && !s->err)
			rf__sink_fail_path(s, k->warc_res < 0 ? k->warc_res : -EIO, "write",
			                   c->warc->out->part);
		return true;
	}
	if (failed || s->err || !k->warc_len)
		return true; /* nothing recorded: never a cut response as a whole one */
	const char *ip = k->warc_ip;
	char req_id[RF__WARC_ID_LEN], resp_id[RF__WARC_ID_LEN], block_d[RF__WARC_DIGEST_LEN],
		payload_d[RF__WARC_DIGEST_LEN], req_d[RF__WARC_DIGEST_LEN];
	rf__warc_id(req_id);
	rf__warc_id(resp_id);
	char *req = malloc(s->tx.len + 64);
	if (!req) {
		rf__slot_error(s, -ENOMEM, true, NULL);
		return true;
	}
	size_t req_len = request_bytes(c, s, req, s->tx.len + 64);
	digest_of(req, req_len, req_d);
	digest_of(k->warc_buf, k->warc_len, block_d);
	payload_d[0] = 0;
	if (!k->warc_truncated) {
		unsigned char sha[64];
		if (!k->warc_payload)
			warc_consume(s, "", 0);
		if (k->warc_payload) {
			rf__digest_final(k->warc_payload, sha);
			rf__warc_sha1(sha, payload_d);
		}
	}
	char uri[RF__URL_MAX + 300];
	rf__url_redact(s->req->cur_url, uri, sizeof(uri));
	struct rf__warc_record rq = {.type = "request",
	                             .id = req_id,
	                             .date_us = k->warc_date,
	                             .target_uri = uri,
	                             .ip = ip[0] ? ip : NULL,
	                             .concurrent_to = resp_id,
	                             .warcinfo_id = c->warc->info_id,
	                             .block_digest = req_d,
	                             .content_type = "application/http;msgtype=request",
	                             .length = req_len};
	struct rf__warc_record rs = {.type = "response",
	                             .id = resp_id,
	                             .date_us = k->warc_date,
	                             .target_uri = uri,
	                             .ip = ip[0] ? ip : NULL,
	                             .concurrent_to = req_id,
	                             .warcinfo_id = c->warc->info_id,
	                             .block_digest = block_d,
	                             .payload_digest = payload_d[0] ? payload_d : NULL,
	                             .truncated = k->warc_truncated ? "length" : NULL,
	                             .content_type = "application/http;msgtype=response",
	                             .length = k->warc_len};
	char *out = NULL;
	size_t out_len = 0;
	int err = add_record(c, &rq, req, req_len, &out, &out_len);
	if (!err)
		err = add_record(c, &rs, k->warc_buf, k->warc_len, &out, &out_len);
	free(req);
	if (err) {
		free(out);
		rf__slot_error(s, err, true, NULL);
		return true;
	}
	free(k->warc_out);
	k->warc_out = out;
	k->warc_out_len = out_len;
	uint64_t at = rf__output_reserve(c->warc->out, out_len);
	rf__output_write_begin(c->warc->out);
	k->warc_writing = true;
	rf__op_write(c->loop, rf__slot_op(s, RF__OP_MEMBER_WRITE, 0), c->warc->out->fd, out,
	             (unsigned)out_len, (int64_t)at);
	return false;
}

static bool warc_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	(void)c;
	if (op == RF__OP_MEMBER_WRITE) {
		s->sink.warc_writing = false;
		s->sink.warc_written = true;
		s->sink.warc_res = res;
	}
	return false;
}

static void warc_headers(rf_client *c, struct rf__slot *s)
{
	rf__sink_whole_headers(c, s);
	if (!s->err && !c->warc)
		rf__slot_error(s, RF_EINVAL, true, "no WARC file: rf_client_warc was not called");
}

static const char *warc_shown(const struct rf__slot *s)
{
	(void)s;
	return "the WARC file";
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
