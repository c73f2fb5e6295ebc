/*
 * http2.c - HTTP/2 framing for one connection (see http2.h), on nghttp2.
 *
 * nghttp2 is a framing engine with no I/O: bytes go in with
 * nghttp2_session_mem_recv and out with nghttp2_session_mem_send; its
 * callbacks land here and only mark streams (never call up).  What the
 * session is told, and why:
 *  - SETTINGS: ENABLE_PUSH 0 (a PUSH_PROMISE is then a protocol error the
 *    library answers with GOAWAY), INITIAL_WINDOW_SIZE = the reader's
 *    landing size (64 KiB by default), MAX_HEADER_LIST_SIZE 64 KiB,
 *    MAX_CONCURRENT_STREAMS 0 (a server opens none toward us);
 *  - the connection window is 1 GiB: never the limit, since every stream's
 *    window bounds what it holds, so no stream starves another;
 *  - automatic window updates are off: a stream's window opens only when
 *    its reader says it took the bytes (rf__h2_consume), so a slow disk
 *    slows that stream alone;
 *  - floods end the session: more than 1000 queued PING/SETTINGS answers
 *    (the peer sends faster than it reads), more than 8 CONTINUATION
 *    frames to a header block, over 32 entries in a SETTINGS frame; a
 *    header section over 64 KiB decoded (an HPACK bomb) or over 128 fields
 *    resets that stream.
 *
 * A response's header fields go through http1.c's capture (the same
 * fields kept, limits, Set-Cookie handling and -v trace), so what policy
 * reads of an HTTP/2 response is what it reads of an HTTP/1.1 one.
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <nghttp2/nghttp2.h>

#include "alloc.h"
#include "exchange.h"
#include "http2.h"
#include "ringfetch.h"

#define MAX_OUTBOUND_ACK 1000
#define MAX_CONTINUATIONS 8
#define MAX_SETTINGS 32
#define MAX_INTERIM 16
#define MAX_FIELDS_SENT 256 /* request fields (the user's -H lines included) */

struct rf__h2 {
	nghttp2_session *ng;
	struct rf__h2_stream *bound;     /* streams with a reader, linked by bound_next */
	struct rf__h2_stream *news_head; /* streams with news, in order */
	struct rf__h2_stream *news_tail;
	unsigned nbound, nopen; /* bound; bound and not closed by nghttp2 */
	bool tls;
	bool goaway; /* received: no new stream */
	bool failed; /* the session is over */
	int err;
	char detail[160];
};

static void add_news(struct rf__h2 *h, struct rf__h2_stream *st)
{
	if (st->news)
		return;
	st->news = true;
	st->next_news = NULL;
	if (h->news_tail)
		h->news_tail->next_news = st;
	else
		h->news_head = st;
	h->news_tail = st;
}

static void drop_news(struct rf__h2 *h, struct rf__h2_stream *st)
{
	if (!st->news)
		return;
	struct rf__h2_stream **pp = &h->news_head, *prev = NULL;
	while (*pp && *pp != st) {
		prev = *pp;
		pp = &(*pp)->next_news;
	}
	if (*pp)
		*pp = st->next_news;
	if (h->news_tail == st)
		h->news_tail = prev;
	st->news = false;
}

bool rf__h2_has_news(const struct rf__h2 *h)
{
	return h->news_head != NULL;
}

struct rf__h2_stream *rf__h2_next_news(struct rf__h2 *h)
{
	struct rf__h2_stream *st = h->news_head;
	if (!st)
		return NULL;
	h->news_head = st->next_news;
	if (!h->news_head)
		h->news_tail = NULL;
	st->news = false;
	st->next_news = NULL;
	return st;
}

static void stream_fail(struct rf__h2 *h, struct rf__h2_stream *st, int err, const char *detail)
{
	if (!st->error) {
		st->error = err;
		snprintf(st->detail, sizeof(st->detail), "%.*s", (int)sizeof(st->detail) - 1, detail);
	}
	add_news(h, st);
}

static struct rf__h2_stream *stream_of(nghttp2_session *ng, int32_t id)
{
	return id > 0 ? nghttp2_session_get_stream_user_data(ng, id) : NULL;
}

/* Reset st (a rule of ours was broken): the reader hears err. */
static int refuse(struct rf__h2 *h, struct rf__h2_stream *st, int err, const char *detail)
{
	stream_fail(h, st, err, detail);
	return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; /* nghttp2 resets the stream */
}

/* ---- nghttp2's callbacks ---- */

