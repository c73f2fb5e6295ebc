/*
 * http1.h - HTTP/1.1 requests out, llhttp-parsed responses in (into the
 * protocol-neutral struct rf__response of response.h).
 */
#ifndef RF_HTTP1_H
#define RF_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#include "response.h"

#define RF__HTTP1_MAX_HEADER_BYTES (64 * 1024) /* status line + fields */
#define RF__HTTP1_MAX_HEADERS 128
#define RF__HTTP1_MAX_INTERIM 16 /* 1xx responses before the final one */

/* The parser's state for one response (1xx interim responses skipped);
 * what it finds goes into the protocol-neutral response `out`. */
struct rf__http1_resp {
	llhttp_t parser;
	struct rf__response *out;
	int error; /* first error, RF_E*; out->error_detail says which rule */
	bool te_too_long;
	unsigned interim; /* 1xx responses skipped */
	bool no_body;     /* HEAD request */
	bool lean;        /* rf__http1_init_lean */
	/* header bookkeeping */
	size_t header_bytes;
	unsigned header_count;
	size_t field_len; /* of field[] below */
	int field_kind;
	bool in_value;
	struct rf__resp_trace *trace;     /* the header sections as received (for
	                                     -v), or NULL (rf__http1_trace_into) */
	struct rf__resp_cookies *cookies; /* Set-Cookie values of the final
	                                     header section, or NULL: not kept */
	char transfer_encoding[128];      /* all Transfer-Encoding values, joined */
	char field[24];                   /* current field name, lower-case, truncated */
};

/* Start parsing a response to a request into out (head: it was a HEAD
 * request); out is reset. */
void rf__http1_init(struct rf__http1_resp *r, struct rf__response *out, bool head);
/* Keep the Set-Cookie values of r's header sections in k (emptied now;
 * those of interim 1xx sections are dropped with them). */
void rf__http1_cookies_into(struct rf__http1_resp *r, struct rf__resp_cookies *k);
/* Keep r's header sections as text in t (emptied now), for -v. */
void rf__http1_trace_into(struct rf__http1_resp *r, struct rf__resp_trace *t);
/* The same for a response that is checked and dropped (the load
 * generator): status, framing (Content-Length, chunked, a Transfer-Encoding
 * not ending in chunked is RF_ECODING), keep-alive and the header-section
 * limit are as above; no field is kept and out->body is not gathered. */
void rf__http1_init_lean(struct rf__http1_resp *r, struct rf__response *out, bool head);

/* Feed received bytes (the buffer is modified: body bytes of chunked
 * responses are moved together so the body of this feed is one span,
 * out->body / out->body_len).  Stops after the final message is complete.
 * Returns 0 or an RF_E* error; *consumed gets the bytes used. */
int rf__http1_feed(struct rf__http1_resp *r, char *data, size_t len, size_t *consumed);

/* The rest of a Content-Length body went around the parser (spliced
 * straight to a file): the message is complete. */
void rf__http1_body_done(struct rf__http1_resp *r);

/* A header section that came another way (HTTP/2's decoded fields) goes
 * through the same capture, limits, cookies and -v trace: begin with its
 * status (shown as HTTP/major), each field whole, then the end: 1 for an
 * interim (1xx) section, whose fields are dropped, 0 for the final one
 * (out->status and headers_done set), or an RF_E*. */
void rf__http1_section_begin(struct rf__http1_resp *r, int status, int major);
int rf__http1_section_field(struct rf__http1_resp *r, const char *name, size_t nlen, const char *value,
                            size_t vlen);
int rf__http1_section_end(struct rf__http1_resp *r);

/* The peer closed the connection.  Returns 0 when that ends the message
 * (close-delimited body), else RF_ETRUNCATED / RF_ENOANSWER. */
int rf__http1_eof(struct rf__http1_resp *r);

/* Build "METHOD target HTTP/1.1" with Host, User-Agent, Accept,
 * Accept-Encoding: identity, Authorization (when given and credentials
 * allowed) and the extra headers (an extra header with the name of a default
 * one replaces it; "Name:" with no value removes it).  Returns the length,
 * or -1 when cap is too small. */
int rf__http1_request(char *buf, size_t cap, const struct rf__request_spec *rq);

/* Build "CONNECT hostport HTTP/1.1" for a proxy tunnel, with Host,
 * User-Agent and Proxy-Authorization (when not NULL).  Length, or -1 when
 * cap is too small. */
int rf__http1_connect_request(char *buf, size_t cap, const char *hostport, const char *user_agent,
                              const char *proxy_authorization);
/* The proxy's answer to CONNECT in buf[0..len): 0 while its header section
 * is incomplete; else the section's length, with the status and the reason
 * phrase (not terminated, *reason_len bytes); -1 when it is not HTTP. */
int rf__http1_connect_response(const char *buf, size_t len, int *status, const char **reason,
                               size_t *reason_len);

#endif
