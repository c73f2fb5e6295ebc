/*
 * slot.c - one in-flight transfer: resolve, connect, send, receive, finish.
 *
 * A slot walks RESOLVING -> CONNECTING -> [HANDSHAKE] -> [PREPARING] ->
 * SENDING -> RECEIVING -> FINISHING, always through set_state()
 * (RINGFETCH_TRACE=1 prints every transition).  HANDSHAKE is the connection
 * stack's (conn.c: TLS today); PREPARING hashes a resumed prefix (sink.c).
 * The slot speaks plaintext to its connection and submits the socket op the
 * stack asks for, counted under the slot's tag.  At most one socket op is
 * in flight per slot (send, recv or splice-in), so cancelling the slot's
 * network side is one cancel of sock_tag; before that, while connecting,
 * up to RF__SLOT_DIALS attempts race (Happy Eyeballs), each with its tag.
 *
 * Receiving uses two buffers: while the body of one is being written to
 * disk, the next recv fills the other; when both wait for the disk, no recv
 * is armed, so a slow disk throttles the socket instead of growing memory.
 * Large plain bodies leave this path for splice.c once the headers are in.
 *
 * Finishing is reconciliation, not a fixed sequence: rf__slot_finish_step()
 * is called after every event once the transfer is ending (s->end: the
 * response ended, it failed, or it is to be re-queued), and does the next thing that is
 * possible - cancel the socket op, release or close the connection, let the
 * sink close and rename (or unlink) its file - until nothing is
 * outstanding; then the slot marks itself finished and the client, once the
 * call into the slot returns, reports the result (or queues the retry that
 * outcome.c decided) and recycles it.  This file calls only down: sink.c and
 * splice.c record failures here and return outcomes, which this file turns
 * into actions.
 *
 * A request sent on a reused keep-alive connection that gets no response
 * byte before EOF/reset is retried once on a fresh connection: the server
 * closed the idle connection as we reused it, which is not a failure.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "cookies.h"
#include "decode.h"
#include "engine.h"
#include "group.h"
#include "hash.h"
#include "pool.h"
#include "session.h"
#include "slot.h"
#include "fields.h"

static const char *const state_names[] = {
	[RF__SLOT_FREE] = "free",
	[RF__SLOT_PREPARING] = "preparing",
	[RF__SLOT_RESOLVING] = "resolving",
	[RF__SLOT_CONNECTING] = "connecting",
	[RF__SLOT_HANDSHAKE] = "tls-handshake",
	[RF__SLOT_SENDING] = "sending",
	[RF__SLOT_RECEIVING] = "receiving",
	[RF__SLOT_FINISHING] = "finishing",
};

static bool trace;
static pthread_once_t trace_once = PTHREAD_ONCE_INIT;

static void read_trace(void)
{
	const char *t = getenv("RINGFETCH_TRACE");
	trace = t && *t && *t != '0';
}

static void set_state(struct rf__slot *s, enum rf__slot_state st)
{
	pthread_once(&trace_once, read_trace); /* clients on several threads */
	if (trace) {
		char shown[300];
		fprintf(stderr, "ringfetch: slot %u %s -> %s (%s)\n", s->idx, state_names[s->state],
		        state_names[st], s->req ? rf__url_redact(s->req->cur_url, shown, sizeof(shown)) : "");
	}
	s->state = st;
}

static void addr_text(const union rf__sockaddr *sa, unsigned port, char *out, size_t cap)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	rf__sockaddr_text(sa, ip, sizeof(ip));
	snprintf(out, cap, sa->sa.sa_family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
}

void rf__slot_fail(rf_client *c, struct rf__slot *s, int err)
{
	rf__slot_error(s, err, false, NULL);
	rf__slot_finish_step(c, s);
}

static void fail_detail(rf_client *c, struct rf__slot *s, int err, const char *detail)
{
	rf__slot_error(s, err, false, "%s", detail);
	rf__slot_finish_step(c, s);
}

static double since(const rf_client *c, const struct rf__req *r)
{
	return (double)(c->now - r->t_start) / 1e9;
}

/* ---- the slot's parts: set up, reset between transfers, released ---- */

static void recv_reset(struct rf__slot_recv *rx, size_t usual)
{
	assert(!rx->ms_npend); /* given back when the slot wound down */
	struct rf__slot_recv kept = {.partial = -1, .land = -1, .ms_pend = rx->ms_pend, .ms_cap = rx->ms_cap};
	for (unsigned b = 0; b < RF__SLOT_BUFS; b++) {
		assert(!rx->buf[b].pooled); /* given back when it became free */
		if (rx->buf[b].cap == usual) {
			kept.buf[b].data = rx->buf[b].data;
			kept.buf[b].cap = usual;
		} else {
			free(rx->buf[b].data); /* big buffers go back */
		}
	}
	*rx = kept;
}

static void recv_release(struct rf__slot_recv *rx)
{
	for (unsigned b = 0; b < RF__SLOT_BUFS; b++)
		if (!rx->buf[b].pooled) /* pool memory goes with the loop */
			free(rx->buf[b].data);
	free(rx->ms_pend);
}

static void connect_reset(struct rf__slot_connect *cx)
{
	for (unsigned i = 0; i < RF__SLOT_DIALS; i++)
		assert(!cx->dial[i].open && !cx->dial[i].busy);
	rf__addrlist_unref(cx->addrs);
	rf__dns_release(cx->dns);
	*cx = (struct rf__slot_connect){.addrs = NULL};
}

static void send_reset(struct rf__slot_send *tx)
{
	*tx = (struct rf__slot_send){.buf = tx->buf, .cap = tx->cap};
}

void rf__slot_setup(struct rf__slot *s, uint32_t idx)
{
	assert(!s->used && s->state == RF__SLOT_FREE);
	s->used = true;
	s->idx = idx;
	s->rx.partial = -1;
	s->rx.land = -1;
	rf__splice_init(&s->splice);
	rf__sink_init(&s->sink);
}

void rf__slot_reset(const rf_client *c, struct rf__slot *s)
{
	assert(s->used && s->ops == 0 && s->finished && !s->conn && !s->sess && !s->h2_dial);
	recv_reset(&s->rx, c->opts.recv_buffer);
	connect_reset(&s->cx);
	send_reset(&s->tx);
	rf__splice_reset(&s->splice);
	rf__sink_reset(&s->sink);
	rf__outcome_reset(&s->outcome);
	rf__exchange_reset(&s->ex);
	rf__response_reset(&s->resp);
	_Static_assert(RF__SLOT_FREE == 0 && RF__END_NONE == 0, "a cleared run state is a free slot");
	memset(s, 0, offsetof(struct rf__slot, rx)); /* its own run state */
	s->gen++;                                    /* completions still naming the last use are dropped */
}

void rf__slot_release(struct rf__slot *s)
{
	recv_release(&s->rx);
	rf__addrlist_unref(s->cx.addrs);
	free(s->tx.buf);
	rf__splice_release(&s->splice);
	rf__sink_release(&s->sink, true);
	rf__exchange_free(&s->ex);
}

/* ---- connect ---- */

/* The origin of the connection or session carrying the transfer. */
static struct rf__origin *slot_origin(const struct rf__slot *s)
{
	return s->conn ? s->conn->origin : rf__session_origin(s->sess);
}

/* Where the connection goes: the origin, or the proxy of its route. */
static const struct rf__proxy *route_proxy(const struct rf__slot *s)
{
	return slot_origin(s)->proxy;
}

/* ---- -v (rf_client_opts.on_debug) ---- */

static void debug_text(rf_client *c, struct rf__slot *s, enum rf_debug_kind kind, const char *text)
{
	char shown[RF__URL_MAX + 300];
	const struct rf__req *r = s->req;
	rf_debug d = {kind,
	              r->cur_url == r->url ? r->shown_url : rf__url_redact(r->cur_url, shown, sizeof(shown)),
	              text, r->user};
	c->opts.on_debug(c->opts.debug_arg, &d);
}

static __attribute__((format(printf, 3, 4))) void debug_info(rf_client *c, struct rf__slot *s,
                                                             const char *fmt, ...)
{
	if (!c->opts.on_debug)
		return;
	char line[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	debug_text(c, s, RF_DEBUG_INFO, line);
}

/* The request as sent, credential values starred, lines ending in "\n". */
static void debug_request(rf_client *c, struct rf__slot *s, const char *req, size_t len)
{
	if (!c->opts.on_debug)
		return;
	char *text = rf__malloc(2 * len + 16); /* " ***" may outgrow a short value */
	if (!text)
		return;
	size_t w = 0;
	for (const char *p = req, *end = req + len; p < end;) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0)
			break; /* the blank line ends the section */
		const char *colon = memchr(p, ':', n);
		if (colon && rf__field_credential(p)) {
			size_t keep = (size_t)(colon - p) + 1;
			memcpy(text + w, p, keep);
			memcpy(text + w + keep, " ***", 4);
			w += keep + 4;
		} else {
			memcpy(text + w, p, n);
			w += n;
		}
		text[w++] = '\n';
		p = eol ? eol + 1 : end;
	}
	if (w)
		w--; /* no trailing newline */
	text[w] = 0;
	debug_text(c, s, RF_DEBUG_REQUEST, text);
	free(text);
}

/* ---- connect: Happy Eyeballs (RFC 8305) ----
 *
 * The addresses are tried in an order that alternates the families (the
 * resolver's first family first), each attempt started when the one
 * before fails or after a stagger of CONNECT_STAGGER without an answer,
 * with at most RF__SLOT_DIALS in flight; the first to connect wins, the
 * other is cancelled and closed.  A host whose AAAA leads nowhere (SYNs
 * dropped) is then reached over IPv4 a quarter second later instead of
 * after the connect timeout.  While dialing, the slot's socket ops are the
 * dials' (tagged with the dial's index), not sock_tag. */

#define CONNECT_STAGGER (250 * 1000000LL) /* ns: RFC 8305's recommended delay */

static int free_dial(const struct rf__slot *s)
{
	for (int i = 0; i < RF__SLOT_DIALS; i++)
		if (!s->cx.dial[i].busy && !s->cx.dial[i].open)
			return i;
	return -1;
}

