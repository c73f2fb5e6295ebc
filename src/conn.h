/*
 * conn.h - the connection stack under a slot: a TCP socket, TLS over it
 * when the origin is https, and an HTTP CONNECT tunnel between the two when
 * the socket goes to a proxy.  The stack owns the socket's ops, the ciphertext buffers and the TLS
 * object; the slot above sees plaintext in, plaintext out, end and error.
 *
 * Like tls.c and http1.c it never calls up.  It submits the socket ops it
 * is asked for under the caller's tag (the slot counts them) and says, as a
 * struct rf__conn_op, which op should go next:
 *
 *   RF__OP_SEND      plaintext straight from the caller's memory (plain TCP)
 *   RF__OP_RECV      plaintext straight into the caller's buffer (plain TCP):
 *                   the completion's result is the plaintext byte count
 *   RF__OP_TLS_SEND  the stack's own bytes out (TLS records, the CONNECT
 *                   request): rf__conn_sent() after it
 *   RF__OP_TLS_RECV  the stack's own bytes in (TLS records, the proxy's
 *                   answer): rf__conn_received() after it, then ask again
 *                   (handshake or read)
 *   RF__OP_RECV_MULTI  (the caller's choice, plain TCP) a multishot receive
 *                   into the loop's pool
 *
 * It is the one connection driver of fetch (slot.c) and the load generator
 * (bench.c): both advance it by the same steps (rf__conn_handshake_step,
 * rf__conn_read_step, rf__conn_completed for every socket op) and retry a
 * request on a stale kept-alive connection by the same rule
 * (rf__conn_stale_close).
 *
 * A connection outlives the slot that opened it: it goes to its origin's
 * idle list (pool.c) with its TLS session and is taken by the next request.
 */
#ifndef RF_CONN_H
#define RF_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "list.h"
#include "loop.h"
#include "tls.h"

struct rf__origin;
struct rf__tunnel;

struct rf__conn {
	int fd;                    /* -1 until the socket op completes */
	struct rf__tls *tls;       /* https: the TLS layer, kept across requests */
	struct rf__tunnel *tunnel; /* a CONNECT still being set up, or NULL */
	const char *out;           /* plaintext being sent (the caller's memory) */
	size_t out_len, out_done;
	/* the pool's (pool.c) */
	struct rf__link olink; /* origin's idle list */
	struct rf__link glink; /* client-wide idle LRU */
	struct rf__origin *origin;
};

/* The socket op the stack wants submitted next (kind RF__OP_NONE: none). */
struct rf__conn_op {
	enum rf__op_kind kind;
	void *buf;
	unsigned len;
};

void rf__conn_init(struct rf__conn *k);
/* Submit op on k's socket under tag t (the caller counted it). */
void rf__conn_submit(struct rf__loop *l, struct rf__conn *k, rf__tag t, const struct rf__conn_op *op);
/* TCP: make a socket (RF__OP_SOCKET) and connect it (RF__OP_CONNECT) before
 * it is part of a stack (several may race: Happy Eyeballs in slot.c; one
 * in bench.c); close a loser.  The winner becomes the stack's with
 * rf__conn_opened. */
void rf__conn_dial_socket(struct rf__loop *l, rf__tag t, int family);
void rf__conn_dial_connect(struct rf__loop *l, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len);
void rf__conn_dial_close(struct rf__loop *l, int fd);
void rf__conn_opened(struct rf__conn *k, int fd);

/* The socket goes to a proxy: before anything else, ask it for a tunnel
 * to hostport ("CONNECT hostport", with Proxy-Authorization when
 * proxy_auth is not NULL).  rf__conn_handshake_step then carries it out and
 * fails with RF_EPROXY_AUTH (407) or RF_EPROXY (any other refusal, a
 * close, a malformed or oversized answer, bytes after it).  0 or -ENOMEM. */
int rf__conn_start_tunnel(struct rf__conn *k, const char *hostport, const char *user_agent,
                          const char *proxy_auth);

/* Put TLS over the connected socket (or tunnel), for host (checked against the
 * certificate) and the origin named cache_key (session resumption). */
int rf__conn_start_tls(struct rf__conn *k, struct rf__tls_ctx *ctx, const char *host, bool ip_literal,
                       const char *cache_key);
bool rf__conn_is_tls(const struct rf__conn *k);
/* This connection's TLS resumed a cached session. */
bool rf__conn_resumed(const struct rf__conn *k);
/* The protocol its TLS agreed on by ALPN, *id[0..return); 0: none (plain
 * connections, or a server that chose none). */
