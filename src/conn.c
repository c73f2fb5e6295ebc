/*
 * conn.c - the connection stack: TCP, and TLS over it (see conn.h).
 *
 * Plain TCP moves the caller's bytes with no copy: a send goes out of the
 * caller's memory, a receive lands in the caller's buffer.  TLS keeps its
 * ciphertext in tls.c's buffers and hands plaintext over in rf__conn_read_step;
 * what it must send (handshake records, alerts, encrypted requests) always
 * goes before anything is received, so one socket op at a time is enough -
 * except under an HTTP/2 session, which reads and writes at once
 * (rf__conn_duplex_read_step: the receive side never asks for a send).
 * Through a proxy, an HTTP CONNECT tunnel sits between the two as the
 * first handshake phase (its request out, the proxy's answer in, with the
 * stack's own-bytes ops); TLS's name check is still against the origin.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "conn.h"
#include "http1.h"
#include "ringfetch.h"

/* The proxy's answer to CONNECT must fit here (squid and tinyproxy send a
 * few hundred bytes; an error page body is not read). */
#define TUNNEL_BUF 8192

struct rf__tunnel {
	size_t len, sent;      /* request: bytes in buf, bytes sent */
	bool reading;          /* request out, reading the answer into buf */
	bool eof;              /* the proxy closed while we read */
	bool with_credentials; /* Proxy-Authorization was sent */
	size_t got;            /* answer bytes in buf */
	char hostport[280];
	char detail[480];
	char buf[TUNNEL_BUF];
};

void rf__conn_init(struct rf__conn *k)
{
	k->fd = -1;
	k->tls = NULL;
	k->tunnel = NULL;
	k->out = NULL;
	k->out_len = k->out_done = 0;
	rf__list_init(&k->olink);
	rf__list_init(&k->glink);
}

void rf__conn_submit(struct rf__loop *l, struct rf__conn *k, rf__tag t, const struct rf__conn_op *op)
{
	if (op->kind == RF__OP_SEND || op->kind == RF__OP_TLS_SEND)
		rf__op_send(l, t, k->fd, op->buf, op->len);
	else if (op->kind == RF__OP_RECV_MULTI)
		rf__op_recv_multishot(l, t, k->fd);
	else
		rf__op_recv(l, t, k->fd, op->buf, op->len);
}