static bool dialing(const struct rf__slot *s)
{
	for (int i = 0; i < RF__SLOT_DIALS; i++)
		if (s->cx.dial[i].busy || s->cx.dial[i].open)
			return true;
	return false;
}

static unsigned dial_port(const struct rf__slot *s)
{
	const struct rf__proxy *px = route_proxy(s);
	return px ? px->port : s->req->u.port;
}

static void dial_text(const struct rf__slot *s, unsigned addr, char *where, size_t cap)
{
	size_t at = (size_t)snprintf(where, cap, "%s", route_proxy(s) ? "proxy " : "");
	addr_text(&s->cx.addrs->a[addr], dial_port(s), where + at, cap - at);
}

/* Start an attempt on the next address (a dial must be free). */
static void dial_next(rf_client *c, struct rf__slot *s)
{
	unsigned di = (unsigned)free_dial(s);
	struct rf__dial *d = &s->cx.dial[di];
	d->addr = s->cx.next_addr++;
	s->cx.addr_i = d->addr; /* the latest attempt, for messages */
	d->sa = s->cx.addrs->a[d->addr];
	uint16_t port = htons((uint16_t)dial_port(s));
	if (d->sa.sa.sa_family == AF_INET)
		d->sa.in.sin_port = port;
	else
		d->sa.in6.sin6_port = port;
	d->busy = true;
	d->cancel_sent = false;
	d->tag = rf__slot_op(s, RF__OP_SOCKET, di);
	rf__conn_dial_socket(c->loop, d->tag, d->sa.sa.sa_family);
	if (c->opts.on_debug) {
		char where[96];
		dial_text(s, d->addr, where, sizeof(where));
		debug_info(c, s, "trying %s", where);
	}
	s->cx.stagger_at = s->cx.next_addr < s->cx.addrs->n ? c->now + CONNECT_STAGGER : 0;
	if (s->cx.stagger_at)
		rf__wake_at(&c->wake, s->cx.stagger_at);
}

/* Addresses of the name that arrived after the slot took its list (the
 * other family's answer, RFC 8305 section 6): appended, so the ones tried
 * keep their places.  True when there are new ones. */
static bool extend_addrs(struct rf__slot *s)
{
	const struct rf__dns_entry *e = s->cx.dns;
	if (!e || e->state != RF__ENTRY_OK || !e->addrs || e->addrs == s->cx.addrs)
		return false;
	struct rf__addrlist *l = rf__addrlist_new(s->cx.addrs->n + e->addrs->n);
	if (!l)
		return false;
	memcpy(l->a, s->cx.addrs->a, s->cx.addrs->n * sizeof(l->a[0]));
	l->n = s->cx.addrs->n;
	for (unsigned i = 0; i < e->addrs->n; i++) {
		bool known = false;
		for (unsigned j = 0; j < s->cx.addrs->n && !known; j++)
			known = memcmp(&e->addrs->a[i], &s->cx.addrs->a[j], sizeof(e->addrs->a[i])) == 0;
		if (!known)
			l->a[l->n++] = e->addrs->a[i];
	}
	if (l->n == s->cx.addrs->n) {
		rf__addrlist_unref(l);
		return false;
	}
	rf__addrlist_unref(s->cx.addrs);
	s->cx.addrs = l;
	return true;
}

/* Every address tried: is an answer for the name still to come? */
static bool addrs_may_come(const struct rf__slot *s)
{
	return s->cx.dns && s->cx.dns->asking > 0;
}

void rf__slot_stagger(rf_client *c, struct rf__slot *s)
{
	s->cx.stagger_at = 0;
	if (s->state == RF__SLOT_CONNECTING && free_dial(s) >= 0 &&
	    (s->cx.next_addr < s->cx.addrs->n || extend_addrs(s)))
		dial_next(c, s);
}

void rf__slot_dns_more(rf_client *c, struct rf__slot *s)
{
	if (s->state != RF__SLOT_CONNECTING || rf__slot_abandoned(s) || dialing(s) ||
	    s->cx.next_addr < s->cx.addrs->n)
		return;
	if (extend_addrs(s)) {
		dial_next(c, s);
	} else if (!addrs_may_come(s)) {
		fail_detail(c, s, s->cx.dial_err, s->cx.dial_where);
	}
}

static void dial_close(rf_client *c, struct rf__dial *d)
{
	if (d->open)
		rf__conn_dial_close(c->loop, d->fd);
	d->open = false;
}

/* Cancel the dials still in flight, close the others: true while some
 * op of theirs is still to complete. */
static bool dials_stop(rf_client *c, struct rf__slot *s)
{
	bool pending = false;
	for (int i = 0; i < RF__SLOT_DIALS; i++) {
		struct rf__dial *d = &s->cx.dial[i];
		if (d->busy) {
			if (!d->cancel_sent)
				rf__op_cancel(c->loop, d->tag);
			d->cancel_sent = true;
			pending = true;
		} else {
			dial_close(c, d);
		}
	}
	s->cx.stagger_at = 0;
	return pending;
}

/* What -v says of the name a transfer dials: where its addresses came
 * from, and for a DNS answer its TTL and how long the lookup took. */
static void debug_name(rf_client *c, struct rf__slot *s, const struct rf__dns_entry *e)
{
	char list[200];
	size_t at = 0;
	for (unsigned i = 0; i < e->addrs->n && at < sizeof(list) - 48; i++) {
		if (i)
			at += (size_t)snprintf(list + at, sizeof(list) - at, ", ");
		rf__sockaddr_text(&e->addrs->a[i], list + at, sizeof(list) - at);
		at += strlen(list + at);
	}
	if (at >= sizeof(list) - 48 && e->addrs->n > 1)
		snprintf(list + at, sizeof(list) - at, ", ... (%u in all)", e->addrs->n);
	const char *host = route_proxy(s) ? route_proxy(s)->host : s->req->u.host;
	if (e->source != RF__DNS_FROM_DNS)
		debug_info(c, s, "name %s: %s (%s)", host, list, rf__dns_source_name(e->source));
	else
		debug_info(c, s, "name %s: %s (%s %s, TTL %u s, lookup %.1f ms%s)", host, list,
		           rf__dns_resolver_name(c->dns), s->cx.dns_waited ? "answer" : "cache", e->ttl,
		           (double)(e->t_answered - e->t_asked) / 1e6,
		           s->cx.dns_waited ? "" : ", resolved ahead or earlier");
}

void rf__slot_dns_ready(rf_client *c, struct rf__slot *s)
{
	struct rf__dns_entry *e = s->cx.dns;
	s->req->t_dns = since(c, s->req);
	if (e->state == RF__ENTRY_FAILED) {
		char d[300];
		snprintf(d, sizeof(d), "%s%s: %s", route_proxy(s) ? "proxy " : "",
		         route_proxy(s) ? route_proxy(s)->host : s->req->u.host,
		         e->error ? e->error : "lookup failed");
		fail_detail(c, s, RF_EDNS, d);
		return;
	}
	rf__addrlist_unref(s->cx.addrs);
	s->cx.addrs = rf__addrlist_ref(e->addrs);
	if (c->opts.on_debug)
		debug_name(c, s, e);
	s->cx.addr_i = s->cx.next_addr = 0;
	set_state(s, RF__SLOT_CONNECTING);
	dial_next(c, s);
}

static void begin_send(rf_client *c, struct rf__slot *s);
static void start_tls(rf_client *c, struct rf__slot *s);
static bool start_tunnel(rf_client *c, struct rf__slot *s);
static void h2_open(rf_client *c, struct rf__slot *s);
static void h2_release(rf_client *c, struct rf__slot *s);

/* May a new connection to o for r turn out to speak h2?  (A WARC file
 * records HTTP/1.1 exchanges; an origin that chose HTTP/1.1 by ALPN will
 * again.) */
static bool may_speak_h2(const rf_client *c, const struct rf__req *r, const struct rf__origin *o)
{
	if (c->warc || o->h1_seen)
		return false;
	if (r->u.tls)
		return c->opts.http_version != RF_HTTP_1_1;
	return c->opts.http_version == RF_HTTP_2_PRIOR && !o->proxy;
}

/* The connection this slot dialed knows its protocol now (h1: HTTP/1.1),
 * or never will (the slot ends first: a dial that fails does not make the
 * others wait in turn - they dial at once, as over HTTP/1.1): requests that
 * waited for it go again (they take its session, or dial). */
static void h2_dial_done(rf_client *c, struct rf__slot *s, bool h1, bool failed)
{
	struct rf__origin *o = s->h2_dial;
	if (!o)
		return;
	s->h2_dial = NULL;
	assert(o->h2_dialing > 0);
	o->h2_dialing--;
	if (h1)
		o->h1_seen = true;
	rf__origin_unpark_all(c, o, failed);
}

