/*
 * session.c - HTTP/2 sessions (see session.h): the connection under many
 * streams, driven from the ring.
 *
 * A session keeps one receive in flight at all times (plaintext into its
 * own buffer, or ciphertext into TLS's) and one send whenever something is
 * to go out (frames nghttp2 produced, copied into the session's send
 * buffer; TLS records).  Received plaintext goes to nghttp2 at once: the
 * bytes of a stream land in its slot's buffer (http2.c), so the session's
 * buffer is free again when the call returns and the next receive goes.
 * The server cannot outrun a slow disk: each stream's window opens only as
 * its slot's sink takes bytes.
 *
 * Life: made when a connection turned out to speak h2 (or was told to);
 * listed on its origin while new streams may go on it; idle (no stream)
 * sessions are kept like idle HTTP/1.1 connections, at most max_inflight
 * of them, the oldest closed first.  A session that failed, or was told
 * GOAWAY and has no stream left, is closed: its ops are cancelled, and its
 * memory goes when the last completes.  Its connection counts as one of
 * its origin's connections (--max-per-host) all along.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "engine.h"
#include "pool.h"
#include "session.h"
#include "group.h"

#define SEND_BUF (64 * 1024)
#define SESSION_RX (64 * 1024) /* plaintext per nghttp2 call: many frames at once */

struct rf__session {
	struct rf__conn *conn;
	struct rf__h2 *h2;
	struct rf__origin *origin;
	uint32_t idx, gen;
	struct rf__link olink; /* its origin's open sessions (new streams may go) */
	struct rf__link ilink; /* the client's idle sessions */
	bool listed, idle;
	bool recv_busy, send_busy;
	rf__tag recv_tag, send_tag;
	bool cancel_sent;
	bool closing; /* no more ops: going once its ops completed */
	bool queued;  /* on the client's news list */
	bool telling; /* its news are being told (rf__session_with_news up to
	                 rf__session_told): it stays */
	struct rf__session *next_news;
	char *rx;
	size_t rx_cap;
	size_t busy_recv;        /* TLS receives this big while streams are open */
	struct rf__h2_outbuf tx; /* frames being sent */
};

static rf__tag op_tag(struct rf__session *x, enum rf__op_kind op)
{
	return rf__tag_make(RF__OWNER_CONN, op, x->idx, x->gen);
}

/* On the client's list when its streams have news, or when it is closing
 * (the client settles it after the news: see rf__session_settle). */
static void queue_news(rf_client *c, struct rf__session *x)
{
	if (x->queued || (!rf__h2_has_news(x->h2) && !x->closing))
		return;
	x->queued = true;
	x->next_news = NULL;
	if (c->sess_news_tail)
		c->sess_news_tail->next_news = x;
	else
		c->sess_news = x;
	c->sess_news_tail = x;
}

struct rf__session *rf__session_with_news(rf_client *c)
{
	struct rf__session *x = c->sess_news;
	if (!x)
		return NULL;
	c->sess_news = x->next_news;
	if (!c->sess_news)
		c->sess_news_tail = NULL;
	x->queued = false;
	x->telling = true;
	return x;
}

struct rf__h2_stream *rf__session_next_news(struct rf__session *x)
{
	return rf__h2_next_news(x->h2);
}

struct rf__origin *rf__session_origin(const struct rf__session *x)
{
	return x->origin;
}

static void unlist(struct rf__session *x)
{
	if (x->listed) {
		rf__list_del(&x->olink);
		x->listed = false;
	}
}

static void set_idle(rf_client *c, struct rf__session *x, bool idle)
{
	if (idle == x->idle)
		return;
	x->idle = idle;
	if (idle) {
		rf__list_push(&c->sess_idle, &x->ilink);
		c->nsess_idle++;
	} else {
		rf__list_del(&x->ilink);
		c->nsess_idle--;
	}
}

/* ---- the socket ops ---- */

