/*
 * response.h - a request and its response as every protocol shares them:
 * what to send (struct rf__request_spec), the response as policy reads it
 * (struct rf__response: status, framing, length, validators, the body span
 * of the last feed), and what a response can leave behind for the caller
 * (header text for -v, Set-Cookie values).  A protocol (http1.c today)
 * fills these in; the sink, outcome, split, splice and redirect code reads
 * only them, never a parser's own state.
 */
#ifndef RF_RESPONSE_H
#define RF_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RF__RESP_MAX_LOCATION 8192

/* One response, protocol-neutral.  Interim (1xx) responses never show
 * here: only the final one's fields. */
struct rf__response {
	int status; /* final status once headers_done, else 0 */
	size_t reason_len;
	bool headers_done;       /* the final header section is complete */
	bool complete;           /* the whole message arrived */
	bool keep_alive;         /* the connection is reusable once complete */
	bool has_length;         /* the body's length is known in advance ... */
	uint64_t content_length; /* ... and is this (0 for bodiless answers) */
	bool accept_ranges;      /* Accept-Ranges: bytes */
	size_t location_len;
	bool location_too_long;
	bool cd_too_long;      /* Content-Disposition longer than its buffer */
	size_t consumed_total; /* response bytes the protocol took so far */
	/* body bytes of the last feed: contiguous */
	char *body;
	size_t body_len;
	/* Text, last: rf__response_reset clears only the first byte of each
	 * (the lengths above say what is valid), not these 10 KiB. */
	char reason[64];
	char error_detail[128]; /* which rule the response broke, "" if none */
	char location[RF__RESP_MAX_LOCATION];
	/* other fields the engine acts on (truncated at 127 bytes) */
	char etag[128], last_modified[128], content_range[128], retry_after[128];
	char content_type[128];         /* recorded (archive members' metadata) */
	char content_encoding[64];      /* recorded; decoded only when asked */
	char content_disposition[1024]; /* the last Content-Disposition, "" when
	                                   none; not to be used when cd_too_long */
};

/* Before a response is read into r. */
static inline void rf__response_reset(struct rf__response *r)
{
	memset(r, 0, offsetof(struct rf__response, reason));
	r->reason[0] = r->error_detail[0] = r->location[0] = r->etag[0] = 0;
	r->last_modified[0] = r->content_range[0] = r->retry_after[0] = 0;
	r->content_encoding[0] = r->content_disposition[0] = r->content_type[0] = 0;
}

/* The status lines and header fields of a response (interim ones too) as
 * text, one "Name: value" per line, credentials as ***: for -v. */
struct rf__resp_trace {
	char *text;
	size_t len, cap;
	int last; /* what was appended last (the protocol's own) */
};

/* The Set-Cookie values of a response's final header section, each
 * NUL-terminated one after the other in text[0..len) (at most
 * RF__RESP_MAX_COOKIE_BYTES; more is dropped, a cut value too). */
#define RF__RESP_MAX_COOKIE_BYTES (64 * 1024)
struct rf__resp_cookies {
	char *text;
	size_t len, cap;
	size_t start; /* where the value being received began */
	bool cut;     /* it did not fit: dropped at its end */
};

/* What one request carries. */
struct rf__request_spec {
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

#endif