static bool parse_status(const uint8_t *v, size_t n, int *out)
{
	if (n != 3 || !isdigit(v[0]) || !isdigit(v[1]) || !isdigit(v[2]))
		return false;
	*out = (v[0] - '0') * 100 + (v[1] - '0') * 10 + (v[2] - '0');
	return *out >= 100;
}

static bool parse_length(const uint8_t *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit(v[i]))
			return false;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = x;
	return true;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name, size_t nlen,
                     const uint8_t *value, size_t vlen, uint8_t flags, void *arg)
{
	(void)flags;
	struct rf__h2 *h = arg;
	struct rf__h2_stream *st = stream_of(ng, f->hd.stream_id);
	if (!st || f->hd.type != NGHTTP2_HEADERS)
		return 0;
	st->header_bytes += nlen + vlen + 32; /* RFC 9113's accounting */
	if (st->header_bytes > RF__H2_MAX_HEADER_LIST) {
		char d[80];
		snprintf(d, sizeof(d), "header section over %d KiB", RF__H2_MAX_HEADER_LIST / 1024);
		return refuse(h, st, RF_EHEADERS_TOO_BIG, d);
	}
	if (st->headers)
		return 0; /* trailers: not kept */
	struct rf__response *out = st->out;
	if (nlen == 7 && memcmp(name, ":status", 7) == 0) {
		int status;
		if (!parse_status(value, vlen, &status))
			return refuse(h, st, RF_EPROTO, "malformed :status");
		st->status = status;
		st->header_bytes = nlen + vlen + 32; /* a section begins (1xx ones too) */
		if (st->lean)
			return 0;
		rf__http1_section_begin(&st->fields, status, 2);
		out->has_length = false;
		out->content_length = 0;
		return 0;
	}
	if (nlen == 14 && memcmp(name, "content-length", 14) == 0) {
		uint64_t n;
		if (!parse_length(value, vlen, &n))
			return refuse(h, st, RF_EPROTO, "malformed content-length");
		out->has_length = true;
		out->content_length = n;
		if (st->lean)
			return 0;
		/* on to the capture too: -v shows it */
	}
	if (st->lean)
		return 0; /* only the status and the length are kept */
	int e = rf__http1_section_field(&st->fields, (const char *)name, nlen, (const char *)value, vlen);
	if (e)
		return refuse(h, st, e, out->error_detail[0] ? out->error_detail : "header field refused");
	return 0;
}

/* A header section of st ended (END_HEADERS). */
static int headers_end(struct rf__h2 *h, struct rf__h2_stream *st)
{
	if (st->headers)
		return 0; /* trailers */
	int r = !st->lean ? rf__http1_section_end(&st->fields) : st->status < 200 ? 1 : 0;
	if (st->lean && r == 0)
		st->out->status = st->status;
	if (r < 0)
		return refuse(h, st, r, st->out->error_detail);
	if (r == 1) {
		if (++st->interim > MAX_INTERIM)
			return refuse(h, st, RF_EPROTO, "more than 16 interim (1xx) responses");
		return 0;
	}
	int status = st->out->status;
	if (st->head || status == 204 || status == 304)
		st->out->content_length = 0;
	st->headers = true;
	add_news(h, st);
	return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *arg)
{
	struct rf__h2 *h = arg;
	if (f->hd.type == NGHTTP2_GOAWAY) {
		h->goaway = true;
		for (struct rf__h2_stream *st = h->bound; st; st = st->bound_next)
			if (st->id > f->goaway.last_stream_id)
				st->refused = true; /* nghttp2 closes them next */
		if (f->goaway.error_code != NGHTTP2_NO_ERROR)
			snprintf(h->detail, sizeof(h->detail), "the server ended the session (GOAWAY %s)",
			         nghttp2_http2_strerror(f->goaway.error_code));
		return 0;
	}
	struct rf__h2_stream *st = stream_of(ng, f->hd.stream_id);
	if (!st)
		return 0;
	if (f->hd.type == NGHTTP2_RST_STREAM)
		st->peer_reset = true;
	st->frames_headers += f->hd.type == NGHTTP2_HEADERS;
	st->frames_data += f->hd.type == NGHTTP2_DATA;
	if (f->hd.type == NGHTTP2_HEADERS && (f->hd.flags & NGHTTP2_FLAG_END_HEADERS)) {
		int r = headers_end(h, st);
		if (r)
			return r;
	}
	if ((f->hd.type == NGHTTP2_HEADERS || f->hd.type == NGHTTP2_DATA) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		st->ended = true;
		add_news(h, st);
	}
	return 0;
}