void rf__conn_opened(struct rf__conn *k, int fd)
{
	k->fd = fd;
	/* A request must never wait behind the unacknowledged last handshake
	 * record for the server's delayed ACK (Nagle: 40 ms per new TLS
	 * connection); requests go out whole anyway. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
}

void rf__conn_dial_socket(struct rf__loop *l, rf__tag t, int family)
{
	rf__op_socket(l, t, family);
}

void rf__conn_dial_connect(struct rf__loop *l, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len)
{
	rf__op_connect(l, t, fd, sa, len);
}

void rf__conn_dial_close(struct rf__loop *l, int fd)
{
	rf__op_close(l, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0), fd);
}

/* ---- the CONNECT tunnel ---- */

int rf__conn_start_tunnel(struct rf__conn *k, const char *hostport, const char *user_agent,
                          const char *proxy_auth)
{
	/* zeroed: bytes the ring's receive writes are invisible to valgrind */
	struct rf__tunnel *t = rf__calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	int n = rf__http1_connect_request(t->buf, sizeof(t->buf), hostport, user_agent, proxy_auth);
	if (n < 0) {
		free(t);
		return RF_EINVAL;
	}
	t->len = (size_t)n;
	t->sent = t->got = 0;
	t->reading = t->eof = false;
	t->with_credentials = proxy_auth != NULL;
	snprintf(t->hostport, sizeof(t->hostport), "%s", hostport);
	t->detail[0] = '\0';
	k->tunnel = t;
	return 0;
}

static void tunnel_free(struct rf__conn *k)
{
	if (k->tunnel) {
		explicit_bzero(k->tunnel->buf, k->tunnel->len); /* Proxy-Authorization */
		free(k->tunnel);
		k->tunnel = NULL;
	}
}

/* 1 with *next, 0 when the tunnel is open, or a negative code. */
static int tunnel_step(struct rf__conn *k, struct rf__conn_op *next, const char **detail)
{
	struct rf__tunnel *t = k->tunnel;
	*detail = t->detail;
	if (!t->reading) {
		if (t->sent < t->len) {
			*next = (struct rf__conn_op){RF__OP_TLS_SEND, t->buf + t->sent,
			                             (unsigned)(t->len - t->sent)};
			return 1;
		}
		explicit_bzero(t->buf, t->len);
		t->reading = true;
	}
	int status;
	const char *reason;
	size_t reason_len;
	int n = t->got ? rf__http1_connect_response(t->buf, t->got, &status, &reason, &reason_len) : 0;
	if (n < 0) {
		snprintf(t->detail, sizeof(t->detail), "the proxy's answer to CONNECT %s is not HTTP",
		         t->hostport);
		return RF_EPROXY;
	}
	if (n == 0) {
		if (t->eof) {
			snprintf(t->detail, sizeof(t->detail),
			         "the proxy closed the connection before answering CONNECT %s", t->hostport);
			return RF_EPROXY;
		}
		if (t->got == sizeof(t->buf)) {
			snprintf(t->detail, sizeof(t->detail),
			         "the proxy's answer to CONNECT %s is over %d bytes", t->hostport,
			         TUNNEL_BUF);
			return RF_EPROXY;
		}
		*next = (struct rf__conn_op){RF__OP_TLS_RECV, t->buf + t->got,
		                             (unsigned)(sizeof(t->buf) - t->got)};
		return 1;
	}
	char why[100];
	size_t printable = 0;
	while (printable < reason_len && printable < sizeof(why) - 1 &&
	       (unsigned char)reason[printable] >= 0x20 && (unsigned char)reason[printable] < 0x7f)
		printable++;
	snprintf(why, sizeof(why), "%.*s", (int)printable, reason);
	if (status == 407) {
		snprintf(t->detail, sizeof(t->detail), "CONNECT %s: %s", t->hostport,
		         t->with_credentials ? "the proxy refused the credentials given"
		                             : "the proxy asks for credentials, none were given");
		return RF_EPROXY_AUTH;
	}
	if (status < 200 || status > 299) {
		snprintf(t->detail, sizeof(t->detail), "the proxy refused CONNECT %s: %d %s", t->hostport,
		         status, why);
		return RF_EPROXY;
	}
	if ((size_t)n < t->got) {
		/* the origin cannot have spoken yet: TLS starts with the client */
		snprintf(t->detail, sizeof(t->detail), "the proxy sent bytes after its answer to CONNECT %s",
		         t->hostport);
		return RF_EPROXY;
	}
	tunnel_free(k);
	return 0;
}

/* ---- TLS ---- */

int rf__conn_start_tls(struct rf__conn *k, struct rf__tls_ctx *ctx, const char *host, bool ip_literal,
                       const char *cache_key)
{
	return rf__tls_new(ctx, host, ip_literal, cache_key, &k->tls);
}

bool rf__conn_is_tls(const struct rf__conn *k)
{
	return k->tls != NULL;
}

bool rf__conn_resumed(const struct rf__conn *k)
{
	return k->tls && rf__tls_resumed(k->tls);
}

size_t rf__conn_alpn(const struct rf__conn *k, const unsigned char **id)
{
	*id = NULL;
	return k->tls ? rf__tls_alpn(k->tls, id) : 0;
}

/* TLS output first, else a receive of ciphertext. */
static void tls_next(struct rf__conn *k, struct rf__conn_op *next)
{
	size_t len;
	const void *out = rf__tls_out(k->tls, &len);
	if (out) {
		*next = (struct rf__conn_op){RF__OP_TLS_SEND, (void *)out, (unsigned)len};
		return;
	}
	void *in = rf__tls_recv_buf(k->tls, &len);
	*next = (struct rf__conn_op){RF__OP_TLS_RECV, in, (unsigned)len};
}

static int advance_handshakes(struct rf__conn *k, struct rf__conn_op *next, const char **detail)
{
	next->kind = RF__OP_NONE;
	if (k->tunnel) {
		int r = tunnel_step(k, next, detail);
		if (r != 0)
			return r;
	}
	if (!k->tls)
		return 0;
	int r = rf__tls_handshake(k->tls, detail);
	if (r < 0)
		return r;
	size_t len;
	if (r == 0 && !rf__tls_out(k->tls, &len))
		return 0;
	tls_next(k, next); /* send what it wrote, or wait for the peer */
	return 1;
}

/* ---- plaintext ---- */

int rf__conn_send(struct rf__conn *k, const void *p, size_t len, const char **detail)
{
	if (k->tls)
		return rf__tls_write(k->tls, p, len, detail); /* encrypted now, queued */
	k->out = p;
	k->out_len = len;
	k->out_done = 0;
	return 0;
}

void rf__conn_sent(struct rf__conn *k, enum rf__op_kind op, size_t n)
{
	if (op == RF__OP_TLS_SEND && k->tunnel)
		k->tunnel->sent += n;
	else if (op == RF__OP_TLS_SEND)
		rf__tls_sent(k->tls, n);
	else
		k->out_done += n;
}

enum rf__conn_io rf__conn_completed(struct rf__conn *k, enum rf__op_kind op, int res)
{
	if (res == -EAGAIN || res == -EINTR)
		return RF__CONN_AGAIN;
	if (res < 0)
		return RF__CONN_FAILED;
	if (op == RF__OP_SEND || op == RF__OP_TLS_SEND)
		rf__conn_sent(k, op, (size_t)res);
	else if (op == RF__OP_TLS_RECV)
		rf__conn_received(k, (size_t)res);
	return RF__CONN_MOVED;
}

bool rf__conn_next_send(struct rf__conn *k, struct rf__conn_op *next)
{
	if (k->tunnel) { /* the CONNECT request: handshake steps send it */
		if (k->tunnel->reading || k->tunnel->sent >= k->tunnel->len)
			return false;
		*next = (struct rf__conn_op){RF__OP_TLS_SEND, k->tunnel->buf + k->tunnel->sent,
		                             (unsigned)(k->tunnel->len - k->tunnel->sent)};
		return true;
	}
	if (k->tls) {
		size_t len;
		const void *out = rf__tls_out(k->tls, &len);
		if (!out)
			return false;
		*next = (struct rf__conn_op){RF__OP_TLS_SEND, (void *)out, (unsigned)len};
		return true;
	}
	if (k->out_done >= k->out_len)
		return false;
	*next = (struct rf__conn_op){RF__OP_SEND, (void *)(k->out + k->out_done),
	                             (unsigned)(k->out_len - k->out_done)};
	return true;
}

static int read_plaintext(struct rf__conn *k, void *buf, size_t cap, size_t *got, struct rf__conn_op *next,
                          const char **detail)
{
	*got = 0;
	*detail = "";
	next->kind = RF__OP_NONE;
	if (!k->tls) { /* the kernel fills buf */
		*next = (struct rf__conn_op){RF__OP_RECV, buf, (unsigned)cap};
		return 0;
	}
	int r = rf__tls_read(k->tls, buf, cap, got, detail);
	if (r == 0 && *got == 0)
		tls_next(k, next);
	return r;
}

/* ---- the driver's steps (fetch and bench alike) ---- */

enum rf__conn_step rf__conn_handshake_step(struct rf__conn *k, struct rf__conn_op *next, int *err,
                                           const char **detail)
{
	*err = 0;
	*detail = "";
	int r = advance_handshakes(k, next, detail);
	if (r < 0) {
		*err = r;
		return RF__STEP_FAILED;
	}
	return r == 1 ? RF__STEP_SUBMIT : RF__STEP_READY;
}

enum rf__conn_step rf__conn_read_step(struct rf__conn *k, void *buf, size_t cap, size_t *got,
                                      struct rf__conn_op *next, int *err, const char **detail)
{
	*err = 0;
	int r = read_plaintext(k, buf, cap, got, next, detail);
	if (r == 0)
		return *got > 0 ? RF__STEP_DATA : RF__STEP_SUBMIT;
	if (r == 1)
		return RF__STEP_END;
	*err = r;
	return r == RF_ETRUNCATED ? RF__STEP_CUT : RF__STEP_FAILED;
}

enum rf__conn_step rf__conn_duplex_read_step(struct rf__conn *k, void *buf, size_t cap, size_t *got,
                                             struct rf__conn_op *next, int *err, const char **detail)
{
	*err = 0;
	*got = 0;
	*detail = "";
	if (!k->tls) { /* the kernel fills buf */
		*next = (struct rf__conn_op){RF__OP_RECV, buf, (unsigned)cap};
		return RF__STEP_SUBMIT;
	}
	int r = rf__tls_read(k->tls, buf, cap, got, detail);
	if (r == 0 && *got > 0)
		return RF__STEP_DATA;
	if (r == 0) {
		size_t len;
		void *in = rf__tls_recv_buf(k->tls, &len);
		*next = (struct rf__conn_op){RF__OP_TLS_RECV, in, (unsigned)len};
		return RF__STEP_SUBMIT;
	}
	if (r == 1)
		return RF__STEP_END;
	*err = r;
	return r == RF_ETRUNCATED ? RF__STEP_CUT : RF__STEP_FAILED;
}

bool rf__conn_stale_close(int res)
{
	return res == 0 || res == -ECONNRESET || res == -EPIPE || res == -ECONNABORTED;
}

void rf__conn_received(struct rf__conn *k, size_t n)
{
	if (k->tunnel) {
		k->tunnel->got += n;
		k->tunnel->eof |= n == 0;
		return;
	}
	rf__tls_received(k->tls, n);
}

bool rf__conn_buffered(struct rf__conn *k)
{
	return k->tls && rf__tls_buffered(k->tls);
}

int rf__conn_set_recv_size(struct rf__conn *k, size_t size)
{
	return k->tls ? rf__tls_set_recv_size(k->tls, size) : 0;
}

/* ---- the end ---- */

void rf__conn_close(struct rf__loop *l, struct rf__conn *k)
{
	rf__conn_close_tagged(l, k, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0));
}

void rf__conn_close_tagged(struct rf__loop *l, struct rf__conn *k, rf__tag t)
{
	if (k->fd >= 0)
		rf__op_close(l, t, k->fd);
	k->fd = -1;
	tunnel_free(k);
	rf__tls_free(k->tls);
	k->tls = NULL;
}

void rf__conn_close_now(struct rf__conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	tunnel_free(k);
	rf__tls_free(k->tls);
	k->tls = NULL;
}
