/*
 * http1.c - HTTP/1.1 requests out, llhttp-parsed responses in.
 *
 * The response side wraps llhttp 8.1 for what a fetcher needs: the final
 * status and reason, Location and Content-Length, enforced limits on the
 * header section (llhttp has none), keep-alive decision, and the body as one
 * span per feed.  It fixes what 8.1 gets wrong for bodiless responses: 1xx,
 * 204, 304 and answers to HEAD are told to llhttp as "no body" in
 * on_headers_complete; interim 1xx responses are skipped (at most
 * RF__HTTP1_MAX_INTERIM of them, so endless 100s cannot hold a transfer).
 *
 * Codings: only "chunked" is accepted as a transfer coding (the request
 * asks for none, so a body in any other is not the resource: RF_ECODING);
 * Content-Encoding is recorded and the body kept as sent, as curl does
 * without --compressed.  A framing error carries llhttp's reason ("Invalid
 * character in chunk size") in error_detail.
 *
 * Body compaction: a chunked body arrives as several spans separated by chunk
 * headers.  Each later span is memmove'd down to follow the previous one, so
 * the caller can write the body of one receive buffer with one write op.  The
 * move only overwrites bytes llhttp has already consumed.
 */
#include "alloc.h"
#include "http1.h"
#include "exchange.h"
#include "fields.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>
#include <time.h>

#include "ringfetch.h"

enum {
	FIELD_OTHER,
	FIELD_LOCATION,
	FIELD_ETAG,
	FIELD_LAST_MODIFIED,
	FIELD_CONTENT_RANGE,
	FIELD_RETRY_AFTER,
	FIELD_CONTENT_TYPE,
	FIELD_ACCEPT_RANGES,
	FIELD_CONTENT_ENCODING,
	FIELD_TRANSFER_ENCODING,
	FIELD_CONTENT_DISPOSITION,
	FIELD_SET_COOKIE,
};

#define FIELD(name, kind)                                                                                    \
	{                                                                                                    \
		name, sizeof(name) - 1, kind                                                                 \
	}
static const struct {
	const char *name;
	size_t len;
	int kind;
} fields[] = {
	FIELD("location", FIELD_LOCATION),
	FIELD("etag", FIELD_ETAG),
	FIELD("last-modified", FIELD_LAST_MODIFIED),
	FIELD("content-range", FIELD_CONTENT_RANGE),
	FIELD("retry-after", FIELD_RETRY_AFTER),
	FIELD("content-type", FIELD_CONTENT_TYPE),
	FIELD("accept-ranges", FIELD_ACCEPT_RANGES),
	FIELD("content-encoding", FIELD_CONTENT_ENCODING),
	FIELD("transfer-encoding", FIELD_TRANSFER_ENCODING),
	FIELD("content-disposition", FIELD_CONTENT_DISPOSITION),
	FIELD("set-cookie", FIELD_SET_COOKIE),
};

/* Where a captured short field's value goes. */
static char *short_field(struct rf__http1_resp *r, int kind)
{
	switch (kind) {
	case FIELD_ETAG:
		return r->out->etag;
	case FIELD_LAST_MODIFIED:
		return r->out->last_modified;
	case FIELD_CONTENT_RANGE:
		return r->out->content_range;
	case FIELD_RETRY_AFTER:
		return r->out->retry_after;
	case FIELD_CONTENT_TYPE:
		return r->out->content_type;
	default:
		return NULL;
	}
}

static struct rf__http1_resp *resp_of(llhttp_t *p)
{
	return (struct rf__http1_resp *)p->data;
}

static int fail(struct rf__http1_resp *r, int err)
{
	if (!r->error)
		r->error = err;
	return -1;
}

static int fail_why(struct rf__http1_resp *r, int err, const char *why)
{
	if (!r->error)
		snprintf(r->out->error_detail, sizeof(r->out->error_detail), "%s", why);
	return fail(r, err);
}