void rf__slot_start(rf_client *c, struct rf__slot *s, struct rf__req *r, struct rf__origin *o)
{
	s->req = r;
	if (!r->t_start) {
		r->t_start = c->now;
		if (c->opts.max_time > 0)
			r->deadline = c->now + (int64_t)(c->opts.max_time * 1e9);
	}
	r->attempts++;
	rf__sink_begin(c, s);
	if (s->err) {
		rf__slot_finish_step(c, s);
		return;
	}
	if (r->deadline) {
		rf__wake_at(&c->wake, r->deadline);
		if (c->now >= r->deadline) {
			rf__slot_fail(c, s, RF_EMAX_TIME);
			return;
		}
	}
	if (c->opts.on_debug && !s->ex.trace)
		s->ex.trace = rf__calloc(1, sizeof(*s->ex.trace)); /* without it -v shows less */
	struct rf__session *x = rf__session_for(c, o);
	if (x) { /* a stream on an HTTP/2 session: no connection of its own */
		s->sess = x;
		s->conn_reused = true;
		debug_info(c, s, "a new stream on an HTTP/2 session (%s)", o->key);
		s->t_connect = c->now - r->t_start;
		begin_send(c, s);
		return;
	}
	struct rf__conn *conn = rf__conn_take_idle(c, o);
	if (conn) {
		s->conn = conn;
		s->conn_reused = true;
		debug_info(c, s, "reusing a kept-alive connection (%s)", o->key);
		s->t_connect = c->now - r->t_start;
		begin_send(c, s);
		return;
	}
	s->conn = rf__conn_new(c, o);
	if (!s->conn) {
		rf__slot_fail(c, s, -ENOMEM);
		return;
	}
	if (may_speak_h2(c, r, o)) { /* others wait to see (rf__origin_waits) */
		s->h2_dial = o;
		o->h2_dialing++;
	}
	if (c->opts.connect_timeout > 0) {
		s->cx.deadline = c->now + (int64_t)(c->opts.connect_timeout * 1e9);
		rf__wake_at(&c->wake, s->cx.deadline);
	}
	set_state(s, RF__SLOT_RESOLVING);
	struct rf__dns_entry *e = rf__dns_lookup(c->dns, o->proxy ? o->proxy->host : r->u.host,
	                                         o->proxy ? o->proxy->port : r->u.port, c->now);
	if (!e) {
		rf__slot_fail(c, s, -ENOMEM);
		return;
	}
	rf__dns_release(s->cx.dns);
	s->cx.dns = rf__dns_hold(e);
	s->cx.dns_waited = e->state == RF__ENTRY_PENDING;
	if (e->state != RF__ENTRY_PENDING)
		rf__slot_dns_ready(c, s);
}

static void connected(rf_client *c, struct rf__slot *s)
{
	s->t_connect = c->now - s->req->t_start;
	if (s->req->u.tls && route_proxy(s) && start_tunnel(c, s))
		return;
	if (s->req->u.tls)
		start_tls(c, s);
	else
		begin_send(c, s);
}

/* An attempt failed (res): the next address goes now; the last failure
 * fails the slot once no attempt is left. */
static void dial_failed(rf_client *c, struct rf__slot *s, struct rf__dial *d, int res)
{
	dial_close(c, d);
	s->cx.dial_err = res;
	dial_text(s, d->addr, s->cx.dial_where, sizeof(s->cx.dial_where));
	if (s->cx.next_addr < s->cx.addrs->n || extend_addrs(s)) {
		dial_next(c, s);
		return;
	}
	if (dialing(s))
		return;
	if (addrs_may_come(s)) {
		debug_info(c, s, "waiting for the other address family's answer");
		return; /* rf__slot_dns_more, or the connect timeout */
	}
	fail_detail(c, s, s->cx.dial_err, s->cx.dial_where);
}

/* A socket or connect op of dial di completed. */
static void on_dial(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned di, int res)
{
	struct rf__dial *d = &s->cx.dial[di];
	d->busy = false;
	if (op == RF__OP_SOCKET && res >= 0) {
		d->fd = res;
		d->open = true;
	}
	if (rf__slot_abandoned(s) || s->state != RF__SLOT_CONNECTING) {
		/* the slot is winding down, or another attempt won */
		dial_close(c, d);
		rf__slot_finish_step(c, s);
		return;
	}
	if (res < 0) {
		dial_failed(c, s, d, res);
		return;
	}
	if (op == RF__OP_SOCKET) {
		d->busy = true;
		d->tag = rf__slot_op(s, RF__OP_CONNECT, di);
		rf__conn_dial_connect(c->loop, d->tag, d->fd, &d->sa.sa, rf__sockaddr_len(&d->sa));
		return;
	}
	/* connected: this attempt is the connection, the others go */
	d->open = false;
	rf__conn_opened(s->conn, d->fd);
	s->cx.addr_i = d->addr;
	dials_stop(c, s);
	if (c->opts.on_debug) {
		char where[96];
		dial_text(s, d->addr, where, sizeof(where));
		debug_info(c, s, "connected to %s", where);
	}
	connected(c, s);
}

/* ---- the connection's handshakes (TLS) ---- */

/* Submit the socket op the connection stack asks for (bi: the receive
 * buffer a plain RF__OP_RECV fills). */
static void submit(rf_client *c, struct rf__slot *s, const struct rf__conn_op *op, unsigned bi)
{
	rf__slot_sock_op(s, op->kind, bi);
	rf__conn_submit(c->loop, s->conn, s->sock_tag, op);
}

static void handshake_step(rf_client *c, struct rf__slot *s)
{
	struct rf__conn_op next;
	const char *detail;
	int err;
	bool tunneling = s->conn->tunnel != NULL;
	enum rf__conn_step step = rf__conn_handshake_step(s->conn, &next, &err, &detail);
	if (step == RF__STEP_FAILED && err == RF_ETLS && strstr(detail, "no application protocol") &&
	    c->opts.http_version >= RF_HTTP_2 && !c->warc) {
		/* the server has no h2 and said so by alert (OpenSSL servers do) */
		fail_detail(c, s, RF_EHTTP2,
		            "the server did not agree to HTTP/2 (ALPN: no protocol in common; --http2 asks "
		            "for h2 only)");
		return;
	}
	if (step == RF__STEP_FAILED) {
		fail_detail(c, s, err, detail);
		return;
	}
	if (tunneling && !s->conn->tunnel)
		debug_info(c, s, "tunnel to %s:%u open through proxy %s", s->req->u.host, s->req->u.port,
		           route_proxy(s)->hostport);
	if (step == RF__STEP_SUBMIT) {
		submit(c, s, &next, 0);
		return;
	}
	s->tls_resumed = rf__conn_resumed(s->conn);
	s->t_tls = c->now - s->req->t_start;
	debug_info(c, s, "TLS handshake done (%s)", s->tls_resumed ? "session resumed" : "new session");
	begin_send(c, s);
}

/* https through a proxy: a CONNECT tunnel to the origin comes first (the
 * handshake steps carry it out before TLS).  true when the slot failed. */
static bool start_tunnel(rf_client *c, struct rf__slot *s)
{
	const struct rf__url *u = &s->req->u;
	char authority[300];
	snprintf(authority, sizeof(authority), strchr(u->host, ':') ? "[%s]:%u" : "%s:%u", u->host, u->port);
	int err = rf__conn_start_tunnel(s->conn, authority, c->user_agent, route_proxy(s)->basic);
	if (err) {
		rf__slot_fail(c, s, err);
		return true;
	}
	return false;
}

static void start_tls(rf_client *c, struct rf__slot *s)
{
	char key[300];
	int err;
	if (!c->tls) { /* the client sets TLS up before an https request starts */
		fail_detail(c, s, RF_ETLS_CONFIG, "TLS was not set up");
		return;
	}
	snprintf(key, sizeof(key), "%s:%u", s->req->u.host, s->req->u.port);
	err = rf__conn_start_tls(s->conn, c->tls, s->req->u.host, s->req->u.ip_literal, key);
	if (err) {
		rf__slot_fail(c, s, err);
		return;
	}
	s->tls_handshake = true;
	set_state(s, RF__SLOT_HANDSHAKE);
	handshake_step(c, s);
}

/* ---- request ---- */

#define REQBUF_SIZE 16384

/* Submit the next send, if anything is left to go out. */
static bool send_more(rf_client *c, struct rf__slot *s)
{
	struct rf__conn_op next;
	if (!rf__conn_next_send(s->conn, &next))
		return false;
	submit(c, s, &next, 0);
	return true;
}

/* The protocol of the slot's new connection: what ALPN agreed, or HTTP/2
 * by prior knowledge; an h2 connection becomes a session's (the slot's
 * stream goes on it).  NULL when the slot failed. */
static const struct rf__exchange_ops *choose_protocol(rf_client *c, struct rf__slot *s)
{
	const unsigned char *alpn;
	size_t alpn_len = rf__conn_alpn(s->conn, &alpn);
	const struct rf__exchange_ops *proto = rf__exchange_for_alpn(alpn, alpn_len);
	bool tls = rf__conn_is_tls(s->conn);
	if (!tls && s->h2_dial) /* plain: h2c with prior knowledge */
		proto = &rf__http2_exchange;
	if (!proto)
		rf__slot_error(s, RF_EPROTO, false,
		               "the server chose ALPN protocol \"%.*s\", not one offered", (int)alpn_len,
		               (const char *)alpn);
	else if (tls && proto != &rf__http2_exchange && c->opts.http_version >= RF_HTTP_2 && !c->warc)
		rf__slot_error(s, RF_EHTTP2, false,
		               "the server did not agree to HTTP/2 (ALPN %s%.*s%s; --http2 asks for h2 only)",
		               alpn_len ? "\"" : "chose nothing", (int)alpn_len,
		               alpn_len ? (const char *)alpn : "", alpn_len ? "\"" : "");
	if (s->err) {
		h2_dial_done(c, s, false, true);
		rf__slot_finish_step(c, s);
		return NULL;
	}
	bool h2 = proto == &rf__http2_exchange;
	if (h2) {
		struct rf__session *x = rf__session_new(c, s->conn);
		if (!x) {
			h2_dial_done(c, s, false, true);
			rf__slot_fail(c, s, -ENOMEM);
			return NULL;
		}
		s->conn = NULL; /* the session's now */
		s->sess = x;
		debug_info(c, s, "HTTP/2 session%s", tls ? " (ALPN h2)" : " (prior knowledge)");
	}
	h2_dial_done(c, s, !h2 && tls, false);
	return proto;
}

/* Make b's memory the size this slot receives with now: 0 or -ENOMEM. */
static int buf_ready(const rf_client *c, const struct rf__slot *s, struct rf__buf *b)
{
	assert(!b->pooled); /* pool buffers are given back when free */
	size_t want = s->rx.big ? c->opts.big_buffer : c->opts.recv_buffer;
	if (b->data && b->cap == want)
		return 0;
	free(b->data);
	/* calloc: valgrind cannot see the kernel fill it through the ring */
	b->data = rf__calloc(1, want);
	b->cap = b->data ? want : 0;
	return b->data ? 0 : -ENOMEM;
}

