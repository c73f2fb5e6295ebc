/*
 * test_http1.c - the llhttp wrapper fed every response at every split point.
 *
 * Each response is fed in two pieces split at every offset, and one byte at a
 * time; every piece sits right before a PROT_NONE page, so reading past it
 * faults.  The body collected from the spans, the status, completion and
 * keep-alive must be the same whatever the split.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "http1.h"
#include "ringfetch.h"
#include "tap.h"
#include "exchange.h"
#include "fields.h"

/* the protocol-neutral response every parse below fills (response.h) */
static struct rf__response resp_store;

struct expect {
	const char *name;
	const char *raw;
	size_t raw_len; /* 0: strlen */
	bool eof;       /* connection closes after raw */
	int err;        /* expected error (from feed or eof) */
	int status;
	const char *body;
	bool keep_alive;
	size_t trailing; /* bytes after the message that must not be consumed */
};

static const struct expect cases[] = {
	{"content-length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, false, 0, 200,
	 "hello", true, 0},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	            "3\r\nabc\r\n1;ext=1\r\nd\r\n0\r\nTrailer: x\r\n\r\n",
	 0, false, 0, 200, "abcd", true, 0},
	{"close-delimited", "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil eof", 0, true, 0,
	 200, "until eof", false, 0},
	{"http/1.0 no length", "HTTP/1.0 200 OK\r\n\r\nold", 0, true, 0, 200, "old", false, 0},
	{"interim 100 and 103", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n"
	                        "Link: <a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	 0, false, 0, 200, "ok", true, 0},
	{"204 ignores length", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n", 0, false,
	 0, 204, "", true, 0},
	{"304", "HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n", 0, false, 0, 304, "", true, 0},
	{"404 with body", "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnah", 0, false, 0,
	 404, "nah", true, 0},
	{"trailing bytes", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nXHTTP/1.1", 0, false, 0,
	 200, "X", true, 8},
	{"connection close", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\nX",
	 0, false, 0, 200, "X", false, 0},
	{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", 0, true,
	 RF_ETRUNCATED, 200, "short", false, 0},
	{"truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", 0,
	 true, RF_ETRUNCATED, 200, "ab", false, 0},
	{"truncated headers", "HTTP/1.1 200 OK\r\nContent-Len", 0, true, RF_EPROTO, 0, "", false,
	 0},
	{"nothing at all", "", 0, true, RF_ENOANSWER, 0, "", false, 0},
	{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 0,
	 false, RF_EPROTO, 200, "", false, 0},
	{"not http", "SSH-2.0-OpenSSH\r\n\r\n", 0, false, RF_EPROTO, 0, "", false, 0},
	{"redirect location", "HTTP/1.1 302 Found\r\nLocation: /next?a=b\r\nContent-Length: 0\r\n\r\n",
	 0, false, 0, 302, "", true, 0},
	{"gzip transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
	 0, false, RF_ECODING, 200, "", false, 0},
	{"unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: foo\r\n\r\nraw", 0, true,
	 RF_ECODING, 200, "", false, 0},
	{"transfer codings over two fields",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	 0, false, RF_ECODING, 200, "", false, 0},
	{"chunked in capitals", "HTTP/1.1 200 OK\r\nTransfer-Encoding:  CHUNKED \r\n\r\n1\r\nz\r\n0\r\n\r\n",
	 0, false, 0, 200, "z", true, 0},
	{"content coding kept", "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n\x1f\x8b",
	 0, false, 0, 200, "\x1f\x8b", true, 0},
	{"eof inside an empty header value (found by fuzz_http1)",
	 "HTTP/1.1 302 Found\r\nLocation: /x\r\nContent-Encoding: br: br\r\nContent-Length:\r\n", 0,
	 true, RF_EPROTO, 0, "", false, 0},
};

struct outcome {
	int err, status;
	bool complete, keep_alive;
	char body[256];
	size_t body_len, unconsumed;
	char location[64];
};