static int on_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data, size_t len, void *arg)
{
	(void)flags;
	struct rf__h2 *h = arg;
	struct rf__h2_stream *st = stream_of(ng, id);
	if (!st) {
		/* a stream we let go: its bytes still count against the
		 * connection's window, which must open again */
		nghttp2_session_consume_connection(ng, len);
		return 0;
	}
	if (st->land_len + len > st->land_cap || !st->land) {
		nghttp2_session_consume_connection(ng, len);
		return refuse(h, st, RF_EHTTP2,
		              "the server sent DATA beyond the stream's flow-control window");
	}
	memcpy(st->land + st->land_len, data, len);
	st->land_len += len;
	st->data_in += len;
	add_news(h, st);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t id, uint32_t code, void *arg)
{
	struct rf__h2 *h = arg;
	struct rf__h2_stream *st = stream_of(ng, id);
	if (!st)
		return 0;
	st->closed = true;
	st->close_code = code;
	h->nopen--;
	if (!st->ended && !st->error) {
		char d[120];
		if (code == NGHTTP2_REFUSED_STREAM || st->refused) {
			st->refused = true;
			snprintf(d, sizeof(d), "the server refused the stream (not processed)");
		} else if (st->peer_reset) {
			snprintf(d, sizeof(d), "the server reset the stream (%s)",
			         nghttp2_http2_strerror(code));
		} else if (code == NGHTTP2_FLOW_CONTROL_ERROR) {
			snprintf(d, sizeof(d),
			         "the server sent DATA beyond the stream's flow-control window");
		} else {
			snprintf(d, sizeof(d), "the server broke HTTP/2's rules on the stream (%s)",
			         nghttp2_http2_strerror(code));
		}
		stream_fail(h, st, RF_EHTTP2, code == NGHTTP2_NO_ERROR ? "stream closed early" : d);
	}
	add_news(h, st);
	return 0;
}

static const char *frame_name(uint8_t type)
{
	static const char *const names[] = {"DATA",          "HEADERS",      "PRIORITY", "RST_STREAM",
	                                    "SETTINGS",      "PUSH_PROMISE", "PING",     "GOAWAY",
	                                    "WINDOW_UPDATE", "CONTINUATION"};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "unknown";
}

static int on_invalid_frame(nghttp2_session *ng, const nghttp2_frame *f, int code, void *arg)
{
	(void)ng;
	struct rf__h2 *h = arg;
	char d[160];
	if (f->hd.type == NGHTTP2_PUSH_PROMISE)
		snprintf(d, sizeof(d), "the server sent PUSH_PROMISE, and push is disabled");
	else
		snprintf(d, sizeof(d), "the server sent an invalid %s frame (%s)", frame_name(f->hd.type),
		         nghttp2_strerror(code));
	if (!h->detail[0])
		snprintf(h->detail, sizeof(h->detail), "%s", d);
	struct rf__h2_stream *st = stream_of(ng, f->hd.stream_id);
	if (st)
		stream_fail(h, st, RF_EHTTP2, d);
	return 0;
}

static int on_error(nghttp2_session *ng, int code, const char *msg, size_t len, void *arg)
{
	(void)ng, (void)code;
	struct rf__h2 *h = arg;
	if (!h->detail[0])
		snprintf(h->detail, sizeof(h->detail), "%.*s", (int)len, msg);
	return 0;
}

/* ---- the session ---- */

int rf__h2_new(struct rf__h2 **out, const struct rf__h2_opts *o)
{
	struct rf__h2 *h = rf__calloc(1, sizeof(*h));
	nghttp2_session_callbacks *cb = NULL;
	nghttp2_option *opt = NULL;
	if (!h || nghttp2_session_callbacks_new(&cb) || nghttp2_option_new(&opt))
		goto fail;
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_session_callbacks_set_error_callback2(cb, on_error);
	nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb, on_invalid_frame);
	nghttp2_option_set_no_auto_window_update(opt, 1);
	nghttp2_option_set_max_outbound_ack(opt, MAX_OUTBOUND_ACK);
	nghttp2_option_set_max_continuations(opt, MAX_CONTINUATIONS);
	nghttp2_option_set_max_settings(opt, MAX_SETTINGS);
	nghttp2_option_set_peer_max_concurrent_streams(opt, RF__H2_MAX_STREAMS);
	if (nghttp2_session_client_new2(&h->ng, cb, h, opt))
		goto fail;
	nghttp2_session_callbacks_del(cb);
	nghttp2_option_del(opt);
	cb = NULL;
	opt = NULL;
	h->tls = !o->h2c;
	nghttp2_settings_entry iv[] = {
		{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
		{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 0},
		{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (uint32_t)o->stream_window},
		{NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, RF__H2_MAX_HEADER_LIST},
	};
	if (nghttp2_submit_settings(h->ng, NGHTTP2_FLAG_NONE, iv, sizeof(iv) / sizeof(iv[0])) ||
	    nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, 0, (int32_t)RF__H2_CONN_WINDOW))
		goto fail;
	*out = h;
	return 0;
