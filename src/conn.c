/*
 * conn.c - the connection stack: TCP, and TLS over it (see conn.h).
 *
 * Plain TCP moves the caller's bytes with no copy: a send goes out of the
 * caller's memory, a receive lands in the caller's buffer.  TLS keeps its
 * ciphertext in tls.c's buffers and hands plaintext over in rf__conn_read;
 * what it must send (handshake records, alerts, encrypted requests) always
 * goes before anything is received, so one socket op at a time is enough.
 * An HTTP CONNECT tunnel would sit between the two as one more handshake
 * phase, with TLS's name check still against the origin.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "conn.h"

void rf__conn_init(struct rf__conn *k)
{
	k->fd = -1;
	k->tls = NULL;
	k->out = NULL;
	k->out_len = k->out_done = 0;
	rf__list_init(&k->olink);
	rf__list_init(&k->glink);
}

void rf__conn_submit(struct rf__loop *l, struct rf__conn *k, rf__tag t, const struct rf__conn_op *op)
{
	if (op->kind == RF_OP_SEND || op->kind == RF_OP_TLS_SEND)
		rf__op_send(l, t, k->fd, op->buf, op->len);
	else if (op->kind == RF_OP_RECV_MULTI)
		rf__op_recv_multishot(l, t, k->fd);
	else
		rf__op_recv(l, t, k->fd, op->buf, op->len);
}

void rf__conn_socket(struct rf__loop *l, struct rf__conn *k, rf__tag t, int family)
{
	(void)k;
	rf__op_socket(l, t, family);
}

void rf__conn_opened(struct rf__conn *k, int fd)
{
	k->fd = fd;
	/* A request must never wait behind the unacknowledged last handshake
	 * record for the server's delayed ACK (Nagle: 40 ms per new TLS
	 * connection); requests go out whole anyway. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
}

void rf__conn_connect(struct rf__loop *l, struct rf__conn *k, rf__tag t,
                      const struct sockaddr *sa, socklen_t len)
{
	rf__op_connect(l, t, k->fd, sa, len);
}

void rf__conn_drop_socket(struct rf__loop *l, struct rf__conn *k)
{
	if (k->fd >= 0)
		rf__op_close(l, rf__tag_make(RF_OP_NONE, 0, 0), k->fd);
	k->fd = -1;
}

/* ---- TLS ---- */

int rf__conn_start_tls(struct rf__conn *k, struct rf__tls_ctx *ctx, const char *host,
                       bool ip_literal, const char *cache_key)
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

/* TLS output first, else a receive of ciphertext. */
static void tls_next(struct rf__conn *k, struct rf__conn_op *next)
{
	size_t len;
	const void *out = rf__tls_out(k->tls, &len);
	if (out) {
		*next = (struct rf__conn_op){RF_OP_TLS_SEND, (void *)out, (unsigned)len};
		return;
	}
	void *in = rf__tls_recv_buf(k->tls, &len);
	*next = (struct rf__conn_op){RF_OP_TLS_RECV, in, (unsigned)len};
}

int rf__conn_handshake(struct rf__conn *k, struct rf__conn_op *next, const char **detail)
{
	next->kind = RF_OP_NONE;
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
	if (op == RF_OP_TLS_SEND)
		rf__tls_sent(k->tls, n);
	else
		k->out_done += n;
}

bool rf__conn_next_send(struct rf__conn *k, struct rf__conn_op *next)
{
	if (k->tls) {
		size_t len;
		const void *out = rf__tls_out(k->tls, &len);
		if (!out)
			return false;
		*next = (struct rf__conn_op){RF_OP_TLS_SEND, (void *)out, (unsigned)len};
		return true;
	}
	if (k->out_done >= k->out_len)
		return false;
	*next = (struct rf__conn_op){RF_OP_SEND, (void *)(k->out + k->out_done),
	                             (unsigned)(k->out_len - k->out_done)};
	return true;
}

int rf__conn_read(struct rf__conn *k, void *buf, size_t cap, size_t *got,
                  struct rf__conn_op *next, const char **detail)
{
	*got = 0;
	*detail = "";
	next->kind = RF_OP_NONE;
	if (!k->tls) { /* the kernel fills buf */
		*next = (struct rf__conn_op){RF_OP_RECV, buf, (unsigned)cap};
		return 0;
	}
	int r = rf__tls_read(k->tls, buf, cap, got, detail);
	if (r == 0 && *got == 0)
		tls_next(k, next);
	return r;
}

void rf__conn_received(struct rf__conn *k, size_t n)
{
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
	rf__conn_drop_socket(l, k);
	rf__tls_free(k->tls);
	k->tls = NULL;
}

void rf__conn_close_now(struct rf__conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
	rf__tls_free(k->tls);
	k->tls = NULL;
}