static char *guarded(size_t len, char **base_out, size_t *map_len)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (len + (size_t)page - 1) / (size_t)page + 1;
	char *base = mmap(NULL, pages * (size_t)page, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		abort();
	mprotect(base + (pages - 1) * (size_t)page, (size_t)page, PROT_NONE);
	*base_out = base;
	*map_len = pages * (size_t)page;
	return base + (pages - 1) * (size_t)page - len;
}

static void feed_piece(struct rf__http1_resp *r, struct outcome *o, const char *data, size_t len)
{
	if (o->err || r->out->complete) {
		o->unconsumed += len;
		return;
	}
	char *base;
	size_t map_len;
	char *p = guarded(len, &base, &map_len);
	memcpy(p, data, len);
	size_t consumed = 0;
	int e = rf__http1_feed(r, p, len, &consumed);
	if (e)
		o->err = e;
	if (r->out->body_len && o->body_len + r->out->body_len < sizeof(o->body)) {
		memcpy(o->body + o->body_len, r->out->body, r->out->body_len);
		o->body_len += r->out->body_len;
	}
	if (!e)
		o->unconsumed += len - consumed;
	munmap(base, map_len);
}

static void finish(struct rf__http1_resp *r, struct outcome *o, bool eof)
{
	if (!o->err && eof)
		o->err = rf__http1_eof(r);
	o->status = r->out->status;
	o->complete = r->out->complete;
	o->keep_alive = r->out->keep_alive;
	snprintf(o->location, sizeof(o->location), "%.63s", r->out->location);
}