static void shut(rf_client *c, struct rf__session *x);
static void settle(rf_client *c, struct rf__session *x);

static void fail(rf_client *c, struct rf__session *x, int err, const char *detail)
{
	rf__h2_fail(x->h2, err, detail);
	queue_news(c, x);
	shut(c, x);
}

static void io_failed(rf_client *c, struct rf__session *x, int res, const char *what)
{
	if (rf__h2_detail(x->h2)[0]) { /* what nghttp2 found before the end says more */
		fail(c, x, RF_EHTTP2, rf__h2_detail(x->h2));
		return;
	}
	char d[120];
	snprintf(d, sizeof(d), "%s: %s", what,
	         res == 0 ? "the server closed the connection" : strerror(-res));
	fail(c, x, res == 0 ? RF_ETRUNCATED : res, d);
}

static void flush(rf_client *c, struct rf__session *x)
{
	if (x->send_busy || x->closing)
		return;
	struct rf__conn_op next;
	if (!rf__conn_next_send(x->conn, &next)) {
		/* all sent: gather what nghttp2 has next */
		if (rf__h2_gather(x->h2, &x->tx, SEND_BUF)) {
			fail(c, x, -ENOMEM, "session send buffer");
			return;
		}
		queue_news(c, x); /* a failure to frame reaches the streams */
		if (!x->tx.len) {
			if (rf__h2_done(x->h2)) /* GOAWAY sent or received, nothing left */
				fail(c, x, RF_EHTTP2,
				     rf__h2_detail(x->h2)[0] ? rf__h2_detail(x->h2) : "the session ended");
			return;
		}
		const char *detail;
		int err = rf__conn_send(x->conn, x->tx.buf, x->tx.len, &detail);
		if (err) {
			fail(c, x, err, detail);
			return;
		}
		if (!rf__conn_next_send(x->conn, &next))
			return;
	}
	x->send_busy = true;
	x->send_tag = op_tag(x, next.kind);
	rf__conn_submit(c->loop, x->conn, x->send_tag, &next);
}

static void arm_recv(rf_client *c, struct rf__session *x)
{
	if (!x->recv_busy) /* no receive in flight: its buffer may change */
		rf__conn_set_recv_size(x->conn, rf__h2_streams(x->h2) ? x->busy_recv : 0);
	while (!x->recv_busy && !x->closing) {
		struct rf__conn_op next;
		size_t got;
		int err;
		const char *detail;
		enum rf__conn_step step =
			rf__conn_duplex_read_step(x->conn, x->rx, x->rx_cap, &got, &next, &err, &detail);
		if (step == RF__STEP_DATA) {
			int e = rf__h2_recv(x->h2, x->rx, got);
			queue_news(c, x);
			if (e) {
				shut(c, x);
				return;
			}
			continue;
		}
		if (step == RF__STEP_SUBMIT) {
			x->recv_busy = true;
			x->recv_tag = op_tag(x, next.kind);
			rf__conn_submit(c->loop, x->conn, x->recv_tag, &next);
			break;
		}
		if (step == RF__STEP_END || step == RF__STEP_CUT)
			io_failed(c, x, 0, "receiving");
		else
			fail(c, x, err, detail);
		break;
	}
	flush(c, x); /* answers (SETTINGS and PING acks, window updates) */
}

void rf__session_on_completion(rf_client *c, rf__tag tag, int res)
{
	uint32_t idx = rf__tag_idx(tag);
	if (idx >= c->sess_cap || !c->sess_tab[idx] || !rf__tag_gen_is(tag, c->sess_tab[idx]->gen))
		return;
	struct rf__session *x = c->sess_tab[idx];
	enum rf__op_kind op = rf__tag_op(tag);
	bool is_send = op == RF__OP_SEND || op == RF__OP_TLS_SEND;
	if (is_send)
		x->send_busy = false;
	else
		x->recv_busy = false;
	if (x->closing) {
		settle(c, x);
		return;
	}
	enum rf__conn_io io = rf__conn_completed(x->conn, op, res);
	if (io == RF__CONN_FAILED || (op == RF__OP_RECV && res == 0)) {
		io_failed(c, x, res, is_send ? "sending" : "receiving");
		return;
	}
	if (op == RF__OP_RECV && res > 0) {
		int e = rf__h2_recv(x->h2, x->rx, (size_t)res);
		queue_news(c, x);
		if (e) {
			shut(c, x);
			settle(c, x);
			return;
		}
	}
	if (is_send)
		flush(c, x);
	else
		arm_recv(c, x);
}