static void begin_send(rf_client *c, struct rf__slot *s)
{
	if (rf__sink_need_prefix(s)) {
		/* resume with a digest: hash what is on disk first */
		set_state(s, RF__SLOT_PREPARING);
		if (buf_ready(c, s, &s->rx.buf[0])) {
			rf__slot_fail(c, s, -ENOMEM);
			return;
		}
		rf__sink_hash_prefix(c, s);
		return;
	}
	char range[300];
	rf__sink_range_headers(s, range, sizeof(range));
	/* the store's cookies for this URL, and room for the answer's */
	static __thread char cookie[8192];
	if (c->cookies) {
		if (c->group) /* threads share one store */
			rf__group_lock_cookies(c->group);
		rf__cookies_header(c->cookies, s->req->u.host, s->req->u.target, s->req->u.tls,
		                   (int64_t)time(NULL), cookie, sizeof(cookie));
		if (c->group)
			rf__group_unlock_cookies(c->group);
		if (!s->ex.cookies && !(s->ex.cookies = rf__calloc(1, sizeof(*s->ex.cookies)))) {
			rf__slot_fail(c, s, -ENOMEM);
			return;
		}
	}
	/* http:// through a proxy: the absolute form, and the proxy's
	 * credentials (never sent when the route is direct or a tunnel) */
	const struct rf__proxy *px = s->req->u.tls ? NULL : route_proxy(s);
	static __thread char absolute[RF__URL_MAX + 320];
	if (px)
		snprintf(absolute, sizeof(absolute), "http://%s%s", s->req->u.hostport, s->req->u.target);
	/* only a whole body can be decoded as it streams */
	bool whole_body = s->sink.resume_from <= 0 && !s->sink.segment && !s->req->range && !s->req->job;
	const struct rf__exchange_ops *proto = s->sess ? &rf__http2_exchange : choose_protocol(c, s);
	if (!proto)
		return; /* failed */
	struct rf__request_spec spec = {
		.method = "GET",
		.target = px ? absolute : s->req->u.target,
		.proxy_authorization = px ? px->basic : NULL,
		.hostport = s->req->u.hostport,
		.user_agent = c->user_agent,
		.extra = (const char *const *)c->headers,
		.n_extra = c->opts.n_headers,
		.authorization = s->req->auth.basic,
		.credentials = rf__auth_allowed(&s->req->auth),
		.raw_extra = range,
		.accept_encoding = whole_body && c->opts.compressed ? rf__decode_accept() : NULL,
		.cookie = c->cookies ? cookie : NULL,
	};
	/* made in a scratch buffer, kept in one of its own size: a slot holds
	 * a few hundred bytes of request, not 16 KiB (at -j 4096 that is
	 * 16 MiB of touched pages) */
	static __thread char scratch[REQBUF_SIZE];
	int n = rf__exchange_request(proto, scratch, REQBUF_SIZE, &spec);
	if (n < 0) {
		fail_detail(c, s, RF_EHEADER, "request header section over 16 KiB");
		return;
	}
	if ((size_t)n > s->tx.cap) {
		size_t cap = ((size_t)n + 511) & ~(size_t)511;
		char *p = rf__realloc(s->tx.buf, cap);
		if (!p) {
			rf__slot_fail(c, s, -ENOMEM);
			return;
		}
		s->tx.buf = p;
		s->tx.cap = cap;
	}
	memcpy(s->tx.buf, scratch, (size_t)n);
	s->tx.len = (size_t)n;
	debug_request(c, s, s->tx.buf, s->tx.len);
	rf__exchange_begin(&s->ex, proto, &s->resp, false);
	s->body = RF__BODY_UNDECIDED;
	s->last_io = s->tx.at = c->now;
	if (c->opts.idle_timeout > 0)
		rf__wake_at(&c->wake, c->now + (int64_t)(c->opts.idle_timeout * 1e9));
	if (s->sess) {
		h2_open(c, s);
		return;
	}
	set_state(s, RF__SLOT_SENDING);
	const char *detail;
	int err = rf__conn_send(s->conn, s->tx.buf, s->tx.len, &detail);
	if (err) {
		fail_detail(c, s, err, detail);
		return;
	}
	send_more(c, s);
}

/* ---- response ---- */

/* A kept-alive connection the server (or a proxy: tinyproxy answers
 * HTTP/1.1 without "Connection: close" and closes anyway) closed while it
 * was idle: the request goes again at once, not counted as a retry.  Each
 * such failure closes one idle connection and at most max_inflight are
 * kept, so max_inflight + 1 of them in a row are enough to reach a fresh
 * connection, whose failure counts. */
static bool stale_eligible(const rf_client *c, const struct rf__slot *s, int res)
{
	return s->conn_reused && s->req->stale_retries <= c->opts.max_inflight &&
	       s->resp.consumed_total == 0 && !s->err && rf__conn_stale_close(res);
}

static void stale_retry(rf_client *c, struct rf__slot *s)
{
	s->conn->origin->closes_idle = true; /* check its idle ones before reuse */
	s->req->stale_retries++;
	rf__slot_end(s, RF__END_REQUEUE);
	rf__slot_finish_step(c, s);
}

/* A free receive buffer (allocated on first use), or -1. */
static int free_buf(rf_client *c, struct rf__slot *s)
{
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++) {
		struct rf__buf *b = &s->rx.buf[i];
		if (b->state != RF__BUF_FREE)
			continue;
		if (buf_ready(c, s, b)) {
			rf__slot_fail(c, s, -ENOMEM);
			return -1;
		}
		return (int)i;
	}
	return -1; /* both buffers wait for the sink: the socket waits too */
}

/* Plain HTTP with a receive pool, and not a large body (those keep their
 * own big buffers, or splice). */
static bool pool_receives(const rf_client *c, const struct rf__slot *s)
{
	return c->pool_on && !s->rx.big && !rf__conn_is_tls(s->conn);
}

static int free_entry(const struct rf__slot *s)
{
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++)
		if (s->rx.buf[i].state == RF__BUF_FREE)
			return (int)i;
	return -1;
}

/* b holds the pool bytes at `at` (of buffer bid) now. */
static void attach_pool_buf(struct rf__buf *b, unsigned bid, char *at, unsigned room)
{
	assert(!b->pooled);
	free(b->data); /* the slot's own memory is not needed here */
	b->pooled = true;
	b->bid = (uint16_t)bid;
	b->data = at;
	b->cap = room;
}

static void arm_recv(rf_client *c, struct rf__slot *s);

/* A rate limit (--limit-rate, --limit-rate-per-host) holds the next
 * receive: true, and the client wakes the slot at rate_until. */
static bool rate_held(rf_client *c, struct rf__slot *s)
{
	if (c->rate.rate <= 0 && c->opts.limit_rate_per_host <= 0)
		return false;
	bool host = (s->conn || s->sess) && c->opts.limit_rate_per_host > 0;
	int64_t w, h = 0;
	if (c->group) { /* threads: the buckets are the group's */
		w = c->rate.rate > 0 ? rf__group_rate_wait(c->group, NULL, c->now) : 0;
		if (host)
			h = rf__group_rate_wait(c->group, slot_origin(s)->key, c->now);
	} else {
		w = rf__bucket_wait(&c->rate, c->now);
		if (host)
			h = rf__bucket_wait(&slot_origin(s)->bucket, c->now);
	}
	if (h > w)
		w = h;
	if (!w)
		return false;
	s->rx.rate_until = c->now + w;
	rf__wake_at(&c->wake, s->rx.rate_until);
	return true;
}

/* n bytes came off s's connection: the rate limits count them. */
static void rate_spend(rf_client *c, struct rf__slot *s, int res)
{
	if (res <= 0 || (c->rate.rate <= 0 && c->opts.limit_rate_per_host <= 0))
		return;
	bool host = (s->conn || s->sess) && c->opts.limit_rate_per_host > 0;
	if (c->group) {
		if (c->rate.rate > 0)
			rf__group_rate_spend(c->group, NULL, c->now, (uint64_t)res);
		if (host)
			rf__group_rate_spend(c->group, slot_origin(s)->key, c->now, (uint64_t)res);
		return;
	}
	rf__bucket_spend(&c->rate, c->now, (uint64_t)res);
	if (host)
		rf__bucket_spend(&slot_origin(s)->bucket, c->now, (uint64_t)res);
}

void rf__slot_rate_ready(rf_client *c, struct rf__slot *s)
{
	s->rx.rate_until = 0;
	s->last_io = c->now; /* the wait was ours, not the server's */
	arm_recv(c, s);
}

static bool receiving(const struct rf__slot *s)
{
	return s->end == RF__END_NONE && !s->sock_busy && s->state == RF__SLOT_RECEIVING;
}

static void on_plain(rf_client *c, struct rf__slot *s, unsigned bi, size_t n);
static void on_plain_eof(rf_client *c, struct rf__slot *s, bool clean);
static void on_io_error(rf_client *c, struct rf__slot *s, int res);

/* ---- multishot receive (--uring-recv multishot) ----
 * One receive stays armed for the response; each completion brings a pool
 * buffer.  They can come faster than the sink frees receive buffers, so
 * they wait in s->rx.ms_pend, in order, and are parsed as buffers free up.
 * The connection is not handed on while the receive is armed: the end of
 * the response cancels it, and the release waits for its last completion. */

static void ms_drop_pending(rf_client *c, struct rf__slot *s)
{
	for (unsigned i = 0; i < s->rx.ms_npend; i++)
		rf__loop_pool_put(c->loop, s->rx.ms_pend[i].bid);
	s->rx.ms_npend = 0;
}

static bool ms_queue(struct rf__slot *s, unsigned bid, char *at, unsigned len)
{
	if (s->rx.ms_npend == s->rx.ms_cap) {
		unsigned cap = s->rx.ms_cap ? 2 * s->rx.ms_cap : 8;
		struct rf__ms_pending *p = rf__realloc(s->rx.ms_pend, cap * sizeof(*p));
		if (!p)
			return false;
		s->rx.ms_pend = p;
		s->rx.ms_cap = cap;
	}
	s->rx.ms_pend[s->rx.ms_npend++] = (struct rf__ms_pending){(uint16_t)bid, len, at};
	return true;
}