static int count_header_bytes(struct rf__http1_resp *r, size_t n)
{
	r->header_bytes += n;
	if (r->header_bytes > RF__HTTP1_MAX_HEADER_BYTES)
		return fail(r, RF_EHEADERS_TOO_BIG);
	return 0;
}

/* ---- -v: the header sections as text ---- */

enum { TRACE_NONE, TRACE_STATUS, TRACE_FIELD, TRACE_VALUE };

static void trace_add(struct rf__resp_trace *t, const char *at, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = rf__realloc(t->text, cap);
		if (!p)
			return; /* the trace is for the eyes: a gap, no failure */
		t->text = p;
		t->cap = cap;
	}
	memcpy(t->text + t->len, at, n);
	t->len += n;
	t->text[t->len] = 0;
}

/* A piece of kind k arrived: separators first when the kind changes. */
static void trace_piece(struct rf__http1_resp *r, int k, const char *at, size_t n)
{
	struct rf__resp_trace *t = r->trace;
	if (!t)
		return;
	if (k == TRACE_STATUS && t->last != TRACE_STATUS) {
		char line[32];
		int w = r->parser.http_major >= 2 /* "HTTP/2", as curl shows it */
		                ? snprintf(line, sizeof(line), "HTTP/%d %d ", r->parser.http_major,
		                           r->parser.status_code)
		                : snprintf(line, sizeof(line), "HTTP/%d.%d %d ", r->parser.http_major,
		                           r->parser.http_minor, r->parser.status_code);
		trace_add(t, line, (size_t)w);
	} else if (k == TRACE_FIELD && t->last != TRACE_FIELD && t->last != TRACE_NONE) {
		trace_add(t, "\n", 1);
	} else if (k == TRACE_VALUE && t->last == TRACE_FIELD) {
		trace_add(t, ": ", 2);
	}
	t->last = k;
	trace_add(t, at, n);
}

static int on_message_begin(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	r->out->reason_len = 0;
	r->out->location_len = 0;
	r->out->location_too_long = false;
	r->out->etag[0] = r->out->last_modified[0] = r->out->content_range[0] = r->out->retry_after[0] = 0;
	r->out->content_type[0] = 0;
	r->out->accept_ranges = false;
	r->out->content_encoding[0] = r->transfer_encoding[0] = 0;
	r->out->content_disposition[0] = 0;
	r->te_too_long = false;
	if (r->cookies) { /* an interim section's cookies go with it */
		r->cookies->len = r->cookies->start = 0;
		r->cookies->cut = false;
	}
	r->header_bytes = 0;
	r->header_count = 0;
	r->field_len = 0;
	r->in_value = false;
	return 0;
}

static int on_status(llhttp_t *p, const char *at, size_t n)
{
	struct rf__http1_resp *r = resp_of(p);
	if (count_header_bytes(r, n))
		return -1;
	trace_piece(r, TRACE_STATUS, at, n);
	size_t room = sizeof(r->out->reason) - 1 - r->out->reason_len;
	if (n > room)
		n = room;
	memcpy(r->out->reason + r->out->reason_len, at, n);
	r->out->reason_len += n;
	r->out->reason[r->out->reason_len] = 0;
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct rf__http1_resp *r = resp_of(p);
	if (count_header_bytes(r, n))
		return -1;
	trace_piece(r, TRACE_FIELD, at, n);
	if (r->in_value || r->header_count == 0) {
		/* a new field starts */
		if (++r->header_count > RF__HTTP1_MAX_HEADERS)
			return fail(r, RF_ETOO_MANY_HEADERS);
		r->in_value = false;
		r->field_len = 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (r->field_len < sizeof(r->field) - 1)
			r->field[r->field_len] = (char)tolower((unsigned char)at[i]);
		r->field_len++;
	}
	return 0;
}

/* Append [at, at+n) to the NUL-terminated value in buf; *cut when it did
 * not fit. */