fail:
	if (cb)
		nghttp2_session_callbacks_del(cb);
	if (opt)
		nghttp2_option_del(opt);
	if (h && h->ng)
		nghttp2_session_del(h->ng);
	free(h);
	return -ENOMEM;
}

void rf__h2_free(struct rf__h2 *h)
{
	if (!h)
		return;
	while (h->bound)
		rf__h2_close(h, h->bound);
	nghttp2_session_del(h->ng);
	free(h);
}

/* Fields of an HTTP/1.1 request that do not exist in HTTP/2 (RFC 9113
 * 8.2.2). */
static bool connection_specific(const char *name, size_t n, const char *value, size_t vlen)
{
	static const char *const names[] = {"connection",        "keep-alive", "proxy-connection",
	                                    "transfer-encoding", "upgrade",    "host"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (n == strlen(names[i]) && memcmp(name, names[i], n) == 0)
			return true;
	return n == 2 && memcmp(name, "te", 2) == 0 && !(vlen == 8 && strncasecmp(value, "trailers", 8) == 0);
}

/* The request body (after the header block of the request text). */
static ssize_t read_body(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len, uint32_t *flags,
                         nghttp2_data_source *src, void *arg)
{
	(void)ng, (void)id, (void)arg;
	struct rf__h2_stream *st = src->ptr;
	size_t n = st->body_len - st->body_off;
	if (n > len)
		n = len;
	memcpy(buf, st->body + st->body_off, n);
	st->body_off += n;
	if (st->body_off == st->body_len)
		*flags |= NGHTTP2_DATA_FLAG_EOF;
	return (ssize_t)n;
}

static void bind_stream(struct rf__h2 *h, struct rf__h2_stream *st)
{
	st->h2 = h;
	st->bound_next = h->bound;
	st->bound_prev = NULL;
	if (h->bound)
		h->bound->bound_prev = st;
	h->bound = st;
	h->nbound++;
	h->nopen++;
}

int rf__h2_open(struct rf__h2 *h, struct rf__h2_stream *st, struct rf__response *out, const char *req,
                size_t len, bool tls, char *land, size_t cap)
{
	(void)out;
	if (!rf__h2_can_open(h))
		return RF_EHTTP2;
	static __thread nghttp2_nv nv[MAX_FIELDS_SENT];
	static __thread char lower[16384];
	size_t n = 0, lw = 0;
	const char *end = req + len;
	const char *eol = memchr(req, '\r', len);
	const char *sp1 = memchr(req, ' ', len);
	const char *sp2 = eol ? memrchr(req, ' ', (size_t)(eol - req)) : NULL;
	if (!eol || !sp1 || !sp2 || sp2 <= sp1)
		return RF_EINVAL;
	nv[n++] = (nghttp2_nv){(uint8_t *)":method", (uint8_t *)req, 7, (size_t)(sp1 - req), 0};
	nv[n++] =
		(nghttp2_nv){(uint8_t *)":scheme", (uint8_t *)(tls ? "https" : "http"), 7, tls ? 5u : 4u, 0};
	nv[n++] = (nghttp2_nv){(uint8_t *)":path", (uint8_t *)sp1 + 1, 5, (size_t)(sp2 - sp1 - 1), 0};
	size_t authority = n++;
	nv[authority].namelen = 0;
	const char *p = eol + 2;
	for (; p < end && *p != '\r';) {
		const char *le = memchr(p, '\r', (size_t)(end - p));
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!le || !colon || colon > le)
			return RF_EINVAL;
		const char *v = colon + 1;
		while (v < le && (*v == ' ' || *v == '\t'))
			v++;
		size_t nl = (size_t)(colon - p), vl = (size_t)(le - v);
		if (nl == 4 && strncasecmp(p, "host", 4) == 0) {
			nv[authority] = (nghttp2_nv){(uint8_t *)":authority", (uint8_t *)v, 10, vl, 0};
		} else {
			if (n == MAX_FIELDS_SENT || lw + nl > sizeof(lower))
				return RF_EHEADER;
			for (size_t i = 0; i < nl; i++)
				lower[lw + i] = (char)tolower((unsigned char)p[i]);
			if (!connection_specific(lower + lw, nl, v, vl)) {
				nv[n++] = (nghttp2_nv){(uint8_t *)lower + lw, (uint8_t *)v, nl, vl, 0};
				lw += nl;
			}
		}
		p = le + 2;
	}
	if (!nv[authority].namelen)
		return RF_EINVAL;
	st->land = land;
	st->land_cap = cap;
	st->land_len = 0;
	/* a body after the blank line goes as DATA */
	st->body = p + 2 < end ? p + 2 : NULL;
	st->body_len = st->body ? (size_t)(end - st->body) : 0;
	st->body_off = 0;
	nghttp2_data_provider body = {.source.ptr = st, .read_callback = read_body};
	int32_t id = nghttp2_submit_request(h->ng, NULL, nv, n, st->body ? &body : NULL, st);
	if (id < 0) {
		snprintf(st->detail, sizeof(st->detail), "%s", nghttp2_strerror(id));
		return RF_EHTTP2;
	}
	st->id = id;
	st->window = cap;
	bind_stream(h, st);
	return 0;
}