/* Parse the queued buffers in order while receive buffers are free. */
static void ms_drain(rf_client *c, struct rf__slot *s)
{
	while (s->rx.ms_npend) {
		if (s->end != RF__END_NONE) {
			if (s->resp_ended)
				s->rx.ms_keep_conn = false; /* bytes after the response */
			ms_drop_pending(c, s);
			return;
		}
		int bi = free_entry(s);
		if (bi < 0)
			return;
		struct rf__ms_pending p = s->rx.ms_pend[0];
		memmove(s->rx.ms_pend, s->rx.ms_pend + 1, --s->rx.ms_npend * sizeof(p));
		s->rx.buf[bi].state = RF__BUF_RECV;
		attach_pool_buf(&s->rx.buf[bi], p.bid, p.at, p.len);
		on_plain(c, s, (unsigned)bi, p.len);
	}
}

/* The multishot receive ended with ms_res and everything it brought is
 * parsed: true when that was acted on, false to receive again. */
static bool ms_end(rf_client *c, struct rf__slot *s)
{
	int res = s->rx.ms_res;
	if (s->end != RF__END_NONE) {
		if (res != -ECANCELED)
			s->rx.ms_keep_conn = false; /* the peer closed or failed after all */
		rf__slot_finish_step(c, s);
		return true;
	}
	if (res == -ENOBUFS) {
		s->rx.pool_wait = true; /* see on_recv */
		return true;
	}
	if (res > 0 || res == -EAGAIN || res == -EINTR || res == -ECANCELED)
		return false; /* the kernel stopped it, or we did (large body) */
	if (res == 0)
		on_plain_eof(c, s, true);
	else
		on_io_error(c, s, res);
	return true;
}

static void on_recv_multi(rf_client *c, struct rf__slot *s, int res, unsigned flags)
{
	if (!(flags & RF__F_MORE)) {
		s->sock_busy = false;
		assert(s->rx.ms == RF__MS_ARMED);
		s->rx.ms = RF__MS_ENDED;
		s->rx.ms_res = res;
	}
	if (flags & RF__F_POOL) {
		unsigned bid = rf__f_bid(flags), room;
		char *at = rf__loop_pool_piece(c->loop, flags, &room);
		if (res <= 0 || !ms_queue(s, bid, at, (unsigned)res)) {
			rf__loop_pool_put(c->loop, bid);
			if (res > 0)
				rf__slot_error(s, -ENOMEM, false, NULL);
		}
	}
	arm_recv(c, s);
}

/* Read from the connection into free receive buffers.  Plain TCP: one
 * recv straight into a buffer.  TLS: decrypt what is buffered, each buffer
 * filled as far as the buffered records go (one parse and one write per
 * buffer, not per 16 KiB record), and receive more ciphertext when the
 * stack needs it. */
/* Before any other receive: what a multishot receive brought, how it
 * ended, or (armed) whether it must end.  true when nothing else is to be
 * armed now. */
static bool ms_step(rf_client *c, struct rf__slot *s)
{
	if (s->rx.ms_npend || s->rx.ms == RF__MS_ENDED) {
		/* what it brought first, then how it ended */
		ms_drain(c, s);
		if (s->rx.ms_npend)
			return true; /* the rest when a receive buffer is free */
		if (s->rx.ms == RF__MS_ENDED) {
			s->rx.ms = RF__MS_OFF;
			if (ms_end(c, s))
				return true;
		}
	}
	if (s->rx.ms != RF__MS_ARMED)
		return false;
	/* bytes come by themselves; a large body (big buffers, splice) needs
	 * the socket to itself, and a failed slot winds down: end the
	 * multishot first */
	bool stop = s->end != RF__END_NONE || !pool_receives(c, s) || rf__splice_ok(c, s);
	if (stop && !s->cancel_sent) {
		rf__op_cancel(c->loop, s->sock_tag);
		s->cancel_sent = true;
	}
	return true;
}

static void h2_step(rf_client *c, struct rf__slot *s);

static void arm_recv(rf_client *c, struct rf__slot *s)
{
	if (s->sess) {
		h2_step(c, s); /* the session receives; the stream's bytes land here */
		return;
	}
	if (ms_step(c, s))
		return;
	if (!receiving(s) || rate_held(c, s))
		return;
	if (s->splice.splicing)
		return; /* splice_step drives the rest of the body */
	if (rf__splice_ok(c, s) && rf__splice_next(c, s))
		return;
	if (pool_receives(c, s) && c->pool_multishot) {
		/* one receive for the whole response: a completion (with a pool
		 * buffer) each time bytes arrive */
		s->rx.ms = RF__MS_ARMED;
		submit(c, s, &(struct rf__conn_op){RF__OP_RECV_MULTI, NULL, 0}, 0);
		return;
	}
	if (pool_receives(c, s)) {
		/* the kernel picks a pool buffer when bytes arrive */
		int bi = free_entry(s);
		if (bi < 0)
			return; /* both buffers wait for the sink: the socket waits too */
		s->rx.buf[bi].state = RF__BUF_RECV;
		s->rx.buf[bi].pool_recv = true;
		submit(c, s, &(struct rf__conn_op){RF__OP_RECV, NULL, 0}, (unsigned)bi);
		return;
	}
	while (receiving(s)) {
		/* a large body's buffer is filled across records and receives,
		 * so it is parsed and written in big pieces */
		int bi = s->rx.partial >= 0 ? s->rx.partial : free_buf(c, s);
		if (bi < 0)
			return;
		struct rf__buf *b = &s->rx.buf[bi];
		size_t fill = s->rx.partial >= 0 ? s->rx.partial_fill : 0, got;
		s->rx.partial = -1;
		struct rf__conn_op next;
		const char *detail;
		int err;
		enum rf__conn_step step;
		do {
			step = rf__conn_read_step(s->conn, b->data + fill, b->cap - fill, &got, &next, &err,
			                          &detail);
			fill += got;
		} while (step == RF__STEP_DATA && fill < b->cap);
		if (step == RF__STEP_SUBMIT && next.kind == RF__OP_RECV) { /* the kernel fills b */
			b->state = RF__BUF_RECV;
			submit(c, s, &next, (unsigned)bi);
			return;
		}
		if (step == RF__STEP_SUBMIT && fill > 0 && fill < b->cap && s->rx.big &&
		    s->body == RF__BODY_SINK && s->resp.has_length &&
		    s->body_in + fill < s->resp.content_length) {
			/* more of this body is surely coming: keep filling */
			b->state = RF__BUF_RECV;
			s->rx.partial = bi;
			s->rx.partial_fill = fill;
			submit(c, s, &next, 0);
			return;
		}
		if (fill > 0) {
			on_plain(c, s, (unsigned)bi, fill);
			if (step == RF__STEP_DATA || step == RF__STEP_SUBMIT)
				continue; /* buffer full, or more needed: the loop asks again */
		}
		if (!receiving(s))
			return;
		switch (step) {
		case RF__STEP_DATA:
			continue; /* (not reached: fill > 0) */
		case RF__STEP_SUBMIT:
			submit(c, s, &next, 0);
			return;
		case RF__STEP_END:
		case RF__STEP_CUT:
			on_plain_eof(c, s, step == RF__STEP_END);
			return;
		case RF__STEP_READY:
		case RF__STEP_FAILED:
			break;
		}
		fail_detail(c, s, err, detail);
		return;
	}
}