/* ---- life ---- */

static int table_slot(rf_client *c)
{
	for (unsigned i = 0; i < c->sess_cap; i++)
		if (!c->sess_tab[i])
			return (int)i;
	unsigned cap = c->sess_cap ? 2 * c->sess_cap : 16;
	struct rf__session **t = rf__realloc(c->sess_tab, cap * sizeof(*t));
	if (!t)
		return -1;
	uint32_t *g = rf__realloc(c->sess_gens, cap * sizeof(*g));
	if (!g) {
		c->sess_tab = t;
		return -1;
	}
	for (unsigned i = c->sess_cap; i < cap; i++) {
		t[i] = NULL;
		g[i] = 0;
	}
	c->sess_tab = t;
	c->sess_gens = g;
	int at = (int)c->sess_cap;
	c->sess_cap = cap;
	return at;
}

struct rf__session *rf__session_new(rf_client *c, struct rf__conn *conn)
{
	struct rf__session *x = rf__calloc(1, sizeof(*x));
	int at = x ? table_slot(c) : -1;
	struct rf__h2_opts ho = {.stream_window = c->opts.recv_buffer, .h2c = !rf__conn_is_tls(conn)};
	if (at < 0 || !(x->rx = rf__calloc(1, SESSION_RX)) || rf__h2_new(&x->h2, &ho)) {
		if (x)
			free(x->rx);
		free(x);
		return NULL;
	}
	x->rx_cap = SESSION_RX;
	/* ciphertext in big pieces while streams are open (one connection
	 * carries every stream's body), the usual size while idle */
	x->busy_recv = c->opts.big_buffer > c->opts.recv_buffer ? c->opts.big_buffer / 4 : 0;
	x->idx = (uint32_t)at;
	x->gen = ++c->sess_gens[at] & RF__TAG_GEN_MASK;
	c->sess_tab[at] = x;
	c->nsessions++;
	x->conn = conn;
	x->origin = conn->origin;
	rf__list_init(&x->ilink);
	rf__list_push(&x->origin->sessions, &x->olink);
	x->listed = true;
	arm_recv(c, x); /* and the preface and SETTINGS go out */
	return x;
}

struct rf__session *rf__session_for(rf_client *c, struct rf__origin *o)
{
	(void)c;
	for (struct rf__link *l = o->sessions.next; l != &o->sessions;) {
		struct rf__session *x = rf__container_of(l, struct rf__session, olink);
		l = l->next;
		if (rf__h2_closing(x->h2)) {
			unlist(x); /* GOAWAY or failed: no new stream, ever */
			continue;
		}
		if (rf__h2_can_open(x->h2))
			return x;
	}
	return NULL;
}

int rf__session_open(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, struct rf__response *out,
                     const char *req, size_t len, bool tls, char *land, size_t cap)
{
	int err = rf__h2_open(x->h2, st, out, req, len, tls, land, cap);
	if (err)
		return err;
	set_idle(c, x, false);
	flush(c, x);
	return 0;
}

void rf__session_land(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, char *land, size_t cap)
{
	rf__h2_land(x->h2, st, land, cap);
	flush(c, x);
}

void rf__session_consume(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, size_t n)
{
	rf__h2_consume(x->h2, st, n);
	flush(c, x);
}