void rf__h2_land(struct rf__h2 *h, struct rf__h2_stream *st, char *land, size_t cap)
{
	st->land = land;
	st->land_cap = cap;
	st->land_len = 0;
	if (cap > st->window && !st->closed &&
	    nghttp2_session_set_local_window_size(h->ng, NGHTTP2_FLAG_NONE, st->id, (int32_t)cap) == 0)
		st->window = cap;
}

void rf__h2_consume(struct rf__h2 *h, struct rf__h2_stream *st, size_t n)
{
	if (!n)
		return;
	st->consumed += n;
	if (st->closed || nghttp2_session_consume(h->ng, st->id, n) != 0)
		nghttp2_session_consume_connection(h->ng, n);
}

void rf__h2_close(struct rf__h2 *h, struct rf__h2_stream *st)
{
	if (st->h2 != h)
		return;
	if (!st->closed) {
		nghttp2_submit_rst_stream(h->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_CANCEL);
		h->nopen--;
	}
	if (st->data_in > st->consumed) /* the connection's window opens for them */
		nghttp2_session_consume_connection(h->ng, st->data_in - st->consumed);
	st->consumed = st->data_in;
	if (st->id > 0)
		nghttp2_session_set_stream_user_data(h->ng, st->id, NULL);
	drop_news(h, st);
	if (st->bound_prev)
		st->bound_prev->bound_next = st->bound_next;
	else
		h->bound = st->bound_next;
	if (st->bound_next)
		st->bound_next->bound_prev = st->bound_prev;
	st->bound_next = st->bound_prev = NULL;
	h->nbound--;
	st->h2 = NULL;
	st->land = NULL;
	st->land_cap = st->land_len = 0;
}

void rf__h2_fail(struct rf__h2 *h, int err, const char *detail)
{
	if (!h->failed) {
		h->failed = true;
		h->err = err;
		if (detail && (!h->detail[0] || err != RF_EHTTP2))
			snprintf(h->detail, sizeof(h->detail), "%.*s", (int)sizeof(h->detail) - 1, detail);
	}
	for (struct rf__h2_stream *st = h->bound; st; st = st->bound_next)
		if (!st->closed)
			stream_fail(h, st, err, h->detail);
}

int rf__h2_recv(struct rf__h2 *h, const char *data, size_t len)
{
	if (h->failed)
		return h->err;
	ssize_t r = nghttp2_session_mem_recv(h->ng, (const uint8_t *)data, len);
	if (r < 0) {
		char d[240];
		if (r == NGHTTP2_ERR_FLOODED)
			snprintf(d, sizeof(d),
			         "the server flooded the session (PING or SETTINGS frames faster "
			         "than their answers can go)");
		else
			snprintf(d, sizeof(d), "%.60s%s%.159s", nghttp2_strerror((int)r),
			         h->detail[0] ? ": " : "", h->detail);
		rf__h2_fail(h, RF_EHTTP2, d);
		return RF_EHTTP2;
	}
	return 0;
}

