/*
 * http2.h - HTTP/2 framing (nghttp2) for one connection's session: requests
 * out as streams, responses in (into the protocol-neutral struct
 * rf__response of response.h), flow control tied to what the reader takes.
 *
 * It does no I/O and never calls up.  The caller feeds the plaintext it
 * received (rf__h2_recv), takes the bytes to send (rf__h2_out), and then
 * asks which streams have news (rf__h2_next_news): headers arrived, body
 * bytes landed, the stream ended or was reset, the session failed.
 *
 * A stream's body lands in memory the reader gives it (rf__h2_land): the
 * stream's receive window never exceeds that room, and the window opens
 * again only as the reader says it took bytes (rf__h2_consume), so a slow
 * reader slows its own stream, not the connection.
 */
#ifndef RF_HTTP2_H
#define RF_HTTP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http1.h"
#include "response.h"

struct rf__h2;

#define RF__H2_MAX_STREAMS 100 /* concurrent streams we open at most */
#define RF__H2_CONN_WINDOW                                                                                   \
	(1u << 30)                         /* the connection window: never the limit
                                            (stream windows bound memory) */
#define RF__H2_MAX_HEADER_LIST (64 * 1024) /* decoded header bytes per section */

/* One request's stream: lives in its transfer's exchange (exchange.h).
 * Everything before `fields` is cleared when an exchange begins. */
struct rf__h2_stream {
	struct rf__h2 *h2; /* the session, while bound */
	struct rf__h2_stream *bound_next, *bound_prev;
	int32_t id; /* 0 before it is opened */
	struct rf__response *out;
	bool head;
	/* what happened, in order: the reader looks after news */
	bool news; /* on the session's news list */
	struct rf__h2_stream *next_news;
	bool headers;        /* the final header section is complete */
	bool ended;          /* END_STREAM: no more body */
	bool closed;         /* nghttp2 closed the stream */
	uint32_t close_code; /* ... with this error code (0: NO_ERROR) */
	bool peer_reset;     /* the server sent RST_STREAM */
	bool refused;        /* the server did not process it (REFUSED_STREAM,
	                        or beyond a GOAWAY's last stream): safe to
	                        send again */
	int error;           /* RF_E* the stream failed with, 0 if none */
	unsigned interim;    /* 1xx sections skipped */
	int status;          /* of the section being received */
	bool lean;           /* rf__h2_stream_init_lean */
	size_t header_bytes;
	uint64_t data_in;                     /* body bytes received */
	unsigned frames_headers, frames_data; /* received (for -v) */
	uint64_t consumed;                    /* ... and taken by the reader */
	/* where body bytes land: the reader's memory */
	char *land;
	size_t land_cap, land_len;
	size_t window;    /* the stream's receive window (bytes) */
	const char *body; /* the request's body (in the request text), or NULL */
	size_t body_len, body_off;
	char detail[128];
	struct rf__http1_resp fields; /* the header capture (http1.c's rules) */
};

/* What the session was told to be. */
struct rf__h2_opts {
	size_t stream_window; /* initial stream window (a landing buffer's size) */
	bool h2c;             /* plain TCP (prior knowledge): scheme "http" */
};

/* st is to carry a response into out (head: to a HEAD request); its
 * fields are captured by http1.c's rules (trace and cookies as
 * rf__http1_trace_into / rf__http1_cookies_into on st->fields). */
void rf__h2_stream_init(struct rf__h2_stream *st, struct rf__response *out, bool head);
/* The same for a response that is checked and dropped (the load
 * generator): out gets the final status and the length, no field is kept;
 * the limits on the header section hold. */
void rf__h2_stream_init_lean(struct rf__h2_stream *st, struct rf__response *out, bool head);

/* A session (the client side) over one connection: 0, -ENOMEM. */
int rf__h2_new(struct rf__h2 **out, const struct rf__h2_opts *o);
void rf__h2_free(struct rf__h2 *h);

/* Open a stream for the HTTP/1.1-form request in req[0..len) (request
 * line, fields: the same text http1.c builds; Host becomes :authority,
 * connection-specific fields are left out; bytes after the blank line are
 * its body, sent as DATA: req must live until the stream closes), the
 * response's body landing in
 * land[0..cap).  0 or an RF_E* (no stream may be opened, or the request
 * does not fit). */
int rf__h2_open(struct rf__h2 *h, struct rf__h2_stream *st, struct rf__response *out, const char *req,
                size_t len, bool tls, char *land, size_t cap);
/* The stream's body lands in land[0..cap) from now on (the old landing is
 * the reader's again); the stream's window grows to cap when it is less. */
void rf__h2_land(struct rf__h2 *h, struct rf__h2_stream *st, char *land, size_t cap);
/* The reader took n body bytes: the stream's window opens by n. */
void rf__h2_consume(struct rf__h2 *h, struct rf__h2_stream *st, size_t n);
/* The reader is done with the stream (ended, failed, or no longer wanted):
 * one that is still open is reset (CANCEL).  The stream is unbound. */
void rf__h2_close(struct rf__h2 *h, struct rf__h2_stream *st);

/* Received plaintext: 0, or the RF_E* the whole session failed with
 * (rf__h2_detail says why); streams with news are listed either way. */
int rf__h2_recv(struct rf__h2 *h, const char *data, size_t len);
/* The next bytes to send (valid until the next call), or 0: nothing. */
size_t rf__h2_out(struct rf__h2 *h, const uint8_t **data);
bool rf__h2_has_news(const struct rf__h2 *h);
/* Frames to send gathered into b (b->len bytes from b->buf, grown as
 * needed) until about max bytes or none is left: 0 or -ENOMEM. */
struct rf__h2_outbuf {
	char *buf;
	size_t cap, len;
};
int rf__h2_gather(struct rf__h2 *h, struct rf__h2_outbuf *b, size_t max);
/* The next stream with news, taken off the list; NULL when none. */
struct rf__h2_stream *rf__h2_next_news(struct rf__h2 *h);

/* May another stream be opened now (peer's limit, ours, no GOAWAY)? */
bool rf__h2_can_open(const struct rf__h2 *h);
/* The session can carry no new stream ever again (GOAWAY, failure). */
bool rf__h2_closing(const struct rf__h2 *h);
/* Streams bound now. */
unsigned rf__h2_streams(const struct rf__h2 *h);
/* The connection is over for nghttp2: nothing to read or write. */
bool rf__h2_done(const struct rf__h2 *h);
/* The session failed (or the peer closed): every bound stream gets news
 * with err. */
void rf__h2_fail(struct rf__h2 *h, int err, const char *detail);
const char *rf__h2_detail(const struct rf__h2 *h);

#endif