static bool same(const struct expect *x, const struct outcome *o)
{
	if (o->err != x->err || o->status != x->status)
		return false;
	if (o->body_len != strlen(x->body) || memcmp(o->body, x->body, o->body_len))
		return false;
	if (!x->err && (!o->complete || o->keep_alive != x->keep_alive || o->unconsumed != x->trailing))
		return false;
	return true;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct expect *x = &cases[i];
		size_t n = x->raw_len ? x->raw_len : strlen(x->raw);
		bool all_ok = true;
		size_t bad_split = 0;
		struct outcome o;
		for (size_t split = 0; split <= n; split++) {
			struct rf__http1_resp r;
			rf__http1_init(&r, &resp_store, false);
			memset(&o, 0, sizeof(o));
			if (split > 0)
				feed_piece(&r, &o, x->raw, split);
			if (n - split > 0)
				feed_piece(&r, &o, x->raw + split, n - split);
			finish(&r, &o, x->eof);
			if (!same(x, &o)) {
				all_ok = false;
				bad_split = split;
				break;
			}
		}
		CHECK(all_ok, "%s: every split point (first bad: %zu, err %d status %d body '%.*s')",
		      x->name, bad_split, o.err, o.status, (int)o.body_len, o.body);

		struct rf__http1_resp r;
		rf__http1_init(&r, &resp_store, false);
		memset(&o, 0, sizeof(o));
		for (size_t k = 0; k < n; k++)
			feed_piece(&r, &o, x->raw + k, 1);
		finish(&r, &o, x->eof);
		CHECK(same(x, &o), "%s: one byte at a time", x->name);
		if (strcmp(x->name, "redirect location") == 0)
			CHECK(strcmp(o.location, "/next?a=b") == 0, "Location captured byte by byte");
	}

	/* HTTP-dates (RFC 9110 5.6.7): the three forms, the same instant */
	static const struct {
		const char *text;
		int64_t want; /* -1: refused */
	} dates[] = {
		{"Sun, 06 Nov 1994 08:49:37 GMT", 784111777},
		{"Sunday, 06-Nov-94 08:49:37 GMT", 784111777},
		{"Sun Nov  6 08:49:37 1994", 784111777},
		{"Thu, 31 Dec 2037 23:59:59 GMT", 2145916799},
		{"Wed Dec 12 01:02:03 2012", 1355274123},
		{"Sun, 06 Nov 1994 08:49:37 UTC", -1},
		{"Sun, 6 Nov 1994 08:49:37 GMT", -1},
		{"Sun, 06 Foo 1994 08:49:37 GMT", -1},
		{"Sun, 06 Nov 1994 25:49:37 GMT", -1},
		{"Sunday, 06-Nov-94 08:49 GMT", -1},
		{"Sun Nov 6 08:49:37 1994", -1},
		{"", -1},
		{"1994-11-06T08:49:37Z", -1},
	};
	for (size_t i = 0; i < sizeof(dates) / sizeof(dates[0]); i++) {
		int64_t t = 0;
		int e = rf__field_date(dates[i].text, &t);
		CHECK(dates[i].want < 0 ? e != 0 : e == 0 && t == dates[i].want, "HTTP-date '%s' -> %lld",
		      dates[i].text, (long long)t);
	}

	/* HEAD: a Content-Length but no body follows */
	struct rf__http1_resp r;
	rf__http1_init(&r, &resp_store, true);
	char head[] = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n";
	size_t consumed;
	int e = rf__http1_feed(&r, head, strlen(head), &consumed);
	CHECK(e == 0 && r.out->complete && r.out->content_length == 0, "HEAD response has no body");

	/* the lean parse (load generator): status, framing, keep-alive, limits */
	static const struct {
		const char *raw;
		int err, status;
		bool complete, keep_alive;
	} lean[] = {
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", 0, 200, true, true},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", 0,
		 200, true, true},
		{"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0,
		 404, true, true},
		{"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", 0, 200, true,
		 false},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx", RF_ECODING, 0, false, false},
		{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 0, 200, false, false},
		{"HTTP/1.1 2x0 OK\r\n\r\n", RF_EPROTO, 0, false, false},
	};
	for (size_t i = 0; i < sizeof(lean) / sizeof(lean[0]); i++) {
		size_t n = strlen(lean[i].raw);
		bool ok = true;
		const size_t steps[] = {1, 2, 3, 7, n};
		for (size_t si = 0; si < sizeof(steps) / sizeof(steps[0]); si++) {
			size_t step = steps[si];
			struct rf__http1_resp lr;
			rf__http1_init_lean(&lr, &resp_store, false);
			char buf[256];
			memcpy(buf, lean[i].raw, n);
			int err = 0;
			for (size_t off = 0; off < n && !err && !lr.out->complete; off += step) {
				size_t used, k = n - off < step ? n - off : step;
				err = rf__http1_feed(&lr, buf + off, k, &used);
			}
			ok &= err == lean[i].err && lr.out->complete == lean[i].complete &&
			      (err || lr.out->status == lean[i].status) &&
			      (!lr.out->complete || lr.out->keep_alive == lean[i].keep_alive) && lr.out->body == NULL;
		}
		CHECK(ok, "lean parse, every piece size: %.40s", lean[i].raw);
	}
	{
		struct rf__http1_resp lr;
		rf__http1_init_lean(&lr, &resp_store, false);
		static char big[70000];
		size_t k = (size_t)snprintf(big, sizeof(big), "HTTP/1.1 200 OK\r\n");
		while (k < sizeof(big) - 100)
			k += (size_t)snprintf(big + k, sizeof(big) - k, "X-Filler: %050d\r\n", 7);
		size_t used;
		int err = 0;
		for (size_t off = 0; off < k && !err; off += 4096)
			err = rf__http1_feed(&lr, big + off, k - off < 4096 ? k - off : 4096, &used);
		CHECK(err == RF_EHEADERS_TOO_BIG, "lean parse: a header section over 64 KiB (%d)", err);
	}

	/* why a response was refused */
	static const struct {
		const char *raw, *why;
	} reasons[] = {
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		 "Invalid character in chunk size"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		 "Duplicate Content-Length"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
		 "Transfer-Encoding: gzip, chunked"},
		{"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		 "101 Switching Protocols without an upgrade request"},
		{"HTTP/1.1 200 OK\r\nContent-Le", "connection closed inside the header section"},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		char copy[256];
		snprintf(copy, sizeof(copy), "%s", reasons[i].raw);
		rf__http1_init(&r, &resp_store, false);
		e = rf__http1_feed(&r, copy, strlen(copy), &consumed);
		if (!e && !r.out->complete)
			e = rf__http1_eof(&r);
		CHECK(e && strcmp(r.out->error_detail, reasons[i].why) == 0, "refused, saying '%s' (got '%s')",
		      reasons[i].why, r.out->error_detail);
	}
	char ce[] = "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\ncontent-encoding: br\r\n\r\n";
	rf__http1_init(&r, &resp_store, true);
	e = rf__http1_feed(&r, ce, strlen(ce), &consumed);
	CHECK(e == 0 && strcmp(r.out->content_encoding, "gzip, br") == 0, "Content-Encoding recorded: %s",
	      r.out->content_encoding);
	char interim[17 * 25 + 1] = "";
	for (int k = 0; k < 17; k++)
		strcat(interim, "HTTP/1.1 100 Continue\r\n\r\n");
	rf__http1_init(&r, &resp_store, false);
	e = rf__http1_feed(&r, interim, strlen(interim), &consumed);
	CHECK(e == RF_EPROTO && strstr(r.out->error_detail, "interim"), "17 interim responses refused");

	/* limits */
	size_t big = RF__HTTP1_MAX_HEADER_BYTES + 100;
	char *giant = malloc(big + 100);
	int w = sprintf(giant, "HTTP/1.1 200 OK\r\nX: ");
	memset(giant + w, 'a', big);
	memcpy(giant + w + big, "\r\n\r\n", 5);
	rf__http1_init(&r, &resp_store, false);
	e = rf__http1_feed(&r, giant, strlen(giant), &consumed);
	CHECK(e == RF_EHEADERS_TOO_BIG, "header section over the limit refused (%d)", e);
	free(giant);

	char *many = malloc(64 * 1024);
	w = sprintf(many, "HTTP/1.1 200 OK\r\n");
	for (int k = 0; k <= RF__HTTP1_MAX_HEADERS; k++)
		w += sprintf(many + w, "X-%d: v\r\n", k);
	w += sprintf(many + w, "\r\n");
	rf__http1_init(&r, &resp_store, false);
	e = rf__http1_feed(&r, many, (size_t)w, &consumed);
	CHECK(e == RF_ETOO_MANY_HEADERS, "too many header fields refused (%d)", e);
	free(many);

	/* request building */
	char buf[512];
	const char *extra[] = {"X-A: 1", "Accept:", "User-Agent: mine"};
	struct rf__request_spec rq = {.method = "GET", .target = "/p?q", .hostport = "h:8080",
	                                    .user_agent = "ringfetch/x", .extra = extra, .n_extra = 3,
	                                    .credentials = true};
	int len = rf__http1_request(buf, sizeof(buf), &rq);
	CHECK(len > 0 && strcmp(buf, "GET /p?q HTTP/1.1\r\nHost: h:8080\r\n"
	                             "Accept-Encoding: identity\r\nX-A: 1\r\nUser-Agent: mine\r\n\r\n") == 0,
	      "request with replaced and removed defaults:\n%s", buf);
	CHECK(rf__http1_request(buf, 20, &rq) == -1, "small buffer refused");
	/* credentials: a default Authorization, replaced by -H, and all of them
	 * left out where they may not go */
	const char *creds[] = {"Cookie: c=1", "X-B: 2", "proxy-authorization: Basic eA=="};
	struct rf__request_spec cr = {.method = "GET", .target = "/", .hostport = "h",
	                                    .user_agent = "ua", .extra = creds, .n_extra = 3,
	                                    .authorization = "Basic YTpi", .credentials = true};
	len = rf__http1_request(buf, sizeof(buf), &cr);
	CHECK(len > 0 && strstr(buf, "\r\nAuthorization: Basic YTpi\r\n") && strstr(buf, "Cookie: c=1") &&
	          strstr(buf, "proxy-authorization: Basic eA=="),
	      "credentials sent where allowed:\n%s", buf);
	cr.credentials = false;
	len = rf__http1_request(buf, sizeof(buf), &cr);
	CHECK(len > 0 && !strstr(buf, "uthorization") && !strstr(buf, "Cookie") && strstr(buf, "X-B: 2"),
	      "credentials left out where not allowed:\n%s", buf);
	const char *own[] = {"authorization: Bearer t"};
	cr.credentials = true;
	cr.extra = own;
	cr.n_extra = 1;
	len = rf__http1_request(buf, sizeof(buf), &cr);
	CHECK(len > 0 && !strstr(buf, "Basic") && strstr(buf, "authorization: Bearer t"),
	      "-H Authorization replaces the Basic one:\n%s", buf);
	CHECK(rf__field_check("X-Ok: fine") == 0, "good header accepted");
	CHECK(rf__field_check("Bad Name: x") == RF_EHEADER, "space in name refused");
	CHECK(rf__field_check("X: a\r\nInjected: 1") == RF_EHEADER, "CRLF injection refused");
	CHECK(rf__field_check("NoColon") == RF_EHEADER, "missing colon refused");

	/* the exchange seam: ALPN picks the protocol; through the table a
	 * response reads the same, with its Set-Cookie values and -v text */
	CHECK(rf__exchange_for_alpn(NULL, 0) == &rf__http1_exchange, "no ALPN (plain): HTTP/1.1");
	CHECK(rf__exchange_for_alpn((const unsigned char *)"http/1.1", 8) == &rf__http1_exchange,
	      "ALPN http/1.1: HTTP/1.1");
	CHECK(rf__exchange_for_alpn((const unsigned char *)"h2", 2) == &rf__http2_exchange,
	      "ALPN h2: HTTP/2");
	CHECK(rf__exchange_for_alpn((const unsigned char *)"http/1.", 7) == NULL &&
	              rf__exchange_for_alpn((const unsigned char *)"h2c", 3) == NULL &&
	              rf__exchange_for_alpn((const unsigned char *)"h", 1) == NULL,
	      "ALPN h2c or a prefix of http/1.1 or h2: none spoken");
	struct rf__exchange x = {0};
	struct rf__response out;
	struct rf__resp_trace tr = {0};
	struct rf__resp_cookies ck = {0};
	char tx[] = "HTTP/1.1 103 Early Hints\r\nSet-Cookie: early=1\r\n\r\n"
		    "HTTP/1.1 206 Partial Content\r\nSet-Cookie: a=1\r\nETag: \"v1\"\r\n"
		    "Content-Range: bytes 0-3/10\r\nContent-Length: 4\r\n\r\nbody";
	x.trace = &tr;
	x.cookies = &ck;
	rf__exchange_begin(&x, &rf__http1_exchange, &out, false);
	e = rf__exchange_feed(&x, tx, strlen(tx), &consumed);
	CHECK(e == 0 && out.complete && out.status == 206 && out.body_len == 4 &&
	              memcmp(out.body, "body", 4) == 0 && strcmp(out.etag, "\"v1\"") == 0 &&
	              strcmp(out.content_range, "bytes 0-3/10") == 0,
	      "a response through the exchange table lands in the neutral response");
	CHECK(ck.len == 4 && strcmp(ck.text, "a=1") == 0, "only the final section's cookies kept");
	CHECK(tr.text && strstr(tr.text, "103 Early Hints") && strstr(tr.text, "Set-Cookie: ***") &&
	              !strstr(tr.text, "a=1"),
	      "-v text has both sections, cookie values hidden");
	free(tr.text);
	free(ck.text);
	x.trace = NULL;
	x.cookies = NULL;
	char cut[] = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\npart";
	rf__exchange_begin(&x, &rf__http1_exchange, &out, false);
	e = rf__exchange_feed(&x, cut, strlen(cut), &consumed);
	CHECK(e == 0 && !out.complete && rf__exchange_eof(&x) == RF_ETRUNCATED,
	      "a close before Content-Length's end is a truncation");
	rf__exchange_begin(&x, &rf__http1_exchange, &out, false);
	char hdr[] = "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n";
	e = rf__exchange_feed(&x, hdr, strlen(hdr), &consumed);
	rf__exchange_body_done(&x);
	CHECK(e == 0 && out.complete && out.keep_alive, "a body that went around the parser completes it");
	return tap_done();
}