static void append_value(char *buf, size_t cap, const char *at, size_t n, bool *cut)
{
	size_t have = strlen(buf), room = cap - 1 - have;
	if (n > room) {
		n = room;
		*cut = true;
	}
	memcpy(buf + have, at, n);
	buf[have + n] = 0;
}

/* Is the Transfer-Encoding list exactly "chunked" (any case, blanks)? */
static bool only_chunked(const char *te)
{
	while (*te == ' ' || *te == '\t')
		te++;
	if (strncasecmp(te, "chunked", 7) != 0)
		return false;
	te += 7;
	while (*te == ' ' || *te == '\t')
		te++;
	return *te == 0;
}

static int on_header_field_complete(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	r->field_kind = FIELD_OTHER;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (r->field_len == fields[i].len && memcmp(r->field, fields[i].name, r->field_len) == 0)
			r->field_kind = fields[i].kind;
	}
	if (r->field_kind == FIELD_LOCATION) {
		r->out->location_len = 0; /* last Location wins */
		r->out->location_too_long = false;
	}
	if (r->field_kind == FIELD_TRANSFER_ENCODING && r->transfer_encoding[0])
		append_value(r->transfer_encoding, sizeof(r->transfer_encoding), ", ", 2,
		             &r->te_too_long); /* several fields make one list */
	if (r->field_kind == FIELD_CONTENT_ENCODING && r->out->content_encoding[0]) {
		bool cut = false;
		append_value(r->out->content_encoding, sizeof(r->out->content_encoding), ", ", 2, &cut);
	}
	char *sf = short_field(r, r->field_kind);
	if (sf)
		sf[0] = 0; /* last one wins */
	if (r->field_kind == FIELD_CONTENT_DISPOSITION) {
		r->out->content_disposition[0] = 0; /* last one wins */
		r->out->cd_too_long = false;
	}
	return 0;
}

/* A piece of a Set-Cookie value into the response's list. */
static void cookie_piece(struct rf__http1_resp *r, const char *at, size_t n)
{
	struct rf__resp_cookies *k = r->cookies;
	if (k->cut)
		return;
	if (k->len + n + 1 > RF__RESP_MAX_COOKIE_BYTES) {
		k->cut = true;
		return;
	}
	if (k->len + n + 1 > k->cap) {
		size_t cap = (k->len + n + 1) * 2;
		char *t = rf__realloc(k->text, cap);
		if (!t) {
			k->cut = true;
			return;
		}
		k->text = t;
		k->cap = cap;
	}
	memcpy(k->text + k->len, at, n);
	k->len += n;
}

void rf__http1_cookies_into(struct rf__http1_resp *r, struct rf__resp_cookies *k)
{
	k->len = k->start = 0;
	k->cut = false;
	r->cookies = k;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct rf__http1_resp *r = resp_of(p);
	bool first_piece = !r->in_value;
	r->in_value = true;
	if (count_header_bytes(r, n))
		return -1;
	if (r->field_kind == FIELD_SET_COOKIE) { /* a credential: never shown */
		if (first_piece)
			trace_piece(r, TRACE_VALUE, "***", 3);
		if (r->cookies)
			cookie_piece(r, at, n);
	} else {
		trace_piece(r, TRACE_VALUE, at, n);
	}
	if (r->field_kind == FIELD_LOCATION) {
		if (r->out->location_len + n >= sizeof(r->out->location)) {
			r->out->location_too_long = true;
			return 0;
		}
		memcpy(r->out->location + r->out->location_len, at, n);
		r->out->location_len += n;
		r->out->location[r->out->location_len] = 0;
	}
	char *sf = short_field(r, r->field_kind);
	if (sf) {
		size_t have = strlen(sf), room = 127 - have;
		size_t k = n < room ? n : room;
		memcpy(sf + have, at, k);
		sf[have + k] = 0;
	}
	if (r->field_kind == FIELD_ACCEPT_RANGES && n >= 5 && strncasecmp(at, "bytes", 5) == 0)
		r->out->accept_ranges = true;
	if (r->field_kind == FIELD_TRANSFER_ENCODING)
		append_value(r->transfer_encoding, sizeof(r->transfer_encoding), at, n, &r->te_too_long);
	if (r->field_kind == FIELD_CONTENT_DISPOSITION)
		append_value(r->out->content_disposition, sizeof(r->out->content_disposition), at, n,
		             &r->out->cd_too_long); /* a cut value is not taken (http1.h) */
	if (r->field_kind == FIELD_CONTENT_ENCODING) {
		bool cut = false; /* a record for the user: cut to fit is fine */
		append_value(r->out->content_encoding, sizeof(r->out->content_encoding), at, n, &cut);
	}
	return 0;
}