size_t rf__conn_alpn(const struct rf__conn *k, const unsigned char **id);

/* Send len plaintext bytes from p (kept alive until all is sent): 0 or a
 * negative code with *detail.  Then rf__conn_next_send says what to submit. */
int rf__conn_send(struct rf__conn *k, const void *p, size_t len, const char **detail);
/* A send op (RF__OP_SEND or RF__OP_TLS_SEND) moved n bytes. */
void rf__conn_sent(struct rf__conn *k, enum rf__op_kind op, size_t n);
/* Something is still to go out: true with *next. */
bool rf__conn_next_send(struct rf__conn *k, struct rf__conn_op *next);

/* An RF__OP_TLS_RECV brought n bytes (0: the peer closed). */
void rf__conn_received(struct rf__conn *k, size_t n);

/* What a completed socket op of the stack (send, receive, TLS send or
 * receive) means for whoever drives the connection - a slot or a bench
 * connection alike. */
enum rf__conn_io {
	RF__CONN_MOVED,  /* bytes moved (res >= 0); the stack took its part:
	                    a send's bytes counted sent, a TLS receive's
	                    ciphertext fed in (0: the peer closed) */
	RF__CONN_AGAIN,  /* nothing moved (-EAGAIN, -EINTR): ask the stack
	                    again, which gives the same op */
	RF__CONN_FAILED, /* res is the error */
};
enum rf__conn_io rf__conn_completed(struct rf__conn *k, enum rf__op_kind op, int res);
/* The driver's steps: what a connection asks of whoever drives it - a
 * slot or a bench connection alike - after a handshake or read step. */
enum rf__conn_step {
	RF__STEP_SUBMIT, /* submit *next; step again when it completes */
	RF__STEP_READY,  /* handshake: the stack carries plaintext now */
	RF__STEP_DATA,   /* read: *got plaintext bytes are in buf */
	RF__STEP_END,    /* read: the peer ended cleanly (TLS close_notify) */
	RF__STEP_CUT,    /* read: the transport ended without close_notify
	                    (*err is RF_ETRUNCATED) */
	RF__STEP_FAILED, /* *err, with *detail */
};
/* Advance the handshakes (CONNECT tunnel, TLS): SUBMIT, READY or FAILED. */
enum rf__conn_step rf__conn_handshake_step(struct rf__conn *k, struct rf__conn_op *next, int *err,
                                           const char **detail);
/* Read plaintext into buf[0..cap): DATA, SUBMIT (plain TCP: always, the
 * kernel fills buf), END, CUT or FAILED. */
enum rf__conn_step rf__conn_read_step(struct rf__conn *k, void *buf, size_t cap, size_t *got,
                                      struct rf__conn_op *next, int *err, const char **detail);
/* The same for a driver that keeps a receive and a send in flight at once
 * (an HTTP/2 session): SUBMIT is always a receive (RECV into buf, or
 * TLS_RECV); what TLS has to send is rf__conn_next_send's, whenever the
 * send side is free.  No receive may be in flight when this is called. */
enum rf__conn_step rf__conn_duplex_read_step(struct rf__conn *k, void *buf, size_t cap, size_t *got,
                                             struct rf__conn_op *next, int *err, const char **detail);
/* How a server's close of an idle kept-alive connection shows when a
 * request is sent on it (an end, a reset, a broken pipe): with no byte of
 * response on a reused connection, the request goes again on a new one
 * (fetch and bench alike; not counted as a failure). */
bool rf__conn_stale_close(int res);

/* Bytes already received are waiting in the stack: more is there to read
 * before the socket (a response followed by extra bytes). */
bool rf__conn_buffered(struct rf__conn *k);
/* Receive the stack's own bytes in pieces of this size (0: default; no
 * receive may be in flight): 0 or -ENOMEM (the old size stays). */
int rf__conn_set_recv_size(struct rf__conn *k, size_t size);

/* Close the socket (a fire-and-forget ring op) and free the stack. */
void rf__conn_close(struct rf__loop *l, struct rf__conn *k);
/* The same, the socket's close an op under tag t (its completion says the
 * socket is closed). */
void rf__conn_close_tagged(struct rf__loop *l, struct rf__conn *k, rf__tag t);
/* The same at teardown, when the ring is going away: close(2) now. */
void rf__conn_close_now(struct rf__conn *k);

#endif