static bool is_redirect(int status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

static void follow_redirect(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	char *next = NULL;
	int err = rf__url_resolve(r->cur_url, s->resp.location, &next);
	if (err) {
		fail_detail(c, s, RF_EREDIRECT_LOCATION, "cannot resolve Location");
		return;
	}
	struct rf__url nu;
	const char *why;
	err = rf__url_parse(next, &nu, &why);
	char shown[120];
	rf__url_redact(next, shown, sizeof(shown));
	if (err) {
		rf__slot_error(s, err == RF_ESCHEME ? RF_ESCHEME : RF_EREDIRECT_LOCATION, false,
		               "Location %.100s: %.100s", shown, why);
		free(next);
		rf__slot_finish_step(c, s);
		return;
	}
	if (r->redirects >= (unsigned)c->opts.max_redirs) {
		rf__slot_error(s, RF_ETOO_MANY_REDIRECTS, false, "more than %d", c->opts.max_redirs);
		free(next);
		rf__url_free(&nu);
		rf__slot_finish_step(c, s);
		return;
	}
	if (!r->visited) {
		r->visited = rf__calloc((size_t)c->opts.max_redirs + 1, sizeof(uint64_t));
		if (!r->visited) {
			free(next);
			rf__url_free(&nu);
			rf__slot_fail(c, s, -ENOMEM);
			return;
		}
		r->visited[0] = rf__hash64(r->url);
	}
	uint64_t h = rf__hash64(next);
	for (unsigned i = 0; i <= r->redirects; i++) {
		if (r->visited[i] == h) {
			rf__slot_error(s, RF_EREDIRECT_LOOP, false, "back to %.100s", shown);
			free(next);
			rf__url_free(&nu);
			rf__slot_finish_step(c, s);
			return;
		}
	}
	r->visited[++r->redirects] = h;
	rf__auth_redirect(&r->auth, &nu, c->opts.location_trusted != 0);
	if (r->cur_url != r->url)
		free(r->cur_url);
	r->cur_url = next;
	rf__url_free(&r->u);
	r->u = nu;
	rf__slot_end(s, RF__END_REQUEUE);
	rf__slot_finish_step(c, s);
}

/* The response ended (or was abandoned after its headers); conn goes back
 * to the pool if it can carry another request. */
void rf__slot_response_end(rf_client *c, struct rf__slot *s, bool reusable)
{
	if (s->rx.big && s->conn)
		rf__conn_set_recv_size(s->conn, 0); /* pooled conns stay small */
	if (s->sess) {
		h2_release(c, s); /* the stream ends (reset when the body is not wanted) */
	} else if (s->rx.ms == RF__MS_ARMED) {
		/* no other request may use the conn while our multishot receive
		 * is armed on it: cancel that; finish_step releases the conn */
		s->rx.ms_keep_conn = reusable;
		if (!s->cancel_sent) {
			rf__op_cancel(c->loop, s->sock_tag);
			s->cancel_sent = true;
		}
	} else {
		rf__conn_release(c, s->conn, reusable);
		s->conn = NULL;
	}
	s->resp_ended = true;
	rf__slot_end(s, RF__END_DONE);
	int st = s->resp.status;
	if (s->redirect_status) {
		follow_redirect(c, s);
	} else if (s->sink.range_complete) {
		rf__slot_finish_step(c, s); /* what is on disk is the whole file */
	} else if (st == 416 && s->sink.resume_from > 0 && !s->sink.owned) {
		/* a file the user named (-o) that is no download of this URL:
		 * longer than the resource, it is left alone (curl refuses too) */
		rf__slot_error(s, RF_ERANGE, false,
		               "%s holds %lld bytes, more than the resource has, and "
		               "no origin record of this URL: left as it is",
		               s->sink.resume_final ? s->req->path : s->sink.part,
		               (long long)s->sink.resume_from);
		rf__slot_finish_step(c, s);
	} else if (st == 416 && s->sink.resume_from > 0) {
		/* our prefix is longer than the resource: it changed, start over */
		s->req->fresh = true;
		snprintf(s->req->note, sizeof(s->req->note),
		         "the partial file was longer than the resource: restarted from zero");
		rf__slot_end(s, RF__END_REQUEUE);
		rf__slot_finish_step(c, s);
	} else if (st < 200 || st > 299) {
		rf__slot_fail(c, s, RF_EHTTP_STATUS);
	} else {
		rf__slot_finish_step(c, s);
	}
}

#define DRAIN_MAX (64 * 1024)  /* read and drop bodies up to this, to keep the conn */
#define RECORD_MAX (16u << 20) /* ... up to this when the sink records them (WARC) */

/* The response's Set-Cookie values into the store (redirects too: their
 * cookies go with the next hop when it is theirs). */
static void take_cookies(rf_client *c, struct rf__slot *s)
{
	struct rf__resp_cookies *k = s->ex.cookies;
	int64_t now = (int64_t)time(NULL);
	for (size_t at = 0; at < k->len; at += strlen(k->text + at) + 1) {
		const char *why;
		if (c->group)
			rf__group_lock_cookies(c->group);
		bool taken = rf__cookies_set(c->cookies, s->req->u.host, s->req->u.target, s->req->u.tls,
		                             k->text + at, now, &why);
		if (c->group)
			rf__group_unlock_cookies(c->group);
		if (!taken && c->opts.on_debug) {
			char text[200];
			snprintf(text, sizeof(text), "cookie refused: %s", why);
			debug_text(c, s, RF_DEBUG_INFO, text);
		}
	}
	explicit_bzero(k->text, k->len);
	k->len = k->start = 0;
}

static void on_headers(rf_client *c, struct rf__slot *s)
{
	int st = s->resp.status;
	if (c->cookies && s->ex.cookies && s->ex.cookies->len)
		take_cookies(c, s);
	if (c->opts.on_debug && s->ex.trace && s->ex.trace->len) {
		struct rf__resp_trace *t = s->ex.trace;
		while (t->len && t->text[t->len - 1] == '\n')
			t->text[--t->len] = 0;
		debug_text(c, s, RF_DEBUG_RESPONSE, t->text);
	}
	if (st == 206 && !s->req->job && s->sink.resume_from > 0 && !rf__sink_same_version(s)) {
		/* a server ignoring If-Range sent the range of another version:
		 * never spliced onto ours (RFC 9110 15.3.7.3); start over */
		s->req->fresh = true;
		snprintf(s->req->note, sizeof(s->req->note),
		         "the server answered the range with "
		         "another version of the file (its validator changed): restarted from zero");
		rf__slot_end(s, RF__END_REQUEUE);
		s->body = RF__BODY_DISCARD;
		rf__slot_response_end(c, s, false);
		return;
	}
	if (st >= 200 && st <= 299 && c->opts.max_filesize &&
	    !(c->opts.compressed && !rf__decode_identity(s->resp.content_encoding))) {
		int64_t a, b, total = -1;
		if (st == 206 && !s->req->range &&
		    rf__field_content_range(s->resp.content_range, &a, &b, &total))
			total = -1; /* checked where the range is */
		else if ((st != 206 || s->req->range) && s->resp.has_length)
			total = (int64_t)s->resp.content_length;
		if (total > 0 && (uint64_t)total > c->opts.max_filesize) {
			char d[120];
			snprintf(d, sizeof(d), "the server announces %lld bytes, more than the limit of %llu",
			         (long long)total, (unsigned long long)c->opts.max_filesize);
			s->body = RF__BODY_DISCARD;
			fail_detail(c, s, RF_ETOO_BIG, d);
			return;
		}
	}
	if (st >= 200 && st <= 299) {
		s->body = RF__BODY_SINK;
		/* a large body gets big receive buffers while the budget lasts:
		 * fewer, larger recvs and writes */
		uint64_t big_body = 8 * (uint64_t)c->opts.recv_buffer;
		if (!s->rx.big && c->big_in_use < c->big_max &&
		    (!s->resp.has_length || s->resp.content_length >= big_body)) {
			s->rx.big = true;
			c->big_in_use++;
			/* no recv is in flight here: ciphertext in big pieces too */
			if (s->conn)
				rf__conn_set_recv_size(s->conn, c->opts.big_buffer / 4);
		}
		rf__sink_headers(c, s);
		if (s->err)
			rf__slot_finish_step(c, s);
		return;
	}
	s->body = RF__BODY_DISCARD;
	if (st == 407 && !s->req->u.tls && route_proxy(s)) { /* from the proxy itself */
		char d[200];
		snprintf(d, sizeof(d), "proxy %s: %s", route_proxy(s)->hostport,
		         route_proxy(s)->basic ? "it refused the credentials given"
		                               : "it asks for credentials, none were given");
		fail_detail(c, s, RF_EPROXY_AUTH, d);
		return;
	}
	if (st == 304 && s->sink.mirror_have) { /* mirroring: ours is current */
		s->sink.range_complete = true;
		s->sink.resume_final = true;
		s->sink.skipped = true;
		snprintf(s->req->note, sizeof(s->req->note), "up to date");
	}
	if (st == 416 && s->sink.resume_from > 0) {
		int64_t start, end, total;
		if (rf__field_content_range(s->resp.content_range, &start, &end, &total) == 0 &&
		    total == s->sink.resume_from) {
			s->sink.range_complete = true;
			s->sink.skipped = s->sink.resume_final;
			if (!s->req->split_done) /* a split job's note stays */
				snprintf(s->req->note, sizeof(s->req->note), "%s",
				         s->sink.resume_final ? "already complete"
				                              : "the partial file was complete");
		}
	}
	if (is_redirect(st) && s->req->job) {
		fail_detail(c, s, RF_ERANGE, "a segment request was redirected");
		return;
	}
	if (is_redirect(st) && c->opts.max_redirs > 0) {
		if (s->resp.location_len == 0 || s->resp.location_too_long) {
			fail_detail(c, s, RF_EREDIRECT_LOCATION,
			            s->resp.location_too_long ? "Location too long" : "no Location header");
			return;
		}
		s->redirect_status = st;
	}
	/* a sink that keeps the response as it came (WARC) records an error's or
	 * a redirect's body too: read whole up to RECORD_MAX (a length not
	 * given is read to its end, as a body of any status) */
	bool records = s->sink.ops && s->sink.ops->wire;
	uint64_t drain = records ? RECORD_MAX : DRAIN_MAX;
	if (!s->resp.complete && !(records && !s->resp.has_length) &&
	    !(s->resp.has_length && s->resp.content_length <= drain))
		rf__slot_response_end(c, s, false); /* not worth draining: close instead */
}

/* The peer closed the connection; clean: TLS close_notify or plain TCP. */
static void on_plain_eof(rf_client *c, struct rf__slot *s, bool clean)
{
	int e = rf__exchange_eof(&s->ex);
	if (e == RF_ENOANSWER && stale_eligible(c, s, 0))
		stale_retry(c, s);
	else if (e)
		fail_detail(c, s, e, s->resp.error_detail);
	else if (!clean) /* a close-delimited body needs close_notify to be proven */
		fail_detail(c, s, RF_ETRUNCATED, "connection closed without TLS close_notify");
	else
		rf__slot_response_end(c, s, false);
}

/* n response bytes (plaintext) arrived in buffer bi. */
static void parse_plain(rf_client *c, struct rf__slot *s, unsigned bi, size_t n);
static void after_feed(rf_client *c, struct rf__slot *s, struct rf__buf *b, bool extra);

static void on_plain(rf_client *c, struct rf__slot *s, unsigned bi, size_t n)
{
	parse_plain(c, s, bi, n);
	if (s->rx.buf[bi].state == RF__BUF_FREE)
		rf__buf_release(c->loop, &s->rx.buf[bi]); /* nothing of it is held */
}

static void parse_plain(rf_client *c, struct rf__slot *s, unsigned bi, size_t n)
{
	struct rf__buf *b = &s->rx.buf[bi];
	b->state = RF__BUF_FREE;
	if (!s->t_first_byte)
		s->t_first_byte = c->now - s->req->t_start;
	s->last_io = c->now;
	size_t consumed;
	bool wire = s->sink.ops && s->sink.ops->wire;
	if (wire) /* the response as it came (WARC): before the parse, which
	             takes a chunked body's framing out in place */
		s->sink.ops->wire(c, s, b->data, n, 0);
	int e = rf__exchange_feed(&s->ex, b->data, n, &consumed);
	if (e) {
		fail_detail(c, s, e, s->resp.error_detail);
		return;
	}
	if (wire && consumed < n) /* the rest is not this response's */
		s->sink.ops->wire(c, s, NULL, 0, n - consumed);
	after_feed(c, s, b, consumed < n || rf__conn_buffered(s->conn));
}

/* What a feed brought (the header section, a body span in b, the end):
 * acted on.  extra: bytes after the response came (no reuse). */
static void after_feed(rf_client *c, struct rf__slot *s, struct rf__buf *b, bool extra)
{
	if (s->resp.headers_done && s->body == RF__BODY_UNDECIDED) {
		on_headers(c, s);
		if (s->end == RF__END_FAILED || s->resp_ended)
			return;
	}
	bool cut = false; /* a segment's end came before the response's */
	if (s->resp.body_len > 0 && s->body == RF__BODY_SINK && s->sink.segment) {
		int64_t end = rf__split_end(s->req);
		if (s->next_off + (int64_t)s->resp.body_len >= end) {
			size_t keep = end > s->next_off ? (size_t)(end - s->next_off) : 0;
			cut = keep < s->resp.body_len || !s->resp.complete;
			s->resp.body_len = keep;
		}
	}
	if (s->resp.body_len > 0 && s->body == RF__BODY_SINK && c->opts.max_filesize && !s->sink.dec &&
	    (uint64_t)s->next_off + s->resp.body_len > c->opts.max_filesize) {
		char d[120];
		snprintf(d, sizeof(d), "more than the limit of %llu bytes arrived",
		         (unsigned long long)c->opts.max_filesize);
		fail_detail(c, s, RF_ETOO_BIG, d);
		return;
	}
	if (s->resp.body_len > 0 && s->body == RF__BODY_SINK) {
		if (!s->sink.dec) /* a decoded body is digested as it is decoded */
			rf__sink_digest(s, s->resp.body, s->resp.body_len);
		s->body_in += s->resp.body_len;
		b->state = RF__BUF_HELD;
		b->body = s->resp.body;
		b->body_len = s->resp.body_len;
		b->written = 0;
		b->off = s->next_off;
		b->seq = s->next_seq++;
		s->next_off += (int64_t)b->body_len;
		if (s->sink.segment)
			rf__split_received(s->req, s->next_off);
		rf__sink_pump(c, s);
		if (s->err) {
			rf__slot_finish_step(c, s);
			return;
		}
	}
	if (cut) { /* the rest belongs to another segment: this connection goes */
		rf__slot_response_end(c, s, false);
		return;
	}
	if (s->resp.complete)
		rf__slot_response_end(c, s, s->resp.keep_alive && !extra);
}

/* ---- HTTP/2: the slot's stream on a session ----
 * The session lands the stream's body in one of the slot's buffers (the
 * landing); the slot hands a landing with bytes to the sink when no other
 * buffer is held, and gives the stream the other buffer to land in.  The
 * stream's window is at most a landing's size and opens only for bytes of
 * buffers the sink let go (h2_owed), so a landing can never overflow and a
 * slow sink holds the server back on this stream alone. */

static struct rf__h2_stream *stream_of(struct rf__slot *s)
{
	return &s->ex.proto.h2;
}

static void h2_open(rf_client *c, struct rf__slot *s)
{
	set_state(s, RF__SLOT_RECEIVING);
	int bi = free_buf(c, s);
	if (bi < 0)
		return; /* out of memory: failed */
	struct rf__buf *b = &s->rx.buf[bi];
	struct rf__h2_stream *st = stream_of(s);
	int err = rf__session_open(c, s->sess, st, &s->resp, s->tx.buf, s->tx.len, s->req->u.tls, b->data,
	                           b->cap);
	if (err) {
		fail_detail(c, s, err, st->detail[0] ? st->detail : "no stream could be opened");
		return;
	}
	b->state = RF__BUF_RECV;
	s->rx.land = bi;
	debug_info(c, s, "HTTP/2 stream %d", (int)st->id);
}

/* The stream's window opens for the bytes of buffers the sink let go. */
static void h2_consume_freed(rf_client *c, struct rf__slot *s)
{
	size_t n = 0;
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++) {
		struct rf__buf *b = &s->rx.buf[i];
		if (b->state == RF__BUF_FREE && b->h2_owed) {
			n += b->h2_owed;
			b->h2_owed = 0;
		}
	}
	if (n && s->sess)
		rf__session_consume(c, s->sess, stream_of(s), n);
}

