/*
 * http1.h - HTTP/1.1 requests out, llhttp-parsed responses in.
 */
#ifndef RF_HTTP1_H
#define RF_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <llhttp.h>

#define RF__HTTP1_MAX_HEADER_BYTES (64 * 1024) /* status line + fields */
#define RF__HTTP1_MAX_HEADERS 128
#define RF__HTTP1_MAX_LOCATION 8192
#define RF__HTTP1_MAX_INTERIM 16 /* 1xx responses before the final one */

/* Response parser state for one response (1xx interim responses skipped). */
struct rf__http1_resp {
	llhttp_t parser;
	int error;  /* first error, RF_E* */
	int status; /* final status once headers_done */
	size_t reason_len;
	size_t location_len;
	bool location_too_long;
	bool accept_ranges; /* Accept-Ranges: bytes */
	bool te_too_long;
	unsigned interim; /* 1xx responses skipped */
	bool has_length;  /* Content-Length given */
	uint64_t content_length;
	bool headers_done;     /* final (non-1xx) header section complete */
	bool complete;         /* whole message parsed */
	bool keep_alive;       /* connection reusable after complete */
	bool no_body;          /* HEAD request */
	bool lean;             /* rf__http1_init_lean */
	size_t consumed_total; /* response bytes consumed so far */
	/* header bookkeeping */
	size_t header_bytes;
	unsigned header_count;
	size_t field_len; /* of field[] below */
	int field_kind;
	bool in_value;
	bool cd_too_long;                  /* Content-Disposition longer than its buffer */
	struct rf__http1_trace *trace;     /* the header sections as received (for
	                                      -v), or NULL (rf__http1_trace_into) */
	struct rf__http1_cookies *cookies; /* Set-Cookie values of the final
	                                      header section, or NULL: not kept */
	/* body bytes of the last feed: contiguous, compacted in place */
	char *body;
	size_t body_len;
	/* Text, last: rf__http1_init clears only the first byte of each (the
	 * lengths above say what is valid), not these 9 KiB per response. */
	char reason[64];
	char error_detail[128]; /* which rule the response broke (llhttp's
	                           reason, or ours), "" if none */
	char location[RF__HTTP1_MAX_LOCATION];
	/* other fields the engine acts on (truncated at 127 bytes) */
	char etag[128], last_modified[128], content_range[128], retry_after[128];
	char content_encoding[64];      /* recorded, not decoded: saved as sent */
	char transfer_encoding[128];    /* all Transfer-Encoding values, joined */
	char content_disposition[1024]; /* the last Content-Disposition, "" when
	                                   none; not to be used when cd_too_long */
	char field[24];                 /* current field name, lower-case, truncated */
};

/* The status lines and header fields of a response (interim ones too) as
 * text, one "Name: value" per line; filled only where resp.trace is set. */
struct rf__http1_trace {
	char *text;
	size_t len, cap;
	int last; /* what was appended last (http1.c) */
};

/* The Set-Cookie values of a response, each NUL-terminated one after the
 * other in text[0..len) (at most RF__HTTP1_MAX_COOKIE_BYTES; more is
 * dropped, a cut value too). */
#define RF__HTTP1_MAX_COOKIE_BYTES (64 * 1024)
struct rf__http1_cookies {
	char *text;
	size_t len, cap;
	size_t start; /* where the value being received began */
	bool cut;     /* it did not fit: dropped at its end */
};

/* Start parsing a response to a request (head: it was a HEAD request). */
void rf__http1_init(struct rf__http1_resp *r, bool head);
/* Keep the Set-Cookie values of r's header sections in k (emptied now;
 * those of interim 1xx sections are dropped with them). */
void rf__http1_cookies_into(struct rf__http1_resp *r, struct rf__http1_cookies *k);
/* Keep r's header sections as text in t (emptied now), for -v. */
void rf__http1_trace_into(struct rf__http1_resp *r, struct rf__http1_trace *t);
/* The same for a response that is checked and dropped (the load
 * generator): status, framing (Content-Length, chunked, a Transfer-Encoding
 * not ending in chunked is RF_ECODING), keep-alive and the header-section
 * limit are as above; no field is kept and r->body is not gathered. */
void rf__http1_init_lean(struct rf__http1_resp *r, bool head);

/* Feed received bytes (the buffer is modified: body bytes of chunked
 * responses are moved together so the body of this feed is one span,
 * r->body / r->body_len).  Stops after the final message is complete.
 * Returns 0 or an RF_E* error; *consumed gets the bytes used. */
int rf__http1_feed(struct rf__http1_resp *r, char *data, size_t len, size_t *consumed);

/* The rest of a Content-Length body went around the parser (spliced
 * straight to a file): the message is complete. */
void rf__http1_body_done(struct rf__http1_resp *r);

/* The peer closed the connection.  Returns 0 when that ends the message
 * (close-delimited body), else RF_ETRUNCATED / RF_ENOANSWER. */
int rf__http1_eof(struct rf__http1_resp *r);

/* What one request carries. */
struct rf__http1_request_spec {
	const char *method, *target, *hostport, *user_agent;
	const char *const *extra; /* "Name: value" lines from the user */
	size_t n_extra;
	const char *authorization;       /* default Authorization value, or NULL */
	bool credentials;                /* false: leave out Authorization, Cookie and
	                                    Proxy-Authorization, whatever their source */
	const char *raw_extra;           /* ready CRLF-terminated lines (Range), or NULL */
	const char *accept_encoding;     /* Accept-Encoding value; NULL: "identity" */
	const char *cookie;              /* the cookie store's Cookie value for this
	                                    URL, or NULL; joined to an extra Cookie
	                                    line (when credentials are allowed) */
	const char *proxy_authorization; /* for the proxy an absolute-form
	                                    request goes through (it replaces any -H
	                                    Proxy-Authorization), or NULL */
};

/* Build "METHOD target HTTP/1.1" with Host, User-Agent, Accept,
 * Accept-Encoding: identity, Authorization (when given and credentials
 * allowed) and the extra headers (an extra header with the name of a default
 * one replaces it; "Name:" with no value removes it).  Returns the length,
 * or -1 when cap is too small. */
int rf__http1_request(char *buf, size_t cap, const struct rf__http1_request_spec *rq);

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

/* Is this header name one that carries credentials (Authorization, Cookie,
 * Proxy-Authorization)?  Such headers go only where they were given for. */
bool rf__http1_credential_header(const char *line);

/* Parse "bytes START-END/TOTAL" or "bytes * /TOTAL" (TOTAL may be "*":
 * total = -1).  START and END are -1 for the second form.  0 or -1. */
int rf__http1_content_range(const char *v, int64_t *start, int64_t *end, int64_t *total);

/* Retry-After: delta seconds or an HTTP-date; returns seconds from now
 * (0 if in the past), or -1 when absent or unparsable. */
/* An HTTP-date in any of its three forms to unix seconds: 0, or -1. */
int rf__http1_date(const char *v, int64_t *out);
double rf__http1_retry_after(const char *v, int64_t now_unix);

/* Check a custom header line "Name: value": 0 or RF_EHEADER. */
int rf__http1_header_check(const char *line);

#endif