static int on_header_value_complete(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	r->in_value = true;
	struct rf__resp_cookies *k = r->cookies;
	if (k && r->field_kind == FIELD_SET_COOKIE) {
		if (k->cut) {
			k->len = k->start; /* a value cut short is no cookie */
		} else {
			cookie_piece(r, "", 0); /* room for its NUL */
			if (!k->cut) {
				k->text[k->len++] = 0;
				k->start = k->len;
			} else {
				k->len = k->start;
			}
		}
	}
	return 0;
}

/* A header section is complete: 1 for an interim (1xx) response (no
 * body: parse the next one) or a refusal (via fail_why), 0 for the final
 * one, whose status is then set. */
static int interim_or_final(struct rf__http1_resp *r, int status, int *ret)
{
	if (status < 200) {
		if (status == 101)
			*ret = fail_why(r, RF_EPROTO, "101 Switching Protocols without an upgrade request");
		else if (++r->interim > RF__HTTP1_MAX_INTERIM)
			*ret = fail_why(r, RF_EPROTO, "more than 16 interim (1xx) responses");
		else
			*ret = 1;
		return 1;
	}
	r->out->status = status;
	r->out->headers_done = true;
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	if (r->trace) { /* the section ends: a blank line between responses */
		trace_add(r->trace, "\n\n", 2);
		r->trace->last = TRACE_NONE;
	}
	int status = p->status_code, ret;
	if (interim_or_final(r, status, &ret))
		return ret;
	bool bodiless = r->no_body || status == 204 || status == 304;
	if (!bodiless && (p->flags & F_TRANSFER_ENCODING) &&
	    (r->te_too_long || !only_chunked(r->transfer_encoding))) {
		char why[sizeof(r->out->error_detail)];
		snprintf(why, sizeof(why), "Transfer-Encoding: %.80s%s", r->transfer_encoding,
		         r->te_too_long ? "..." : "");
		return fail_why(r, RF_ECODING, why);
	}
	r->out->has_length = (p->flags & F_CONTENT_LENGTH) != 0;
	r->out->content_length = r->out->has_length ? p->content_length : 0;
	if (r->no_body || status == 204 || status == 304) {
		r->out->content_length = 0;
		return 1;
	}
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct rf__http1_resp *r = resp_of(p);
	if (r->out->body_len == 0) {
		r->out->body = (char *)at;
	} else if (at != r->out->body + r->out->body_len) {
		memmove(r->out->body + r->out->body_len, at, n);
	}
	r->out->body_len += n;
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	if (!r->out->headers_done)
		return 0; /* end of a 1xx: keep parsing */
	r->out->complete = true;
	r->out->keep_alive = llhttp_should_keep_alive(p) != 0;
	return HPE_PAUSED;
}