/* The stream is done with (ended, failed, or its body not wanted): the
 * session resets it if it is still open and counts its bytes consumed. */
static void h2_release(rf_client *c, struct rf__slot *s)
{
	struct rf__session *x = s->sess;
	if (!x)
		return;
	struct rf__h2_stream *st = stream_of(s);
	if (st->id)
		debug_info(c, s,
		           "HTTP/2 stream %d: %u HEADERS and %u DATA frames (%llu body bytes) received, %s",
		           (int)st->id, st->frames_headers, st->frames_data, (unsigned long long)st->data_in,
		           st->ended          ? "ended by the server"
		           : st->closed       ? "closed by the server"
		           : s->resp.complete ? "complete"
		                              : "reset (CANCEL): not wanted any more");
	s->sess = NULL;
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++)
		s->rx.buf[i].h2_owed = 0;
	if (s->rx.land >= 0) {
		s->rx.buf[s->rx.land].state = RF__BUF_FREE;
		s->rx.land = -1;
	}
	rf__session_close_stream(c, x, stream_of(s));
}

static bool any_held(const struct rf__slot *s)
{
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++)
		if (s->rx.buf[i].state == RF__BUF_HELD)
			return true;
	return false;
}

/* Feed the exchange what landed in b (NULL: nothing; the headers, the end
 * or the stream's failure are news). */
static void h2_feed(rf_client *c, struct rf__slot *s, struct rf__buf *b, size_t n)
{
	if (b)
		b->state = RF__BUF_FREE;
	if (!s->t_first_byte)
		s->t_first_byte = c->now - s->req->t_start;
	s->last_io = c->now;
	size_t consumed;
	int e = rf__exchange_feed(&s->ex, b ? b->data : NULL, n, &consumed);
	if (e) {
		fail_detail(c, s, e, s->resp.error_detail);
		return;
	}
	after_feed(c, s, b, false);
}

/* The stream failed.  One the server did not process (refused, beyond a
 * GOAWAY's last stream, or a reused session that closed before any answer)
 * goes again at once, as a request on a stale kept-alive connection. */
static void h2_failed(rf_client *c, struct rf__slot *s)
{
	struct rf__h2_stream *st = stream_of(s);
	bool unprocessed = st->refused || (s->conn_reused && !st->headers && st->data_in == 0 &&
	                                   (st->error == RF_ETRUNCATED || rf__conn_stale_close(st->error)));
	if (unprocessed && s->req->stale_retries <= c->opts.max_inflight) {
		s->req->stale_retries++;
		debug_info(c, s, "the server did not process the stream (%s): it goes again", st->detail);
		rf__slot_end(s, RF__END_REQUEUE);
		rf__slot_finish_step(c, s);
		return;
	}
	h2_feed(c, s, NULL, 0); /* the exchange says the error */
}

static void h2_step(rf_client *c, struct rf__slot *s)
{
	struct rf__h2_stream *st = stream_of(s);
	h2_consume_freed(c, s);
	while (s->sess && s->end == RF__END_NONE && s->state == RF__SLOT_RECEIVING) {
		if (st->error) {
			h2_failed(c, s);
			return;
		}
		if (st->land_len > 0) {
			if (any_held(s) || rate_held(c, s))
				return; /* the sink first: the stream's window stays shut */
			int nb = free_buf(c, s);
			if (nb < 0)
				return; /* out of memory: failed */
			struct rf__buf *old = &s->rx.buf[s->rx.land];
			size_t n = st->land_len;
			s->rx.buf[nb].state = RF__BUF_RECV;
			s->rx.land = nb;
			rf__session_land(c, s->sess, st, s->rx.buf[nb].data, s->rx.buf[nb].cap);
			old->h2_owed = n;
			rate_spend(c, s, (int)n);
			h2_feed(c, s, old, n);
			h2_consume_freed(c, s);
			continue;
		}
		if (st->headers && (s->body == RF__BODY_UNDECIDED || (st->ended && !s->resp.complete))) {
			h2_feed(c, s, NULL, 0);
			continue;
		}
		return;
	}
}

void rf__slot_h2_news(rf_client *c, struct rf__slot *s)
{
	if (s->state == RF__SLOT_FREE || !s->sess)
		return;
	if (s->end != RF__END_NONE) {
		rf__slot_finish_step(c, s);
		return;
	}
	h2_step(c, s);
}

/* A send or receive (plaintext or ciphertext) failed. */
static void on_io_error(rf_client *c, struct rf__slot *s, int res)
{
	if (res == -ECANCELED || s->err)
		rf__slot_finish_step(c, s);
	else if (stale_eligible(c, s, res))
		stale_retry(c, s);
	else
		rf__slot_fail(c, s, res);
}

static void on_recv(rf_client *c, struct rf__slot *s, unsigned bi, int res)
{
	bool pooled = s->rx.buf[bi].pool_recv;
	if (res <= 0)
		rf__buf_release(c->loop, &s->rx.buf[bi]);
	if (res == -ENOBUFS && pooled) {
		/* bytes are there but every pool buffer is taken: the client
		 * receives again when some come back (rf__slot_pool_ready) */
		s->rx.pool_wait = true;
		return;
	}
	if (res < 0) {
		on_io_error(c, s, res);
		return;
	}
	if (res == 0) {
		on_plain_eof(c, s, true);
		return;
	}
	on_plain(c, s, bi, (size_t)res);
	arm_recv(c, s);
}

void rf__slot_pool_ready(rf_client *c, struct rf__slot *s)
{
	if (!s->rx.pool_wait)
		return;
	s->rx.pool_wait = false;
	arm_recv(c, s);
}

static void on_tls_recv(rf_client *c, struct rf__slot *s, int res)
{
	if (res < 0) {
		on_io_error(c, s, res);
		return;
	}
	s->last_io = c->now; /* the stack took the ciphertext (rf__conn_completed) */
	if (s->state == RF__SLOT_HANDSHAKE)
		handshake_step(c, s);
	else
		arm_recv(c, s);
}

static void on_send(rf_client *c, struct rf__slot *s, int res)
{
	if (res < 0) {
		on_io_error(c, s, res);
		return;
	}
	s->last_io = c->now; /* counted sent (rf__conn_completed) */
	if (send_more(c, s))
		return;
	if (s->state == RF__SLOT_HANDSHAKE) {
		handshake_step(c, s);
		return;
	}
	if (s->state == RF__SLOT_SENDING)
		set_state(s, RF__SLOT_RECEIVING);
	arm_recv(c, s);
}

