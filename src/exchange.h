/*
 * exchange.h - the seam between a transfer (slot.c) and the protocol that
 * carries its request and response.
 *
 * A protocol fills in a table (struct rf__exchange_ops); the slot drives
 * an exchange only through it: build the request, begin a response, feed
 * received bytes, say the body went around the parser (spliced), say the
 * peer closed.  What the protocol learns lands in the protocol-neutral
 * struct rf__response (response.h), which is all the policy files read.
 * The protocol is picked once per connection, from what ALPN agreed
 * (rf__exchange_for_alpn), or told (HTTP/2 with prior knowledge).
 * HTTP/1.1 (http1.c) reads the connection itself; an HTTP/2 exchange is a
 * stream (http2.c) of a session that owns the connection (session.c): the
 * session lands the stream's body in the slot's buffer and the slot feeds
 * that to the exchange, so the slot's body path is the same for both.
 */
#ifndef RF_EXCHANGE_H
#define RF_EXCHANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "http2.h"
#include "response.h"

struct rf__exchange;

struct rf__exchange_ops {
	const char *alpn; /* its ALPN protocol id */
	/* The request's bytes into buf: the length, or -1 when cap is too
	 * small. */
	int (*request)(char *buf, size_t cap, const struct rf__request_spec *rq);
	/* A response to the request is read into out from now on (head: it
	 * has no body); its header text goes to x->trace and its Set-Cookie
	 * values to x->cookies where these are not NULL. */
	void (*begin)(struct rf__exchange *x, struct rf__response *out, bool head);
	/* Received bytes (the buffer may be modified: the body of this feed is
	 * one span, out->body).  0 or an RF_E* error; *consumed: bytes used. */
	int (*feed)(struct rf__exchange *x, char *data, size_t len, size_t *consumed);
	/* The rest of a body of known length went around feed (spliced). */
	void (*body_done)(struct rf__exchange *x);
	/* The peer closed: 0 when that ends the response, else an RF_E*. */
	int (*eof)(struct rf__exchange *x);
};

/* One exchange: the protocol and its own state for this response, and
 * what the caller wants kept of it (allocated by the caller, kept across
 * exchanges, freed by rf__exchange_free). */
struct rf__exchange {
	const struct rf__exchange_ops *ops; /* NULL until a request is sent */
	struct rf__resp_trace *trace;       /* -v: the header text, or NULL */
	struct rf__resp_cookies *cookies;   /* Set-Cookie values, or NULL */
	union {
		struct rf__http1_resp h1;
		struct rf__h2_stream h2;
	} proto;
};

extern const struct rf__exchange_ops rf__http1_exchange;
extern const struct rf__exchange_ops rf__http2_exchange;

/* The protocol for what ALPN agreed (id[0..len); len 0: nothing agreed, as
 * on plain connections: HTTP/1.1), or NULL when it is none we speak. */
static inline const struct rf__exchange_ops *rf__exchange_for_alpn(const unsigned char *id, size_t len)
{
	if (len == 0 ||
	    (len == strlen(rf__http1_exchange.alpn) && memcmp(id, rf__http1_exchange.alpn, len) == 0))
		return &rf__http1_exchange;
	if (len == strlen(rf__http2_exchange.alpn) && memcmp(id, rf__http2_exchange.alpn, len) == 0)
		return &rf__http2_exchange;
	return NULL;
}

/* The ALPN lists a client offers, in wire format (length-prefixed ids):
 * both (the server picks), HTTP/1.1 only, HTTP/2 only. */
#define RF__EXCHANGE_ALPN_BOTH "\x02h2\x08http/1.1"
#define RF__EXCHANGE_ALPN_HTTP1 "\x08http/1.1"
#define RF__EXCHANGE_ALPN_HTTP2 "\x02h2"

static inline int rf__exchange_request(const struct rf__exchange_ops *ops, char *buf, size_t cap,
                                       const struct rf__request_spec *rq)
{
	return ops->request(buf, cap, rq);
}

static inline void rf__exchange_begin(struct rf__exchange *x, const struct rf__exchange_ops *ops,
                                      struct rf__response *out, bool head)
{
	x->ops = ops;
	ops->begin(x, out, head);
}

static inline int rf__exchange_feed(struct rf__exchange *x, char *data, size_t len, size_t *consumed)
{
	return x->ops->feed(x, data, len, consumed);
}

static inline void rf__exchange_body_done(struct rf__exchange *x)
{
	x->ops->body_done(x);
}

static inline int rf__exchange_eof(struct rf__exchange *x)
{
	return x->ops->eof(x);
}

/* Between transfers: no protocol, the kept buffers stay. */
static inline void rf__exchange_reset(struct rf__exchange *x)
{
	x->ops = NULL;
}

/* Free what x kept (cookie values wiped first: they are credentials). */
static inline void rf__exchange_free(struct rf__exchange *x)
{
	if (x->trace)
		free(x->trace->text);
	free(x->trace);
	if (x->cookies) {
		if (x->cookies->text)
			explicit_bzero(x->cookies->text, x->cookies->cap);
		free(x->cookies->text);
		free(x->cookies);
	}
	x->trace = NULL;
	x->cookies = NULL;
}

#endif