static const llhttp_settings_t settings = {
	.on_message_begin = on_message_begin,
	.on_status = on_status,
	.on_header_field = on_header_field,
	.on_header_field_complete = on_header_field_complete,
	.on_header_value = on_header_value,
	.on_header_value_complete = on_header_value_complete,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

/* The lean parse (rf__http1_init_lean): framing and status, nothing kept. */
static int on_headers_complete_lean(llhttp_t *p)
{
	struct rf__http1_resp *r = resp_of(p);
	int status = p->status_code, ret;
	if (interim_or_final(r, status, &ret))
		return ret;
	bool bodiless = r->no_body || status == 204 || status == 304;
	if (!bodiless && (p->flags & F_TRANSFER_ENCODING) && !(p->flags & F_CHUNKED))
		return fail_why(r, RF_ECODING, "a Transfer-Encoding that does not end in chunked");
	r->out->has_length = (p->flags & F_CONTENT_LENGTH) != 0;
	r->out->content_length = bodiless || !r->out->has_length ? 0 : p->content_length;
	return bodiless ? 1 : 0;
}

static const llhttp_settings_t settings_lean = {
	.on_headers_complete = on_headers_complete_lean,
	.on_message_complete = on_message_complete,
};

/* The parser's own state before a response (out untouched). */
static void parser_reset(struct rf__http1_resp *r, struct rf__response *out, bool head,
                         const llhttp_settings_t *with)
{
	memset(r, 0, offsetof(struct rf__http1_resp, transfer_encoding));
	r->transfer_encoding[0] = r->field[0] = 0;
	llhttp_init(&r->parser, HTTP_RESPONSE, with);
	r->parser.data = r;
	r->out = out;
	r->no_body = head;
}

void rf__http1_init_lean(struct rf__http1_resp *r, struct rf__response *out, bool head)
{
	parser_reset(r, out, head, &settings_lean);
	rf__response_reset(out);
	r->lean = true;
}

void rf__http1_init(struct rf__http1_resp *r, struct rf__response *out, bool head)
{
	parser_reset(r, out, head, &settings);
	rf__response_reset(out);
}

void rf__http1_trace_into(struct rf__http1_resp *r, struct rf__resp_trace *t)
{
	r->trace = t;
	t->len = 0;
	t->last = TRACE_NONE;
	if (t->text)
		t->text[0] = 0;
}

int rf__http1_feed(struct rf__http1_resp *r, char *data, size_t len, size_t *consumed)
{
	r->out->body = NULL;
	r->out->body_len = 0;
	*consumed = 0;
	if (r->error)
		return r->error;
	if (r->out->complete || len == 0)
		return 0;
	enum llhttp_errno e = llhttp_execute(&r->parser, data, len);
	if (e == HPE_OK) {
		*consumed = len;
	} else if (e == HPE_PAUSED && r->out->complete) {
		*consumed = (size_t)(llhttp_get_error_pos(&r->parser) - data);
	} else {
		if (!r->error) {
			r->error = RF_EPROTO;
			snprintf(r->out->error_detail, sizeof(r->out->error_detail), "%s",
			         llhttp_get_error_reason(&r->parser) ? llhttp_get_error_reason(&r->parser)
			                                             : llhttp_errno_name(e));
		}
		*consumed = len;
	}
	r->out->consumed_total += *consumed;
	if (r->lean && !r->out->headers_done && r->out->consumed_total > RF__HTTP1_MAX_HEADER_BYTES &&
	    !r->error) {
		r->error = RF_EHEADERS_TOO_BIG; /* the lean parse counts no fields */
		snprintf(r->out->error_detail, sizeof(r->out->error_detail), "header section over %d KiB",
		         RF__HTTP1_MAX_HEADER_BYTES / 1024);
	}
	if (r->error) {
		r->out->body_len = 0;
		return r->error;
	}
	return 0;
}

void rf__http1_body_done(struct rf__http1_resp *r)
{
	r->out->complete = true;
	r->out->keep_alive = llhttp_should_keep_alive(&r->parser) != 0;
}

int rf__http1_eof(struct rf__http1_resp *r)
{
	if (r->out->complete)
		return 0;
	if (r->error)
		return r->error;
	if (r->out->consumed_total == 0)
		return RF_ENOANSWER;
	if (r->out->headers_done && llhttp_message_needs_eof(&r->parser)) {
		enum llhttp_errno e = llhttp_finish(&r->parser);
		/* on_message_complete pauses, so a good finish may say PAUSED */
		if (e == HPE_OK || (e == HPE_PAUSED && r->out->complete)) {
			r->out->complete = true;
			r->out->keep_alive = false;
			return 0;
		}
		if (llhttp_get_error_reason(&r->parser))
			snprintf(r->out->error_detail, sizeof(r->out->error_detail), "%s",
			         llhttp_get_error_reason(&r->parser));
	}
	if (!r->out->headers_done && !r->out->error_detail[0])
		snprintf(r->out->error_detail, sizeof(r->out->error_detail),
		         "connection closed inside the header section");
	return r->out->headers_done ? RF_ETRUNCATED : RF_EPROTO;
}

/* ---- a header section that came another way (HTTP/2) ---- */

void rf__http1_section_begin(struct rf__http1_resp *r, int status, int major)
{
	on_message_begin(&r->parser);
	r->parser.status_code = (uint16_t)status;
	r->parser.http_major = (uint8_t)major;
	r->parser.http_minor = 0;
	trace_piece(r, TRACE_STATUS, "", 0);
}

int rf__http1_section_field(struct rf__http1_resp *r, const char *name, size_t nlen, const char *value,
                            size_t vlen)
{
	llhttp_t *p = &r->parser;
	if (on_header_field(p, name, nlen) || on_header_field_complete(p) ||
	    on_header_value(p, value, vlen) || on_header_value_complete(p))
		return r->error ? r->error : RF_EPROTO;
	return 0;
}

int rf__http1_section_end(struct rf__http1_resp *r)
{
	if (r->trace) {
		trace_add(r->trace, "\n\n", 2);
		r->trace->last = TRACE_NONE;
	}
	int ret = 0;
	if (interim_or_final(r, r->parser.status_code, &ret))
		return ret < 0 ? r->error : 1;
	return 0;
}

/* ---- HTTP/1.1 behind the exchange seam (exchange.h) ---- */

static void exchange_begin(struct rf__exchange *x, struct rf__response *out, bool head)
{
	rf__http1_init(&x->proto.h1, out, head);
	if (x->trace)
		rf__http1_trace_into(&x->proto.h1, x->trace);
	if (x->cookies)
		rf__http1_cookies_into(&x->proto.h1, x->cookies);
}

static int exchange_feed(struct rf__exchange *x, char *data, size_t len, size_t *consumed)
{
	return rf__http1_feed(&x->proto.h1, data, len, consumed);
}

static void exchange_body_done(struct rf__exchange *x)
{
	rf__http1_body_done(&x->proto.h1);
}

static int exchange_eof(struct rf__exchange *x)
{
	return rf__http1_eof(&x->proto.h1);
}

/* Index of the extra header whose name is `name`, or -1. */
static int find_extra(const char *name, const char *const *extra, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rf__field_named(extra[i], name))
			return (int)i;
	return -1;
}