static void after_splice(rf_client *c, struct rf__slot *s, enum rf__splice_outcome o)
{
	if (o == RF__SPLICE_STOP)
		rf__slot_finish_step(c, s);
	else if (o == RF__SPLICE_BODY_DONE)
		rf__slot_response_end(c, s, false); /* never reused: see splice.c */
}

/* A send or receive that moved nothing (-EAGAIN, -EINTR): ask the
 * connection again, which submits the same op. */
static void reissue(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned buf)
{
	if (op == RF__OP_SEND || op == RF__OP_TLS_SEND)
		send_more(c, s);
	else if (s->state == RF__SLOT_HANDSHAKE)
		handshake_step(c, s);
	else {
		if (op == RF__OP_RECV)
			rf__buf_release(c->loop, &s->rx.buf[buf]);
		arm_recv(c, s);
	}
}

void rf__slot_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned buf, int res,
                            unsigned flags)
{
	if (op == RF__OP_RECV || op == RF__OP_TLS_RECV || op == RF__OP_RECV_MULTI || op == RF__OP_SPLICE_IN)
		rate_spend(c, s, res);
	if (op == RF__OP_RECV_MULTI) {
		on_recv_multi(c, s, res, flags);
		return;
	}
	if (op == RF__OP_RECV && (flags & RF__F_POOL)) {
		unsigned room;
		char *at = rf__loop_pool_piece(c->loop, flags, &room);
		attach_pool_buf(&s->rx.buf[buf], rf__f_bid(flags), at, room);
	}
	if (op == RF__OP_SOCKET || op == RF__OP_CONNECT) {
		on_dial(c, s, op, buf, res);
		return;
	}
	switch (op) {
	case RF__OP_SEND:
	case RF__OP_RECV:
	case RF__OP_TLS_SEND:
	case RF__OP_TLS_RECV:
	case RF__OP_SPLICE_IN:
		s->sock_busy = false;
		if (op == RF__OP_SPLICE_IN) {
			after_splice(c, s, rf__splice_on_in(c, s, res));
			return;
		}
		if (rf__slot_abandoned(s)) {
			/* the slot is tearing down; only the bookkeeping matters */
			if (op == RF__OP_RECV)
				rf__buf_release(c->loop, &s->rx.buf[buf]);
			rf__slot_finish_step(c, s);
			return;
		}
		if (rf__conn_completed(s->conn, op, res) == RF__CONN_AGAIN) {
			reissue(c, s, op, buf); /* nothing moved: the same op again */
			return;
		}
		if (op == RF__OP_SEND || op == RF__OP_TLS_SEND)
			on_send(c, s, res);
		else if (op == RF__OP_TLS_RECV)
			on_tls_recv(c, s, res);
		else
			on_recv(c, s, buf, res);
		return;
	case RF__OP_SPLICE_OUT:
		after_splice(c, s, rf__splice_on_out(c, s, res));
		return;
	default:
		if (rf__sink_on_completion(c, s, op, buf, res) && !rf__slot_abandoned(s)) {
			begin_send(c, s); /* the prefix on disk is hashed */
			return;
		}
		if (s->end != RF__END_NONE)
			rf__slot_finish_step(c, s);
		else
			arm_recv(c, s);
		return;
	}
}

int64_t rf__slot_deadline(const rf_client *c, const struct rf__slot *s, int *which)
{
	int64_t d = INT64_MAX;
	if (s->state == RF__SLOT_FREE || s->state == RF__SLOT_FINISHING || s->end != RF__END_NONE)
		return d;
	if (s->req->deadline) {
		d = s->req->deadline;
		*which = RF_EMAX_TIME;
	}
	if (s->state == RF__SLOT_PREPARING)
		return d; /* local disk work: only the whole deadline applies */
	if (s->state == RF__SLOT_RESOLVING || s->state == RF__SLOT_CONNECTING ||
	    s->state == RF__SLOT_HANDSHAKE) {
		if (s->cx.deadline && s->cx.deadline < d) {
			d = s->cx.deadline;
			*which = RF_ECONNECT_TIMEOUT;
		}
		if (s->state == RF__SLOT_CONNECTING && s->cx.stagger_at && s->cx.stagger_at < d &&
		    free_dial(s) >= 0) {
			d = s->cx.stagger_at;
			*which = RF__STAGGER_WAKE;
		}
	} else if (s->rx.rate_until) {
		/* our own rate limit holds the receive: no idle timeout meanwhile */
		if (s->rx.rate_until < d) {
			d = s->rx.rate_until;
			*which = RF__RATE_WAKE;
		}
	} else if (c->opts.idle_timeout > 0) {
		/* bytes trickling in keep a body alive, but not a header section */
		int64_t from = s->resp.headers_done ? s->last_io : s->tx.at;
		int64_t t = from + (int64_t)(c->opts.idle_timeout * 1e9);
		if (t < d) {
			d = t;
			*which = RF_EIDLE_TIMEOUT;
		}
	}
	return d;
}

void rf__slot_timeout(rf_client *c, struct rf__slot *s, int err)
{
	if (!s->err && err == RF_ECONNECT_TIMEOUT) {
		if (s->state == RF__SLOT_RESOLVING)
			snprintf(s->detail, sizeof(s->detail), "resolving %s%s",
			         route_proxy(s) ? "proxy " : "",
			         route_proxy(s) ? route_proxy(s)->host : s->req->u.host);
		else if (s->state == RF__SLOT_HANDSHAKE && s->conn->tunnel)
			snprintf(s->detail, sizeof(s->detail), "waiting for proxy %s to open the tunnel",
			         route_proxy(s)->hostport);
		else if (s->state == RF__SLOT_HANDSHAKE)
			snprintf(s->detail, sizeof(s->detail), "TLS handshake");
		else if (s->cx.addrs && s->cx.addr_i < s->cx.addrs->n) {
			size_t at = (size_t)snprintf(s->detail, sizeof(s->detail), "%s",
			                             route_proxy(s) ? "proxy " : "");
			addr_text(&s->cx.addrs->a[s->cx.addr_i], dial_port(s), s->detail + at,
			          sizeof(s->detail) - at);
		}
	}
	if (!s->err && err == RF_EIDLE_TIMEOUT && !s->resp.headers_done && s->resp.consumed_total)
		snprintf(s->detail, sizeof(s->detail), "response header section incomplete after %g s",
		         c->opts.idle_timeout);
	rf__slot_fail(c, s, err);
}

void rf__slot_finish_step(rf_client *c, struct rf__slot *s)
{
	if (s->end == RF__END_NONE)
		return;
	if (s->state != RF__SLOT_FINISHING)
		set_state(s, RF__SLOT_FINISHING);
	if (dials_stop(c, s))
		return;
	if (s->sock_busy) {
		if (!s->cancel_sent) {
			assert(rf__tag_op(s->sock_tag) != RF__OP_NONE); /* busy names a live op */
			rf__op_cancel(c->loop, s->sock_tag);
			s->cancel_sent = true;
		}
		return;
	}
	rf__dns_release(s->cx.dns);
	s->cx.dns = NULL;
	h2_dial_done(c, s, false, true);
	h2_release(c, s);
	if (s->rx.ms_npend) { /* a multishot receive's bytes nobody will parse */
		if (s->resp_ended)
			s->rx.ms_keep_conn = false;
		ms_drop_pending(c, s);
	}
	if (s->conn) {
		/* reusable only when a multishot receive held it past a clean end */
		rf__conn_release(c, s->conn, s->rx.ms_keep_conn && !s->err && !s->rx.ms_npend);
		s->conn = NULL;
	}
	if (!rf__sink_finish(c, s) || s->ops)
		return;
	s->finished = true; /* the client reports and recycles it */
}

void rf__slot_check(const rf_client *c, const struct rf__slot *s)
{
#ifdef RF_SLOT_CHECKS
	if (s->state == RF__SLOT_FREE) {
		assert(s->ops == 0 && !s->req && !s->conn && !s->sock_busy);
		return;
	}
	assert(s->req && s->idx < c->nslots && &c->slots[s->idx] == s);
	/* the end value and the error say the same */
	assert((s->err != 0) == (s->end == RF__END_FAILED));
	assert(!s->resp_ended || s->end != RF__END_NONE);
	assert(s->state != RF__SLOT_FINISHING || s->end != RF__END_NONE);
	assert(!s->finished || (s->ops == 0 && !s->conn && s->sink.writes == 0));
	/* every op in flight is counted: the socket op, each write, each dial */
	unsigned in_flight = s->sock_busy + s->sink.writes;
	for (unsigned i = 0; i < RF__SLOT_DIALS; i++)
		in_flight += s->cx.dial[i].busy;
	assert(s->ops >= in_flight);
	assert(!s->sock_busy || rf__tag_op(s->sock_tag) != RF__OP_NONE);
	assert(s->rx.ms != RF__MS_ARMED || (s->sock_busy && rf__tag_op(s->sock_tag) == RF__OP_RECV_MULTI));
	assert(s->rx.ms_npend <= s->rx.ms_cap);
	/* buffers: a held one has body bytes inside its memory; writes in
	 * flight are the sink's (decoded ones come from its own buffer) */
	unsigned writing = 0;
	for (unsigned i = 0; i < RF__SLOT_BUFS; i++) {
		const struct rf__buf *b = &s->rx.buf[i];
		assert(!b->pooled || b->data);
		assert(!b->writing || b->state == RF__BUF_HELD);
		if (b->state == RF__BUF_HELD) {
			assert(b->body && b->written <= b->body_len);
			assert(b->body >= b->data && b->body + b->body_len <= b->data + b->cap);
		}
		writing += b->writing;
	}
	assert(writing + s->sink.dec_writing <= s->sink.writes);
	assert(s->rx.partial < 0 || (unsigned)s->rx.partial < RF__SLOT_BUFS);
	assert(!s->sink.ops || s->sink.ops->finish);
	assert(s->sink.file == RF__FILE_NONE || s->sink.ops == &rf__sink_file_ops);
#else
	(void)c, (void)s;
#endif
}