size_t rf__h2_out(struct rf__h2 *h, const uint8_t **data)
{
	if (h->failed)
		return 0;
	ssize_t n = nghttp2_session_mem_send(h->ng, data);
	if (n < 0) {
		rf__h2_fail(h, RF_EHTTP2, nghttp2_strerror((int)n));
		return 0;
	}
	return (size_t)n;
}

int rf__h2_gather(struct rf__h2 *h, struct rf__h2_outbuf *b, size_t max)
{
	const uint8_t *d;
	size_t n;
	b->len = 0;
	while (b->len < max && (n = rf__h2_out(h, &d)) > 0) {
		if (b->len + n > b->cap) {
			size_t cap = (b->len + n) * 2;
			char *p = rf__realloc(b->buf, cap);
			if (!p)
				return -ENOMEM;
			b->buf = p;
			b->cap = cap;
		}
		memcpy(b->buf + b->len, d, n);
		b->len += n;
	}
	return 0;
}

bool rf__h2_closing(const struct rf__h2 *h)
{
	return h->failed || h->goaway || !nghttp2_session_check_request_allowed(h->ng) ||
	       (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng));
}

bool rf__h2_can_open(const struct rf__h2 *h)
{
	if (rf__h2_closing(h))
		return false;
	uint32_t peer = nghttp2_session_get_remote_settings(h->ng, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
	uint32_t cap = peer < RF__H2_MAX_STREAMS ? peer : RF__H2_MAX_STREAMS;
	return h->nopen < cap && h->nbound < RF__H2_MAX_STREAMS;
}

unsigned rf__h2_streams(const struct rf__h2 *h)
{
	return h->nbound;
}

bool rf__h2_done(const struct rf__h2 *h)
{
	return h->failed || (!nghttp2_session_want_read(h->ng) && !nghttp2_session_want_write(h->ng));
}

const char *rf__h2_detail(const struct rf__h2 *h)
{
	return h->detail;
}

/* ---- an HTTP/2 stream behind the exchange seam (exchange.h) ---- */

void rf__h2_stream_init(struct rf__h2_stream *st, struct rf__response *out, bool head)
{
	assert(!st->h2); /* the last stream was closed */
	memset(st, 0, offsetof(struct rf__h2_stream, fields));
	rf__http1_init(&st->fields, out, head);
	st->out = out;
	st->head = head;
}

void rf__h2_stream_init_lean(struct rf__h2_stream *st, struct rf__response *out, bool head)
{
	assert(!st->h2);
	memset(st, 0, offsetof(struct rf__h2_stream, fields));
	out->status = 0;
	out->has_length = false;
	out->content_length = 0;
	out->error_detail[0] = 0;
	st->out = out;
	st->head = head;
	st->lean = true;
}

static void exchange_begin(struct rf__exchange *x, struct rf__response *out, bool head)
{
	struct rf__h2_stream *st = &x->proto.h2;
	rf__h2_stream_init(st, out, head);
	if (x->trace)
		rf__http1_trace_into(&st->fields, x->trace);
	if (x->cookies)
		rf__http1_cookies_into(&st->fields, x->cookies);
}

/* The body that landed (data[0..len)) is the feed; the response is
 * complete with the stream's end once everything landed was fed. */
static int exchange_feed(struct rf__exchange *x, char *data, size_t len, size_t *consumed)
{
	struct rf__h2_stream *st = &x->proto.h2;
	struct rf__response *out = st->out;
	out->body = len ? data : NULL;
	out->body_len = len;
	*consumed = len;
	out->consumed_total += len;
	if (st->error) {
		snprintf(out->error_detail, sizeof(out->error_detail), "%s", st->detail);
		out->body_len = 0;
		return st->error;
	}
	if (st->ended && st->headers && st->land_len == 0) {
		out->complete = true;
		out->keep_alive = true; /* the session carries on */
	}
	return 0;
}

static void exchange_body_done(struct rf__exchange *x)
{
	(void)x; /* a stream's body never goes around the session */
}

static int exchange_eof(struct rf__exchange *x)
{
	struct rf__h2_stream *st = &x->proto.h2;
	snprintf(st->out->error_detail, sizeof(st->out->error_detail), "the connection closed");
	return st->out->consumed_total ? RF_ETRUNCATED : RF_ENOANSWER;
}

const struct rf__exchange_ops rf__http2_exchange = {
	.alpn = "h2",
	.request = rf__http1_request, /* the same text; rf__h2_open maps it */
	.begin = exchange_begin,
	.feed = exchange_feed,
	.body_done = exchange_body_done,
	.eof = exchange_eof,
};