static bool value_empty(const char *line)
{
	const char *v = strchr(line, ':') + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	return *v == 0;
}

int rf__http1_request(char *buf, size_t cap, const struct rf__request_spec *rq)
{
	static const char *const names[] = {
		"Host", "User-Agent", "Accept", "Accept-Encoding", "Authorization", "Proxy-Authorization"};
	const char *values[] = {rq->hostport,
	                        rq->user_agent,
	                        "*/*",
	                        rq->accept_encoding ? rq->accept_encoding : "identity",
	                        rq->credentials ? rq->authorization : NULL,
	                        rq->proxy_authorization};
	size_t w = 0;
	int n = snprintf(buf, cap, "%s %s HTTP/1.1\r\n", rq->method, rq->target);
	if (n < 0 || (size_t)n >= cap)
		return -1;
	w = (size_t)n;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!values[i] || (i < 5 && find_extra(names[i], rq->extra, rq->n_extra) >= 0))
			continue;
		n = snprintf(buf + w, cap - w, "%s: %s\r\n", names[i], values[i]);
		if (n < 0 || (size_t)n >= cap - w)
			return -1;
		w += (size_t)n;
	}
	const char *cookie = rq->cookie && *rq->cookie ? rq->cookie : NULL;
	for (size_t i = 0; i < rq->n_extra; i++) {
		const char *line = rq->extra[i];
		if (value_empty(line) || (!rq->credentials && rf__field_credential(line)) ||
		    (rq->proxy_authorization && rf__field_named(line, "Proxy-Authorization")))
			continue;
		if (cookie && rf__field_named(line, "Cookie")) {
			/* one Cookie line (RFC 6265 5.4): the user's, then the store's */
			n = snprintf(buf + w, cap - w, "%s; %s\r\n", line, cookie);
			cookie = NULL;
		} else {
			n = snprintf(buf + w, cap - w, "%s\r\n", line);
		}
		if (n < 0 || (size_t)n >= cap - w)
			return -1;
		w += (size_t)n;
	}
	if (cookie) {
		n = snprintf(buf + w, cap - w, "Cookie: %s\r\n", cookie);
		if (n < 0 || (size_t)n >= cap - w)
			return -1;
		w += (size_t)n;
	}
	if (rq->raw_extra) {
		n = snprintf(buf + w, cap - w, "%s", rq->raw_extra);
		if (n < 0 || (size_t)n >= cap - w)
			return -1;
		w += (size_t)n;
	}
	if (cap - w < 3)
		return -1;
	memcpy(buf + w, "\r\n", 3);
	return (int)(w + 2);
}