void rf__session_close_stream(rf_client *c, struct rf__session *x, struct rf__h2_stream *st)
{
	rf__h2_close(x->h2, st);
	rf__origin_room(c, x->origin); /* a parked request may take the stream */
	if (x->closing) {
		settle(c, x);
		return;
	}
	flush(c, x);
	settle(c, x);
}

/* Stop: cancel what is in flight; the session goes when it completed. */
static void shut(rf_client *c, struct rf__session *x)
{
	unlist(x);
	set_idle(c, x, false);
	x->closing = true;
	queue_news(c, x); /* settled by the client when the call returns */
	if (!x->cancel_sent) {
		x->cancel_sent = true;
		if (x->recv_busy)
			rf__op_cancel(c->loop, x->recv_tag);
		if (x->send_busy)
			rf__op_cancel(c->loop, x->send_tag);
	}
}

static void session_free(rf_client *c, struct rf__session *x)
{
	assert(!x->queued && !x->listed && !x->idle);
	c->sess_tab[x->idx] = NULL;
	c->nsessions--;
	rf__h2_free(x->h2);
	rf__conn_release(c, x->conn, false); /* closed; the origin counts it gone */
	free(x->rx);
	free(x->tx.buf);
	free(x);
}

void rf__session_told(rf_client *c, struct rf__session *x)
{
	x->telling = false;
	settle(c, x);
}

/* A session with nothing left is closed (not while its news are told). */
static void settle(rf_client *c, struct rf__session *x)
{
	if (x->queued || x->telling)
		return; /* its news first */
	unsigned streams = rf__h2_streams(x->h2);
	if (!x->closing && streams == 0) {
		if (rf__h2_closing(x->h2)) {
			shut(c, x); /* GOAWAY, or failed: nothing will go on it */
		} else {
			set_idle(c, x, true);
			if (c->nsess_idle > c->opts.max_inflight) {
				struct rf__session *old =
					rf__container_of(c->sess_idle.next, struct rf__session, ilink);
				shut(c, old);
				settle(c, old);
			}
		}
	}
	if (x->closing && streams == 0 && !x->recv_busy && !x->send_busy)
		session_free(c, x);
}

void rf__session_shut_wanted(rf_client *c)
{
	if (!c->group || !c->opts.max_per_host)
		return;
	for (struct rf__link *l = c->sess_idle.next, *n; l != &c->sess_idle; l = n) {
		n = l->next;
		struct rf__session *x = rf__container_of(l, struct rf__session, ilink);
		if (x->origin->parked || !rf__group_conn_wanted(c->group, x->origin->key, c->member))
			continue;
		shut(c, x); /* off the idle list */
		settle(c, x);
		n = c->sess_idle.next; /* (settle may have freed others) */
	}
}

void rf__session_shut_idle(rf_client *c)
{
	while (c->nsess_idle) {
		struct rf__session *x = rf__container_of(c->sess_idle.next, struct rf__session, ilink);
		shut(c, x); /* off the idle list */
		settle(c, x);
	}
}

unsigned rf__session_count(const rf_client *c)
{
	return c->nsessions;
}

void rf__session_free_all(rf_client *c)
{
	for (unsigned i = 0; i < c->sess_cap; i++) {
		struct rf__session *x = c->sess_tab[i];
		if (!x)
			continue;
		while (rf__session_next_news(x))
			;
		x->queued = false;
		unlist(x);
		set_idle(c, x, false);
		rf__h2_free(x->h2); /* streams unbound (their slots are gone) */
		x->h2 = NULL;
		rf__conn_close_now(x->conn);
		rf__conn_release(c, x->conn, false);
		free(x->rx);
		free(x->tx.buf);
		free(x);
		c->sess_tab[i] = NULL;
	}
	c->nsessions = 0;
	c->sess_news = c->sess_news_tail = NULL;
	free(c->sess_tab);
	free(c->sess_gens);
	c->sess_tab = NULL;
	c->sess_gens = NULL;
	c->sess_cap = 0;
}