int rf__http1_connect_request(char *buf, size_t cap, const char *hostport, const char *user_agent,
                              const char *proxy_authorization)
{
	int n = snprintf(buf, cap, "CONNECT %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: %s\r\n%s%s%s\r\n",
	                 hostport, hostport, user_agent, proxy_authorization ? "Proxy-Authorization: " : "",
	                 proxy_authorization ? proxy_authorization : "", proxy_authorization ? "\r\n" : "");
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int rf__http1_connect_response(const char *buf, size_t len, int *status, const char **reason,
                               size_t *reason_len)
{
	/* "HTTP/1.x NNN reason\r\n": judged as soon as the status line is in */
	const char *eol = memchr(buf, '\n', len);
	size_t head = eol ? (size_t)(eol - buf) : len;
	if (memcmp(buf, "HTTP/1.", head < 7 ? head : 7) != 0)
		return -1;
	if (!eol)
		return 0;
	if (head < 12 || (buf[7] != '0' && buf[7] != '1') || buf[8] != ' ' ||
	    !isdigit((unsigned char)buf[9]) || !isdigit((unsigned char)buf[10]) ||
	    !isdigit((unsigned char)buf[11]) || (head > 12 && buf[12] != ' ' && buf[12] != '\r'))
		return -1;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	*reason = buf + (head > 12 && buf[12] == ' ' ? 13 : 12);
	*reason_len = (size_t)(eol - *reason);
	if (*reason_len && (*reason)[*reason_len - 1] == '\r')
		(*reason_len)--;
	/* then header lines up to an empty one (CRLF or bare LF) */
	for (const char *p = eol + 1; p < buf + len;) {
		const char *nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			return 0;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			return (int)(nl + 1 - buf);
		p = nl + 1;
	}
	return 0;
}

const struct rf__exchange_ops rf__http1_exchange = {
	.alpn = "http/1.1",
	.request = rf__http1_request,
	.begin = exchange_begin,
	.feed = exchange_feed,
	.body_done = exchange_body_done,
	.eof = exchange_eof,
};
