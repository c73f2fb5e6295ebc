/*
 * bench.c - the load generator (rf_bench_*, ringfetch.h): threads, each
 * with its own ring, connections, TLS context and histograms, drive
 * requests at a server and record every response; the results of all
 * threads are merged at the end.
 *
 * A bench connection is a small state machine of its own, leaner than a
 * fetch slot: its request bytes are built once per URL at rf_bench_new,
 * responses are parsed by http1.c and dropped (no copy beyond the
 * receive), nothing is pooled, redirected, retried or written.  It uses the
 * same connection stack (conn.c: TCP, TLS over memory BIOs) and ring
 * (loop.c) as the fetcher.
 *
 *   CLOSED -> CONNECTING -> HANDSHAKE (https) -> IDLE <-> BUSY (a request)
 *   any state with an error, or a response without keep-alive -> DRAINING
 *   (the socket is shut down; every op it still has in flight completes)
 *   -> CLOSED, then what was decided: the next request, the same one again
 *   (a kept-alive connection the server had closed), or nothing.
 *
 * Schedules.  Closed model: a connection sends its next request when the
 * last response is in; latency runs from the send.  Open model (a rate):
 * thread t with c connections and rate r (its share) releases request k at
 * t0 + phase + k/r onto connection k mod c; a busy connection owes it and
 * sends it the moment it is free; latency runs from the due time.  So a
 * server that stalls is charged the wait of every request that fell due
 * meanwhile, not just of the few in flight (coordinated omission).
 *
 * Window.  A request counts when its origin (due or send time) is at or
 * after t0 + warmup and, with a duration, before the end.  At the end no new
 * request goes out; those in flight finish or time out and count; requests
 * owed but never sent are counted as unsent.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addrlist.h"
#include "alloc.h"
#include "bench_tally.h"
#include "conn.h"
#include "hdr.h"
#include "http1.h"
#include "http2.h"
#include "loop.h"
#include "ringfetch.h"
#include "schedule.h"
#include "tls.h"
#include "url.h"
#include "fields.h"

#define DEFAULT_RECV (16 * 1024)
#define SCAN_NS 100000000    /* timeouts are checked every 100 ms */
#define PUBLISH_NS 200000000 /* live figures refreshed every 200 ms */
#define SAMPLE_LEN RF__TALLY_SAMPLE
#define LATE_NS 1000000      /* sent this late with the connection free: late */
#define MAX_WEIGHT 1000000   /* per target */
#define MAX_WHEEL (1u << 22) /* an origin's targets' weights together */

struct bench_target {
	char *req; /* the whole request, body included */
	size_t req_len;
	bool head;
	char *url;          /* as given, for reports and error samples */
	const char *method; /* one of check_opts' names */
	unsigned weight, origin;
};

struct bench_origin {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	int family;
	bool tls, ip_literal;
	char *host, *key; /* name checked on the certificate; session cache key */
	char *shown;      /* host:port, for messages */
	unsigned *wheel;  /* its targets (indexes into rf_bench.targets), each
	                    as often as its weight, interleaved */
	unsigned wheel_len;
	unsigned n_conns; /* connections that serve it */
};

enum bconn_state { BC_CLOSED, BC_CONNECTING, BC_HANDSHAKE, BC_IDLE, BC_BUSY, BC_DRAINING };
enum bconn_then { THEN_NOTHING, THEN_NEXT, THEN_SAME };

struct bconn {
	struct rf__conn k;
	enum bconn_state state;
	enum bconn_then then; /* DRAINING: what follows the close */
	unsigned idx, origin;
	uint32_t gen;       /* bumped each time it is closed: in its ops' tags */
	unsigned ops;       /* ring ops in flight */
	bool want;          /* a request waits for the connection */
	bool counted;       /* that request is in the measured window */
	bool served;        /* this connection completed a response */
	bool stale_retried; /* the request was resent once already */
	bool recv_armed;
	uint32_t seq;      /* requests sent on this connection */
	int64_t origin_ns; /* latency origin: due or send time */
	int64_t send_ns;   /* the request went out */
	int64_t first_ns;  /* first response byte, 0 before */
	int64_t start_ns;  /* connect (or handshake) phase began */
	int64_t deadline;  /* timeout of the current phase, 0 none */
	uint64_t next_k;   /* open model: first owed request */
	uint64_t owed;
	uint64_t resp_bytes;
	const struct bench_target *cur;
	char *buf;
	struct rf__http1_resp h1; /* the lean parse ... */
	struct rf__response rsp;  /* ... and what it found */
	struct bsess *sess;       /* --http2: the session this lane's streams go on */
	struct rf__h2_stream st;  /* ... and its stream (it carries the response) */
};

/* --http2: a connection under lanes.  A lane is a struct bconn that sends
 * one request at a time, as an HTTP/1.1 connection does, so the schedules
 * deal requests to lanes unchanged; its request is a stream on the
 * session.  A thread's c sessions carry c x m lanes, lane i on session
 * i mod c, so consecutive lanes go to different connections. */
struct bsess {
	struct rf__conn k;
	struct rf__h2 *h2;      /* while connected */
	enum bconn_state state; /* CLOSED, CONNECTING, HANDSHAKE, IDLE (streams
	                           may open), DRAINING */
	unsigned idx, origin;
	uint32_t gen;
	unsigned ops;
	bool recv_busy, send_busy;
	unsigned waiting; /* lanes whose request found no stream free */
	int64_t start_ns, deadline;
	char *rx, *land;         /* plaintext in; where every stream's body lands (and
	                    is dropped: each lane's bytes are counted) */
	struct rf__h2_outbuf tx; /* frames being sent */
};

struct bench_thread {
	struct rf_bench *b;
	unsigned index;
	pthread_t tid;
	struct rf__loop *loop;
	bool send_zc; /* plain requests go out with SEND_ZC */
	struct rf__tls_ctx *tls;
	struct bconn *conns; /* connections, or --http2's lanes */
	unsigned n;
	struct bsess *sess; /* --http2: its sessions */
	unsigned nsess;
	bool telling;        /* a session's news are being handled: requests opened
	                 meanwhile go out together after them */
	unsigned first_conn; /* global index of conns[0] */
	int64_t now;
	unsigned busy; /* connections with a request out */
	/* schedule */
	bool open;              /* the open model */
	double share;           /* of the schedule: connections / all */
	unsigned *wheel_pos;    /* per origin: the next target on its wheel */
	uint64_t next_k, k_end; /* open model: next release, end */
	uint64_t quota, issued; /* closed model by count */
	uint64_t quota_used;    /* counted requests issued */
	int64_t next_scan, next_publish;
	/* results */
	struct rf__hdr *lat, *ttfb, *conn_h, *hs_h, *service;
	uint64_t requests, ok, bytes, errors[RF_BENCH_ERR_KINDS], status[600];
	uint64_t connects, handshakes, resumed, unsent, waited, late;
	struct rf__tally tally;
	char samples[RF_BENCH_ERR_KINDS][SAMPLE_LEN];
	int error;
	char error_detail[SAMPLE_LEN];
	/* live figures, read by the thread running rf_bench_run */
	_Atomic uint64_t pub_requests, pub_errors, pub_p99;
};

struct rf_bench {
	rf_bench_opts o;
	struct bench_target *targets;
	unsigned n_targets;
	struct bench_origin *origins;
	unsigned n_origins;
	unsigned *conn_origin; /* the origin of each connection */
	struct rf__schedule sched;
	bool open;       /* a rate or stages: the open model */
	int64_t step_ns; /* the time series' first step */
	struct bench_thread *threads;
	unsigned n_threads;
	pthread_barrier_t connected, go;
	int64_t t0, measure_start, measure_end; /* measure_end 0: by count */
	atomic_int stop;
	struct rf__tls_opts tls_opts;
	bool need_tls;
	rf_bench_results res;
	rf_hist *lat, *ttfb, *conn_h, *hs_h, *service;
	struct rf__tally tally; /* all threads' */
	rf_bench_target_results *target_results;
	rf_bench_step *steps;
	char samples[RF_BENCH_ERR_KINDS][SAMPLE_LEN];
	char io_mode[64], io_note[300];
};

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void say(rf_bench_opts *o, const char *fmt, const char *a, const char *b)
{
	if (o->error_detail && o->error_detail_len)
		snprintf(o->error_detail, o->error_detail_len, fmt, a, b);
}

/* ---- setup: URLs, origins, request bytes ---- */

static int find_origin(struct rf_bench *b, const struct rf__url *u)
{
	for (unsigned i = 0; i < b->n_origins; i++) {
		struct bench_origin *g = &b->origins[i];
		if (g->tls == u->tls && strcmp(g->shown, u->hostport) == 0)
			return (int)i;
	}
	return -1;
}

/* A --resolve pin for the origin: 1 (g filled), 0 (none), or RF_EINVAL. */
static int pinned(struct bench_origin *g, const struct rf__url *u, rf_bench_opts *o)
{
	for (size_t i = 0; i < o->n_pins; i++) {
		char *host;
		unsigned port;
		struct rf__addrlist *l;
		if (rf__pin_parse(o->pins[i], &host, &port, &l) != 0) {
			say(o, "--resolve %s: want HOST:PORT:ADDR[,ADDR...]%s", o->pins[i], "");
			return RF_EINVAL;
		}
		bool match = port == u->port && strcasecmp(host, u->host) == 0;
		if (match) {
			union rf__sockaddr a = l->a[0];
			if (a.sa.sa_family == AF_INET)
				a.in.sin_port = htons((uint16_t)port);
			else
				a.in6.sin6_port = htons((uint16_t)port);
			g->addr_len = rf__sockaddr_len(&a);
			memcpy(&g->addr, &a, g->addr_len);
			g->family = a.sa.sa_family;
		}
		free(host);
		rf__addrlist_unref(l);
		if (match)
			return 1;
	}
	return 0;
}

static int resolve(struct bench_origin *g, const struct rf__url *u, rf_bench_opts *o)
{
	int pin = pinned(g, u, o);
	if (pin)
		return pin < 0 ? pin : 0;
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char port[8];
	snprintf(port, sizeof(port), "%u", u->port);
	int e = getaddrinfo(u->host, port, &hints, &res);
	if (e || !res) {
		say(o, "cannot resolve %s: %s", u->host, gai_strerror(e));
		return RF_EDNS;
	}
	memcpy(&g->addr, res->ai_addr, res->ai_addrlen);
	g->addr_len = res->ai_addrlen;
	g->family = res->ai_family;
	freeaddrinfo(res);
	return 0;
}

static int add_target(struct rf_bench *b, unsigned ti, const rf_bench_target *want, const char *method)
{
	rf_bench_opts *o = &b->o;
	struct rf__url u;
	const char *why = "";
	int err = rf__url_parse(want->url, &u, &why);
	if (err) {
		char shown[300];
		rf__url_redact(want->url, shown, sizeof(shown));
		say(o, "bad URL %s: %s", shown, why);
		return err;
	}
	if (u.user) {
		rf__url_free(&u);
		say(o, "%s%s", "credentials in a bench URL are not supported: use -H 'Authorization: ...'",
		    "");
		return RF_EURL;
	}
	int gi = find_origin(b, &u);
	if (gi < 0) {
		struct bench_origin *g = &b->origins[b->n_origins];
		memset(g, 0, sizeof(*g));
		g->tls = u.tls;
		g->ip_literal = u.ip_literal;
		g->host = strdup(u.host);
		g->shown = strdup(u.hostport);
		size_t kl = strlen(u.host) + 8;
		g->key = malloc(kl);
		if (!g->host || !g->shown || !g->key) {
			rf__url_free(&u);
			return -ENOMEM;
		}
		snprintf(g->key, kl, "%s:%u", u.host, u.port);
		gi = (int)b->n_origins++;
		if ((err = resolve(g, &u, o))) {
			rf__url_free(&u);
			return err;
		}
		b->need_tls |= u.tls;
	}

	/* the request, built once */
	struct bench_target *t = &b->targets[ti];
	t->origin = (unsigned)gi;
	t->weight = want->weight ? want->weight : 1;
	t->method = method;
	t->url = strdup(want->url);
	t->head = strcmp(method, "HEAD") == 0;
	const void *body = want->body ? want->body : o->body;
	size_t body_len = want->body ? want->body_len : o->body_len;
	char extra[128] = "";
	int el = 0;
	if (body_len || strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0)
		el += snprintf(extra + el, sizeof(extra) - (size_t)el, "Content-Length: %zu\r\n", body_len);
	if (o->no_keepalive)
		el += snprintf(extra + el, sizeof(extra) - (size_t)el, "Connection: close\r\n");
	const char **headers = malloc((o->n_headers + want->n_headers + 1) * sizeof(*headers));
	if (headers) {
		for (size_t i = 0; i < o->n_headers; i++)
			headers[i] = o->headers[i];
		for (size_t i = 0; i < want->n_headers; i++)
			headers[o->n_headers + i] = want->headers[i];
	}
	struct rf__request_spec spec = {
		.method = method,
		.target = u.target,
		.hostport = u.hostport,
		.user_agent = "ringfetch/" RF_VERSION_STRING " bench",
		.extra = headers,
		.n_extra = o->n_headers + want->n_headers,
		.credentials = true,
		.raw_extra = extra,
	};
	size_t cap = 16384;
	char *head = headers ? malloc(cap) : NULL;
	int n = head ? rf__http1_request(head, cap, &spec) : -1;
	rf__url_free(&u);
	free(headers);
	if (!head || !t->url) {
		free(head);
		return -ENOMEM;
	}
	if (n < 0) {
		free(head);
		say(o, "%s%s", "request header section over 16 KiB", "");
		return RF_EHEADER;
	}
	t->req = malloc((size_t)n + body_len);
	if (!t->req) {
		free(head);
		return -ENOMEM;
	}
	memcpy(t->req, head, (size_t)n);
	if (body_len)
		memcpy(t->req + n, body, body_len);
	t->req_len = (size_t)n + body_len;
	free(head);
	return 0;
}

/* Each origin's wheel: its targets, target i weight_i times per turn, in
 * the order smooth weighted round-robin gives (nginx's: the largest
 * running credit goes next), so no target comes in bursts. */
static int build_wheels(struct rf_bench *b)
{
	for (unsigned gi = 0; gi < b->n_origins; gi++) {
		struct bench_origin *g = &b->origins[gi];
		uint64_t total = 0;
		unsigned n = 0;
		for (unsigned i = 0; i < b->n_targets; i++)
			if (b->targets[i].origin == gi) {
				total += b->targets[i].weight;
				n++;
			}
		if (total > MAX_WHEEL) {
			say(&b->o, "the weights of %s's URLs add up to over %s", g->shown, "4194304");
			return RF_EINVAL;
		}
		unsigned *idx = malloc(n * sizeof(*idx));
		int64_t *credit = calloc(n, sizeof(*credit));
		g->wheel = malloc(total * sizeof(*g->wheel));
		if (!idx || !credit || !g->wheel) {
			free(idx);
			free(credit);
			return -ENOMEM;
		}
		n = 0;
		for (unsigned i = 0; i < b->n_targets; i++)
			if (b->targets[i].origin == gi)
				idx[n++] = i;
		for (uint64_t k = 0; k < total; k++) {
			unsigned best = 0;
			for (unsigned j = 0; j < n; j++) {
				credit[j] += b->targets[idx[j]].weight;
				if (credit[j] > credit[best])
					best = j;
			}
			credit[best] -= (int64_t)total;
			g->wheel[k] = idx[best];
		}
		g->wheel_len = (unsigned)total;
		free(idx);
		free(credit);
	}
	return 0;
}

/* Connections to origins in proportion to their weights (largest
 * remainder; at least one each, taken from the best served), then dealt in the same smooth order so every
 * thread's share of the connections has the same mix. */
static int deal_connections(struct rf_bench *b)
{
	unsigned C = b->o.connections;
	double total = 0;
	for (unsigned gi = 0; gi < b->n_origins; gi++)
		total += b->origins[gi].wheel_len;
	double *rest = calloc(b->n_origins, sizeof(*rest));
	b->conn_origin = malloc(C * sizeof(*b->conn_origin));
	if (!rest || !b->conn_origin) {
		free(rest);
		return -ENOMEM;
	}
	unsigned given = 0;
	for (unsigned gi = 0; gi < b->n_origins; gi++) {
		double exact = C * (double)b->origins[gi].wheel_len / total;
		b->origins[gi].n_conns = (unsigned)exact;
		rest[gi] = exact - floor(exact);
		given += b->origins[gi].n_conns;
	}
	while (given < C) { /* the largest remainders get one more */
		unsigned best = 0;
		for (unsigned gi = 1; gi < b->n_origins; gi++)
			if (rest[gi] > rest[best])
				best = gi;
		rest[best] = -1;
		b->origins[best].n_conns++;
		given++;
	}
	free(rest);
	for (unsigned gi = 0; gi < b->n_origins; gi++) { /* none without: from the best served */
		if (b->origins[gi].n_conns)
			continue;
		unsigned most = 0;
		for (unsigned k = 1; k < b->n_origins; k++)
			if (b->origins[k].n_conns > b->origins[most].n_conns)
				most = k;
		b->origins[most].n_conns--;
		b->origins[gi].n_conns = 1;
	}
	int64_t *credit = calloc(b->n_origins, sizeof(*credit));
	if (!credit)
		return -ENOMEM;
	for (unsigned j = 0; j < C; j++) {
		unsigned best = 0;
		for (unsigned gi = 0; gi < b->n_origins; gi++) {
			credit[gi] += b->origins[gi].n_conns;
			if (credit[gi] > credit[best])
				best = gi;
		}
		credit[best] -= C;
		b->conn_origin[j] = best;
	}
	free(credit);
	return 0;
}

void rf_bench_opts_init(rf_bench_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->connections = 64;
	o->threads = 1;
	o->duration = 10;
	o->timeout = 10;
	o->method = "GET";
	o->recv_buffer = DEFAULT_RECV;
}

static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"};

/* The method's name from the table (kept for the run), or NULL. */
static const char *method_named(const char *m)
{
	for (size_t i = 0; m && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(m, methods[i]) == 0)
			return methods[i];
	return NULL;
}

static int check_headers(rf_bench_opts *o, const char *const *headers, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!headers[i] || rf__field_check(headers[i])) {
			say(o, "invalid header '%s'%s", headers[i] ? headers[i] : "", "");
			return RF_EHEADER;
		}
	}
	return 0;
}

static int check_targets(rf_bench_opts *o)
{
	if (!method_named(o->method)) {
		say(o, "unknown method '%s' (GET, HEAD, POST, PUT, DELETE, OPTIONS)%s",
		    o->method ? o->method : "", "");
		return RF_EINVAL;
	}
	if (o->targets ? !o->n_targets : !o->n_urls || !o->urls) {
		say(o, "%s%s", "no URL to benchmark", "");
		return RF_EINVAL;
	}
	for (size_t i = 0; o->targets && i < o->n_targets; i++) {
		const rf_bench_target *t = &o->targets[i];
		if (!t->url) {
			say(o, "%s%s", "a target without a URL", "");
			return RF_EINVAL;
		}
		if (t->method && !method_named(t->method)) {
			say(o, "unknown method '%s' for %s (GET, HEAD, POST, PUT, DELETE, OPTIONS)",
			    t->method, t->url);
			return RF_EINVAL;
		}
		if (t->weight > MAX_WEIGHT) {
			say(o, "weight of %s over 1000000%s", t->url, "");
			return RF_EINVAL;
		}
		if (t->body_len && !t->body) {
			say(o, "body_len without a body for %s%s", t->url, "");
			return RF_EINVAL;
		}
		int err = check_headers(o, t->headers, t->n_headers);
		if (err)
			return err;
	}
	return 0;
}

static int check_stages(rf_bench_opts *o)
{
	if (!o->n_stages)
		return 0;
	if (!o->stages || o->n_stages > RF_BENCH_MAX_STAGES) {
		say(o, "%s%s", "from 1 to 64 stages", "");
		return RF_EINVAL;
	}
	if (o->requests) {
		say(o, "%s%s",
		    "stages set how long the run lasts: give a duration or none, not a number "
		    "of requests",
		    "");
		return RF_EINVAL;
	}
	double total = 0;
	for (size_t i = 0; i < o->n_stages; i++) {
		const rf_bench_stage *st = &o->stages[i];
		if (!(st->duration > 0) || !isfinite(st->duration) || !(st->rate >= 0) ||
		    !(st->rate <= 1e9)) {
			say(o, "%s%s", "a stage needs a duration above 0 and a rate from 0 to 1e9", "");
			return RF_EINVAL;
		}
		total += st->duration;
	}
	if (total > 1e7) {
		say(o, "%s%s", "stages longer than 1e7 seconds", "");
		return RF_EINVAL;
	}
	return 0;
}

static int check_opts(rf_bench_opts *o)
{
	int err = check_targets(o);
	if (!err)
		err = check_stages(o);
	if (err)
		return err;
	if (!o->threads || o->threads > 1024 || !o->connections || o->connections > 1000000) {
		say(o, "%s%s", "connections and threads must be at least 1", "");
		return RF_EINVAL;
	}
	if (o->connections < o->threads) {
		say(o, "%s%s", "each thread needs at least one connection (-c >= -t)", "");
		return RF_EINVAL;
	}
	if (!o->requests && !(o->duration > 0) && !o->n_stages) {
		say(o, "%s%s", "give a number of requests or a duration", "");
		return RF_EINVAL;
	}
	if (!(o->rate >= 0) || !(o->rate <= 1e9) || o->warmup < 0 || o->timeout < 0) {
		say(o, "%s%s", "rate, warmup and timeout cannot be negative", "");
		return RF_EINVAL;
	}
	if (o->io < RF_IO_AUTO || o->io > RF_IO_EPOLL || o->uring_setup < 0 ||
	    o->uring_setup > RF_URING_SETUP_SQPOLL || o->uring_fixed_files < RF_URING_FIXED_AUTO ||
	    o->uring_fixed_files > RF_URING_FIXED_OFF || o->uring_send_zc < RF_URING_FIXED_AUTO ||
	    o->uring_send_zc > RF_URING_FIXED_OFF || o->reserved[0]) {
		say(o, "%s%s", "unknown io (RF_IO_AUTO, RF_IO_URING, RF_IO_EPOLL)", "");
		return RF_EINVAL;
	}
	if (o->http2_streams < 0 || o->http2_streams > RF__H2_MAX_STREAMS ||
	    (o->http2_streams && o->no_keepalive)) {
		say(o, "%s%s",
		    o->no_keepalive ? "HTTP/2 keeps its connections (no --no-keepalive)"
		                    : "HTTP/2 streams per connection: 1 to 100",
		    "");
		return RF_EINVAL;
	}
	if (o->body_len && !o->body) {
		say(o, "%s%s", "body_len without a body", "");
		return RF_EINVAL;
	}
	if ((err = check_headers(o, o->headers, o->n_headers)))
		return err;
	if (!o->recv_buffer)
		o->recv_buffer = DEFAULT_RECV;
	if (!(o->timeout > 0))
		o->timeout = 1e7;
	return 0;
}

int rf_bench_new(const rf_bench_opts *opts, rf_bench **out)
{
	*out = NULL;
	struct rf_bench *b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->o = *opts;
	int err = check_opts(&b->o);
	if (err) {
		free(b);
		return err;
	}
	rf_bench_opts *o = &b->o;
	size_t n = o->targets ? o->n_targets : o->n_urls;
	b->targets = calloc(n, sizeof(*b->targets));
	b->origins = calloc(n, sizeof(*b->origins));
	b->n_targets = (unsigned)n;
	b->lat = rf_hist_new();
	b->ttfb = rf_hist_new();
	b->conn_h = rf_hist_new();
	b->hs_h = rf_hist_new();
	b->service = rf_hist_new();
	b->target_results = calloc(n, sizeof(*b->target_results));
	b->steps = calloc(RF_BENCH_MAX_STEPS, sizeof(*b->steps));
	if (!b->targets || !b->origins || !b->lat || !b->ttfb || !b->conn_h || !b->hs_h || !b->service ||
	    !b->target_results || !b->steps) {
		rf_bench_free(b);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < b->n_targets; i++) {
		rf_bench_target one = {.url = o->targets ? NULL : o->urls[i]};
		const rf_bench_target *t = o->targets ? &o->targets[i] : &one;
		if ((err = add_target(b, i, t, method_named(t->method ? t->method : o->method)))) {
			rf_bench_free(b);
			return err;
		}
	}
	if (b->n_origins > o->connections) {
		say(o, "%s%s", "more origins than connections: each connection serves one origin", "");
		rf_bench_free(b);
		return RF_EINVAL;
	}
	if ((err = build_wheels(b)) || (err = deal_connections(b))) {
		rf_bench_free(b);
		return err;
	}
	/* the open model's schedule: the warmup at the rate, then the stages */
	double lengths[RF_BENCH_MAX_STAGES], rates[RF_BENCH_MAX_STAGES], staged = 0;
	for (size_t i = 0; i < o->n_stages; i++) {
		lengths[i] = o->stages[i].duration;
		rates[i] = o->stages[i].rate;
		staged += lengths[i];
	}
	rf__schedule_init(&b->sched, o->warmup, o->rate, lengths, rates, o->n_stages); /* checked */
	b->open = o->rate > 0 || o->n_stages;
	if (o->n_stages && !(o->duration > staged))
		o->duration = staged;
	o->stages = NULL; /* the caller's: not kept */
	o->targets = NULL;
	o->urls = NULL;
	b->tls_opts = (struct rf__tls_opts){
		.ca_file = o->tls_ca_file,
		.insecure = o->tls_insecure != 0,
		.min_version = 12,
		.no_resume = o->tls_no_resume != 0,
		.keep_buffers = true, /* every connection is busy all the time */
		.alpn = opts->http2_streams ? "\x02h2" : "\x08http/1.1",
	};
	if (b->need_tls) { /* check the CA setup now, once, with a clear message */
		struct rf__tls_ctx *ctx = NULL;
		char why[256];
		if ((err = rf__tls_ctx_new(&b->tls_opts, &ctx, why, sizeof(why)))) {
			say(o, "%s%s", why, "");
			rf_bench_free(b);
			return err;
		}
		rf__tls_ctx_free(ctx);
	}
	o->error_detail = opts->error_detail; /* kept for rf_bench_run */
	*out = b;
	return 0;
}

void rf_bench_free(rf_bench *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->n_targets && b->targets; i++) {
		free(b->targets[i].req);
		free(b->targets[i].url);
	}
	for (unsigned i = 0; i < b->n_origins; i++) {
		free(b->origins[i].host);
		free(b->origins[i].key);
		free(b->origins[i].shown);
		free(b->origins[i].wheel);
	}
	free(b->targets);
	free(b->origins);
	free(b->conn_origin);
	free(b->threads);
	rf_hist_free(b->lat);
	rf_hist_free(b->ttfb);
	rf_hist_free(b->conn_h);
	rf_hist_free(b->hs_h);
	rf_hist_free(b->service);
	rf__tally_free(&b->tally);
	free(b->target_results);
	free(b->steps);
	free(b);
}

void rf_bench_stop(rf_bench *b)
{
	atomic_store_explicit(&b->stop, 1, memory_order_relaxed);
}

const rf_bench_results *rf_bench_results_get(const rf_bench *b)
{
	return &b->res;
}

/* ---- one connection ---- */

/* Every state change goes here: the thread counts requests in flight. */
static void set_state(struct bench_thread *bt, struct bconn *c, enum bconn_state st)
{
	bt->busy += (st == BC_BUSY) - (c->state == BC_BUSY);
	c->state = st;
}

static rf__tag tag_of(const struct bconn *c, enum rf__op_kind op)
{
	return rf__tag_make(RF__OWNER_CONN, op, c->idx, c->gen);
}

static void submit(struct bench_thread *bt, struct bconn *c, const struct rf__conn_op *op)
{
	c->ops++;
	if (op->kind == RF__OP_SEND && bt->send_zc) /* the request's memory is the run's */
		rf__op_send_zc(bt->loop, tag_of(c, op->kind), c->k.fd, op->buf, op->len);
	else
		rf__conn_submit(bt->loop, &c->k, tag_of(c, op->kind), op);
}

static bool by_time(const struct rf_bench *b)
{
	return b->measure_end != 0;
}

static bool in_window(const struct bench_thread *bt, int64_t origin)
{
	const struct rf_bench *b = bt->b;
	return b->t0 && origin >= b->measure_start && (!by_time(b) || origin < b->measure_end);
}

/* Connections made before the run (keep-alive) count with it; those of
 * the warmup do not. */
static bool connection_counted(const struct bench_thread *bt, const struct bconn *c)
{
	return !bt->b->t0 || in_window(bt, c->start_ns);
}

static void record_error(struct bench_thread *bt, struct bconn *c, enum rf_bench_error kind, int err,
                         const char *detail)
{
	if (!c->counted)
		return;
	c->counted = false; /* once per request */
	bt->errors[kind]++;
	const char *why = err ? rf_strerror(err) : "";
	char sample[SAMPLE_LEN];
	snprintf(sample, sizeof(sample), "%s %s%s%s%s%s", c->cur->method, c->cur->url,
	         detail && *detail ? ": " : "", detail ? detail : "", *why ? ": " : "", why);
	if (!bt->samples[kind][0])
		memcpy(bt->samples[kind], sample, SAMPLE_LEN);
	rf__tally_error(&bt->tally, (size_t)(c->cur - bt->b->targets), c->origin_ns - bt->b->measure_start,
	                sample);
}

static void issue(struct bench_thread *bt, struct bconn *c, int64_t origin,
                  const struct bench_target *target);
static void next_request(struct bench_thread *bt, struct bconn *c);
static void lane_fail(struct bench_thread *bt, struct bconn *c, enum rf_bench_error kind, int err,
                      const char *detail);
static void lane_issue(struct bench_thread *bt, struct bconn *c);

/* Close the connection once its ops are in; then do what c->then says. */
static void drain(struct bench_thread *bt, struct bconn *c, enum bconn_then then)
{
	c->then = then;
	c->deadline = 0;
	c->recv_armed = false;
	if (c->state == BC_CONNECTING && c->ops) /* shutdown does not end a connect */
		rf__op_cancel(bt->loop, tag_of(c, RF__OP_CONNECT));
	else if (c->state != BC_DRAINING && c->k.fd >= 0 && c->ops)
		shutdown(c->k.fd, SHUT_RDWR); /* the ops in flight end now */
	set_state(bt, c, BC_DRAINING);
	if (c->ops)
		return;
	rf__conn_close(bt->loop, &c->k);
	rf__conn_init(&c->k);
	c->gen++; /* a late completion of this connection is not the next one's */
	set_state(bt, c, BC_CLOSED);
	c->served = false;
	if (c->then == THEN_SAME)
		issue(bt, c, c->origin_ns, c->cur);
	else if (c->then == THEN_NEXT)
		next_request(bt, c);
}

static void fail(struct bench_thread *bt, struct bconn *c, enum rf_bench_error kind, int err,
                 const char *detail)
{
	if (c->sess) {
		lane_fail(bt, c, kind, err, detail);
		return;
	}
	if (c->state == BC_DRAINING)
		return;
	bool had_request = c->want || c->state == BC_BUSY;
	record_error(bt, c, kind, err, detail);
	c->want = false;
	drain(bt, c, had_request ? THEN_NEXT : THEN_NOTHING);
}

static void arm_recv(struct bench_thread *bt, struct bconn *c)
{
	if (c->recv_armed)
		return;
	c->recv_armed = true;
	c->ops++;
	rf__op_recv(bt->loop, tag_of(c, RF__OP_RECV), c->k.fd, c->buf, (unsigned)bt->b->o.recv_buffer);
}

/* c's request goes out now (a connection's, or a lane's stream). */
static void request_out(struct bench_thread *bt, struct bconn *c)
{
	c->seq++;
	c->send_ns = bt->now;
	c->want = false;
	set_state(bt, c, BC_BUSY);
	c->first_ns = 0;
	c->resp_bytes = 0;
	c->deadline = bt->now + (int64_t)(bt->b->o.timeout * 1e9);
}

static void send_request(struct bench_thread *bt, struct bconn *c)
{
	request_out(bt, c);
	rf__http1_init_lean(&c->h1, &c->rsp, c->cur->head);
	const char *detail = "";
	int err = rf__conn_send(&c->k, c->cur->req, c->cur->req_len, &detail);
	if (err) {
		fail(bt, c, RF_BENCH_ERR_TLS, err, detail);
		return;
	}
	struct rf__conn_op op;
	if (rf__conn_next_send(&c->k, &op))
		submit(bt, c, &op);
	if (!rf__conn_is_tls(&c->k))
		arm_recv(bt, c); /* the response may start before the send completes */
}

static void connect_start(struct bench_thread *bt, struct bconn *c)
{
	set_state(bt, c, BC_CONNECTING);
	c->start_ns = bt->now;
	c->deadline = bt->now + (int64_t)(bt->b->o.timeout * 1e9);
	c->ops++;
	rf__conn_dial_socket(bt->loop, tag_of(c, RF__OP_SOCKET), bt->b->origins[c->origin].family);
}

/* The next target of the connection's origin, in the order of its wheel. */
static const struct bench_target *pick(struct bench_thread *bt, const struct bconn *c)
{
	const struct bench_origin *g = &bt->b->origins[c->origin];
	unsigned *at = &bt->wheel_pos[c->origin];
	unsigned ti = g->wheel[*at];
	if (++*at == g->wheel_len)
		*at = 0;
	return &bt->b->targets[ti];
}

/* Send a request to target with this latency origin now, or once
 * connected. */
static void issue(struct bench_thread *bt, struct bconn *c, int64_t origin, const struct bench_target *target)
{
	c->cur = target;
	c->origin_ns = origin;
	c->counted = in_window(bt, origin);
	if (c->sess) {
		lane_issue(bt, c);
		return;
	}
	if (c->state == BC_IDLE && !c->ops) {
		send_request(bt, c);
		return;
	}
	c->want = true;
	if (c->state == BC_CLOSED)
		connect_start(bt, c);
}

static bool open_model(const struct bench_thread *bt)
{
	return bt->open;
}

/* Thread t's request k is the schedule's request t + k / share: the
 * threads' requests fall between each other's. */
static int64_t due_of(const struct bench_thread *bt, uint64_t k)
{
	double at = rf__schedule_time(&bt->b->sched, bt->index + (double)k / bt->share);
	return bt->b->t0 + (at < 1e9 ? (int64_t)(at * 1e9) : INT64_MAX / 4);
}

static bool stopping(const struct bench_thread *bt)
{
	const struct rf_bench *b = bt->b;
	return atomic_load_explicit(&b->stop, memory_order_relaxed) ||
	       (by_time(b) && bt->now >= b->measure_end);
}

/* The connection is free: its next request, if the schedule has one. */
static void next_request(struct bench_thread *bt, struct bconn *c)
{
	if (stopping(bt))
		return;
	if (open_model(bt)) {
		if (!c->owed)
			return;
		uint64_t k = c->next_k;
		c->owed--;
		c->next_k += bt->n;
		issue(bt, c, due_of(bt, k), pick(bt, c));
		return;
	}
	if (bt->b->t0 == 0 || bt->now < bt->b->t0)
		return; /* still connecting: the run has not begun */
	bool counted = in_window(bt, bt->now);
	if (counted && !by_time(bt->b)) {
		if (bt->quota_used >= bt->quota)
			return;
		bt->quota_used++;
	}
	bt->issued++;
	issue(bt, c, bt->now, pick(bt, c));
}

static void connected(struct bench_thread *bt, struct bconn *c)
{
	set_state(bt, c, BC_IDLE);
	c->deadline = 0;
	if (c->want)
		send_request(bt, c);
}

static void handshake_step(struct bench_thread *bt, struct bconn *c)
{
	struct rf__conn_op op;
	const char *detail;
	int err;
	enum rf__conn_step step = rf__conn_handshake_step(&c->k, &op, &err, &detail);
	if (step == RF__STEP_FAILED) {
		fail(bt, c, RF_BENCH_ERR_TLS, err, detail);
		return;
	}
	if (step == RF__STEP_SUBMIT) {
		submit(bt, c, &op);
		return;
	}
	if (connection_counted(bt, c)) {
		rf__hdr_record(bt->hs_h, (uint64_t)(bt->now - c->start_ns) / 1000);
		bt->handshakes++;
		bt->resumed += rf__conn_resumed(&c->k);
	}
	connected(bt, c);
}

static void complete(struct bench_thread *bt, struct bconn *c)
{
	int status = c->rsp.status;
	if (c->counted) {
		uint64_t us = (uint64_t)(bt->now - c->origin_ns) / 1000;
		bt->requests++;
		bt->bytes += c->resp_bytes;
		if (status >= 100 && status < 600)
			bt->status[status]++;
		rf__hdr_record(bt->lat, us);
		rf__hdr_record(bt->ttfb, (uint64_t)(c->first_ns - c->origin_ns) / 1000);
		if (bt->service)
			rf__hdr_record(bt->service, (uint64_t)(bt->now - c->send_ns) / 1000);
		rf__tally_response(&bt->tally, (size_t)(c->cur - bt->b->targets),
		                   c->origin_ns - bt->b->measure_start, status, us);
		if (status >= 400) {
			char why[32];
			snprintf(why, sizeof(why), "HTTP %d", status);
			record_error(bt, c, RF_BENCH_ERR_STATUS, 0, why);
		} else {
			bt->ok++;
		}
	}
	c->counted = false;
	c->served = true;
	c->stale_retried = false;
	c->deadline = 0;
	if (c->sess) { /* the stream is closed: the lane's next request */
		set_state(bt, c, BC_IDLE);
		next_request(bt, c);
		return;
	}
	if (bt->b->o.no_keepalive || !c->rsp.keep_alive) {
		drain(bt, c, THEN_NEXT);
		return;
	}
	set_state(bt, c, BC_IDLE);
	if (!c->ops) /* else when the send's completion comes */
		next_request(bt, c);
}

/* Response bytes in: parse, and finish the request when it is whole. */
static void on_data(struct bench_thread *bt, struct bconn *c, char *data, size_t len)
{
	if (!c->first_ns)
		c->first_ns = bt->now;
	c->resp_bytes += len;
	size_t used = 0;
	int err = rf__http1_feed(&c->h1, data, len, &used);
	if (err) {
		fail(bt, c, RF_BENCH_ERR_PROTOCOL, err, c->rsp.error_detail);
		return;
	}
	if (!c->rsp.complete)
		return;
	if (used < len) {
		fail(bt, c, RF_BENCH_ERR_PROTOCOL, RF_EPROTO, "data after the response");
		return;
	}
	complete(bt, c);
}

/* A request on a kept-alive connection met its close by the server
 * (rf__conn_stale_close) before any byte of response: true when it goes
 * again, once, on a new connection - as a slot's does. */
static bool stale_retry(struct bench_thread *bt, struct bconn *c, int res)
{
	if (c->state != BC_BUSY || c->resp_bytes || !c->served || c->stale_retried ||
	    !rf__conn_stale_close(res))
		return false;
	c->stale_retried = true;
	drain(bt, c, THEN_SAME);
	return true;
}

static void on_eof(struct bench_thread *bt, struct bconn *c, int tls_err, const char *detail)
{
	if (c->state != BC_BUSY) {
		fail(bt, c, RF_BENCH_ERR_RESET, RF_ENOANSWER, "closed by the server");
		return;
	}
	int err = rf__http1_eof(&c->h1);
	if (!err) {
		complete(bt, c);
		return;
	}
	if (stale_retry(bt, c, 0))
		return;
	fail(bt, c, RF_BENCH_ERR_RESET, tls_err ? tls_err : err, tls_err ? detail : c->rsp.error_detail);
}

static void tls_read_step(struct bench_thread *bt, struct bconn *c)
{
	uint32_t seq = c->seq; /* a response completed: the next request reads anew */
	while (c->state == BC_BUSY && c->seq == seq) {
		size_t got = 0;
		struct rf__conn_op op;
		const char *detail;
		int err;
		switch (rf__conn_read_step(&c->k, c->buf, bt->b->o.recv_buffer, &got, &op, &err, &detail)) {
		case RF__STEP_DATA:
			on_data(bt, c, c->buf, got);
			continue;
		case RF__STEP_SUBMIT:
			submit(bt, c, &op);
			return;
		case RF__STEP_END:
		case RF__STEP_CUT:
			on_eof(bt, c, err, detail);
			return;
		case RF__STEP_READY:
		case RF__STEP_FAILED:
			break;
		}
		fail(bt, c, RF_BENCH_ERR_TLS, err, detail);
		return;
	}
}

/* A send or receive moved nothing (-EAGAIN, -EINTR): ask the stack again,
 * which gives the same op. */
static void io_again(struct bench_thread *bt, struct bconn *c, enum rf__op_kind op)
{
	struct rf__conn_op next;
	if (op == RF__OP_RECV) {
		c->recv_armed = false;
		arm_recv(bt, c);
	} else if (c->state == BC_HANDSHAKE) {
		handshake_step(bt, c);
	} else if (op == RF__OP_TLS_RECV) {
		tls_read_step(bt, c);
	} else if (rf__conn_next_send(&c->k, &next)) {
		submit(bt, c, &next);
	}
}

/* A send (plain or TLS records) completed. */
static void on_sent(struct bench_thread *bt, struct bconn *c, enum rf__op_kind op, int res)
{
	if (res <= 0) {
		if (!stale_retry(bt, c, res ? res : -EPIPE))
			fail(bt, c, c->state == BC_HANDSHAKE ? RF_BENCH_ERR_TLS : RF_BENCH_ERR_RESET,
			     res ? res : -EPIPE, "send");
		return;
	}
	struct rf__conn_op next; /* the bytes are counted sent (rf__conn_completed) */
	if (c->state == BC_HANDSHAKE) {
		handshake_step(bt, c);
	} else if (rf__conn_next_send(&c->k, &next)) {
		submit(bt, c, &next);
	} else if (op == RF__OP_TLS_SEND && c->state == BC_BUSY) {
		tls_read_step(bt, c);
	} else if (c->state == BC_IDLE && !c->ops) { /* the response came first */
		if (c->want)
			send_request(bt, c);
		else
			next_request(bt, c);
	}
}

/* A receive (plain or TLS records) completed. */
static void on_received(struct bench_thread *bt, struct bconn *c, enum rf__op_kind op, int res)
{
	if (op == RF__OP_TLS_RECV) {
		if (res < 0) {
			if (!stale_retry(bt, c, res))
				fail(bt, c, c->state == BC_HANDSHAKE ? RF_BENCH_ERR_TLS : RF_BENCH_ERR_RESET,
				     res, "receive");
			return;
		}
		if (c->state == BC_HANDSHAKE) /* ciphertext fed in (rf__conn_completed) */
			handshake_step(bt, c);
		else
			tls_read_step(bt, c);
		return;
	}
	c->recv_armed = false;
	if (res < 0) {
		if (!stale_retry(bt, c, res))
			fail(bt, c, RF_BENCH_ERR_RESET, res, "receive");
	} else if (res == 0) {
		on_eof(bt, c, 0, "");
	} else if (c->state == BC_BUSY) {
		on_data(bt, c, c->buf, (size_t)res);
		if (c->state == BC_BUSY)
			arm_recv(bt, c);
	} else {
		fail(bt, c, RF_BENCH_ERR_PROTOCOL, RF_EPROTO, "data with no request");
	}
}

/* ---- --http2: sessions under lanes ---- */

#define SESS_BIT (1u << 31) /* in a tag's index: a session's op */
#define SESS_BUF (64 * 1024)

static rf__tag sess_tag(const struct bsess *x, enum rf__op_kind op)
{
	return rf__tag_make(RF__OWNER_CONN, op, x->idx | SESS_BIT, x->gen);
}

static void sess_submit(struct bench_thread *bt, struct bsess *x, const struct rf__conn_op *op)
{
	x->ops++;
	if (op->kind == RF__OP_SEND || op->kind == RF__OP_TLS_SEND)
		x->send_busy = true;
	else
		x->recv_busy = true;
	rf__conn_submit(bt->loop, &x->k, sess_tag(x, op->kind), op);
}

/* The lanes of session x: x->idx, x->idx + nsess, ... */
#define FOR_LANES(bt, x, c)                                                                                  \
	for (struct bconn *c = &(bt)->conns[(x)->idx]; c < (bt)->conns + (bt)->n; c += (bt)->nsess)

static void sess_connect(struct bench_thread *bt, struct bsess *x)
{
	x->state = BC_CONNECTING;
	x->start_ns = bt->now;
	x->deadline = bt->now + (int64_t)(bt->b->o.timeout * 1e9);
	x->ops++;
	rf__conn_dial_socket(bt->loop, sess_tag(x, RF__OP_SOCKET), bt->b->origins[x->origin].family);
}

static void sess_fail(struct bench_thread *bt, struct bsess *x, enum rf_bench_error kind, int err,
                      const char *detail);

/* What nghttp2 has to send, and TLS's records: out whenever the send side
 * is free. */
static void sess_flush(struct bench_thread *bt, struct bsess *x)
{
	if (x->send_busy || x->state != BC_IDLE)
		return;
	struct rf__conn_op next;
	if (!rf__conn_next_send(&x->k, &next)) {
		if (rf__h2_gather(x->h2, &x->tx, SESS_BUF)) {
			sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, -ENOMEM, "send buffer");
			return;
		}
		if (!x->tx.len)
			return;
		const char *detail = "";
		int err = rf__conn_send(&x->k, x->tx.buf, x->tx.len, &detail);
		if (err) {
			sess_fail(bt, x, RF_BENCH_ERR_TLS, err, detail);
			return;
		}
		if (!rf__conn_next_send(&x->k, &next))
			return;
	}
	sess_submit(bt, x, &next);
}

/* Open lane c's request as a stream now; when the session cannot take one
 * more (the server's limit, a GOAWAY) it waits. */
static void lane_send(struct bench_thread *bt, struct bconn *c)
{
	struct bsess *x = c->sess;
	const struct bench_target *t = c->cur;
	rf__h2_stream_init_lean(&c->st, &c->rsp, t->head);
	if (rf__h2_open(x->h2, &c->st, &c->rsp, t->req, t->req_len, bt->b->origins[x->origin].tls, x->land,
	                SESS_BUF)) {
		c->want = true;
		x->waiting++; /* sess_kick sends it when a stream closes */
		return;
	}
	request_out(bt, c);
}

static void lane_issue(struct bench_thread *bt, struct bconn *c)
{
	struct bsess *x = c->sess;
	if (x->state == BC_IDLE && c->state == BC_IDLE) {
		lane_send(bt, c);
		if (!bt->telling)
			sess_flush(bt, x);
		return;
	}
	c->want = true;
	x->waiting++;
	if (x->state == BC_CLOSED)
		sess_connect(bt, x);
}

static void lane_fail(struct bench_thread *bt, struct bconn *c, enum rf_bench_error kind, int err,
                      const char *detail)
{
	struct bsess *x = c->sess;
	bool had_request = c->want || c->state == BC_BUSY;
	record_error(bt, c, kind, err, detail);
	c->want = false;
	c->deadline = 0;
	if (c->st.h2)
		rf__h2_close(c->st.h2, &c->st); /* reset when still open */
	set_state(bt, c, x->state == BC_IDLE ? BC_IDLE : BC_CLOSED);
	if (had_request)
		next_request(bt, c);
	if (x->state == BC_IDLE && !bt->telling)
		sess_flush(bt, x);
}

/* Lanes waiting for a stream: as many as the session takes now. */
static void sess_kick(struct bench_thread *bt, struct bsess *x)
{
	if (!x->waiting)
		return;
	x->waiting = 0; /* counted again by those that still wait */
	FOR_LANES(bt, x, c)
	{
		if (!c->want)
			continue;
		if (c->state == BC_IDLE && x->state == BC_IDLE && rf__h2_can_open(x->h2))
			lane_send(bt, c); /* (counts itself when it cannot go) */
		else
			x->waiting++;
	}
}

/* The session's streams' news: bytes counted and dropped (their windows
 * open at once), responses complete, streams failed. */
static void sess_news(struct bench_thread *bt, struct bsess *x)
{
	struct rf__h2_stream *st;
	bt->telling = true;
	while (x->h2 && (st = rf__h2_next_news(x->h2))) {
		struct bconn *c = (struct bconn *)((char *)st - offsetof(struct bconn, st));
		if (!c->first_ns)
			c->first_ns = bt->now;
		if (st->land_len) {
			size_t n = st->land_len;
			c->resp_bytes += n;
			rf__h2_land(x->h2, st, x->land, SESS_BUF);
			rf__h2_consume(x->h2, st, n);
		}
		if (st->error && st->refused) { /* not processed: the same request again */
			rf__h2_close(x->h2, st);
			set_state(bt, c, BC_IDLE);
			c->deadline = 0;
			c->want = true;
			x->waiting++;
		} else if (st->error) {
			lane_fail(bt, c, RF_BENCH_ERR_PROTOCOL, st->error, st->detail);
		} else if (st->ended && st->headers) {
			rf__h2_close(x->h2, st);
			complete(bt, c);
		}
	}
	bt->telling = false;
	if (x->state == BC_IDLE && rf__h2_closing(x->h2) && !rf__h2_streams(x->h2)) {
		sess_fail(bt, x, RF_BENCH_ERR_RESET, 0, "the server ended the session (GOAWAY)");
		return;
	}
	if (x->state == BC_IDLE) {
		sess_kick(bt, x);
		sess_flush(bt, x); /* the requests opened meanwhile, in one send */
	}
}

/* Close the session once its ops are in; lanes with a request reconnect. */
static void sess_drain(struct bench_thread *bt, struct bsess *x)
{
	x->deadline = 0;
	if (x->state != BC_DRAINING && x->k.fd >= 0 && x->ops)
		shutdown(x->k.fd, SHUT_RDWR);
	if (x->state == BC_CONNECTING && x->ops)
		rf__op_cancel(bt->loop, sess_tag(x, RF__OP_CONNECT));
	x->state = BC_DRAINING;
	if (x->ops)
		return;
	rf__h2_free(x->h2); /* streams still bound are let go */
	x->h2 = NULL;
	rf__conn_close(bt->loop, &x->k);
	rf__conn_init(&x->k);
	x->gen++;
	x->state = BC_CLOSED;
	x->recv_busy = x->send_busy = false;
	bool wanted = false;
	FOR_LANES(bt, x, c)
	{
		set_state(bt, c, BC_CLOSED);
		wanted |= c->want;
	}
	if (wanted && !stopping(bt))
		sess_connect(bt, x);
}

static void sess_fail(struct bench_thread *bt, struct bsess *x, enum rf_bench_error kind, int err,
                      const char *detail)
{
	if (x->state == BC_DRAINING)
		return;
	enum bconn_state was = x->state;
	x->state = BC_DRAINING; /* lanes failing now wait for a new session */
	FOR_LANES(bt, x, c)
	{
		if (c->state == BC_BUSY || (c->want && was != BC_IDLE))
			lane_fail(bt, c, kind, err, detail);
	}
	x->state = was;
	sess_drain(bt, x);
}

static void sess_recv(struct bench_thread *bt, struct bsess *x)
{
	while (!x->recv_busy && x->state == BC_IDLE) {
		struct rf__conn_op next;
		size_t got;
		int err;
		const char *detail;
		enum rf__conn_step step =
			rf__conn_duplex_read_step(&x->k, x->rx, SESS_BUF, &got, &next, &err, &detail);
		if (step == RF__STEP_DATA) {
			int e = rf__h2_recv(x->h2, x->rx, got);
			sess_news(bt, x);
			if (e) {
				sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, e, rf__h2_detail(x->h2));
				return;
			}
			continue;
		}
		if (step == RF__STEP_SUBMIT) {
			sess_submit(bt, x, &next);
			break;
		}
		if (step == RF__STEP_END || step == RF__STEP_CUT)
			sess_fail(bt, x, RF_BENCH_ERR_RESET, RF_ENOANSWER, "closed by the server");
		else
			sess_fail(bt, x, RF_BENCH_ERR_TLS, err, detail);
		return;
	}
	sess_flush(bt, x);
}

/* Connected (and TLS agreed on h2): the session begins. */
static void sess_ready(struct bench_thread *bt, struct bsess *x)
{
	const struct bench_origin *g = &bt->b->origins[x->origin];
	const unsigned char *alpn;
	size_t alpn_len = rf__conn_alpn(&x->k, &alpn);
	if (g->tls && !(alpn_len == 2 && memcmp(alpn, "h2", 2) == 0)) {
		sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, RF_EHTTP2,
		          "the server did not agree to HTTP/2 (ALPN)");
		return;
	}
	struct rf__h2_opts ho = {.stream_window = SESS_BUF, .h2c = !g->tls};
	if (rf__h2_new(&x->h2, &ho)) {
		sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, -ENOMEM, "session");
		return;
	}
	x->state = BC_IDLE;
	x->deadline = 0;
	FOR_LANES(bt, x, c)
	set_state(bt, c, BC_IDLE);
	sess_kick(bt, x);
	sess_recv(bt, x); /* and the preface, SETTINGS and requests go */
}

static void sess_handshake(struct bench_thread *bt, struct bsess *x)
{
	struct rf__conn_op op;
	const char *detail;
	int err;
	enum rf__conn_step step = rf__conn_handshake_step(&x->k, &op, &err, &detail);
	if (step == RF__STEP_FAILED && err == RF_ETLS && strstr(detail, "no application protocol")) {
		/* an OpenSSL server without h2 says so by alert */
		sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, RF_EHTTP2,
		          "the server did not agree to HTTP/2 (ALPN)");
		return;
	}
	if (step == RF__STEP_FAILED) {
		sess_fail(bt, x, RF_BENCH_ERR_TLS, err, detail);
		return;
	}
	if (step == RF__STEP_SUBMIT) {
		sess_submit(bt, x, &op);
		return;
	}
	if (bt->b->t0 == 0 || in_window(bt, x->start_ns)) {
		rf__hdr_record(bt->hs_h, (uint64_t)(bt->now - x->start_ns) / 1000);
		bt->handshakes++;
		bt->resumed += rf__conn_resumed(&x->k);
	}
	sess_ready(bt, x);
}

static void sess_on_completion(struct bench_thread *bt, struct bsess *x, enum rf__op_kind op, int res)
{
	assert(x->ops > 0);
	x->ops--;
	bool is_send = op == RF__OP_SEND || op == RF__OP_TLS_SEND;
	if (is_send)
		x->send_busy = false;
	else if (op == RF__OP_RECV || op == RF__OP_TLS_RECV)
		x->recv_busy = false;
	if (x->state == BC_DRAINING) {
		if (op == RF__OP_SOCKET && res >= 0)
			rf__conn_opened(&x->k, res);
		if (!x->ops)
			sess_drain(bt, x);
		return;
	}
	const struct bench_origin *g = &bt->b->origins[x->origin];
	if (op == RF__OP_SOCKET || op == RF__OP_CONNECT) {
		if (res < 0) {
			sess_fail(bt, x, RF_BENCH_ERR_CONNECT, res,
			          op == RF__OP_SOCKET ? "socket" : "connect");
			return;
		}
		if (op == RF__OP_SOCKET) {
			rf__conn_opened(&x->k, res);
			x->ops++;
			rf__conn_dial_connect(bt->loop, sess_tag(x, RF__OP_CONNECT), x->k.fd,
			                      (const struct sockaddr *)&g->addr, g->addr_len);
			return;
		}
		if (bt->b->t0 == 0 || in_window(bt, x->start_ns)) {
			bt->connects++;
			rf__hdr_record(bt->conn_h, (uint64_t)(bt->now - x->start_ns) / 1000);
		}
		if (!g->tls) {
			sess_ready(bt, x);
			return;
		}
		x->state = BC_HANDSHAKE;
		x->start_ns = bt->now;
		res = rf__conn_start_tls(&x->k, bt->tls, g->host, g->ip_literal, g->key);
		if (res < 0) {
			sess_fail(bt, x, RF_BENCH_ERR_TLS, res, "TLS setup");
			return;
		}
		rf__conn_set_recv_size(&x->k, 4 * SESS_BUF); /* every stream's records */
		sess_handshake(bt, x);
		return;
	}
	enum rf__conn_io io = rf__conn_completed(&x->k, op, res);
	if (io == RF__CONN_FAILED || (op == RF__OP_RECV && res == 0)) {
		sess_fail(bt, x, x->state == BC_HANDSHAKE ? RF_BENCH_ERR_TLS : RF_BENCH_ERR_RESET,
		          res ? res : RF_ENOANSWER,
		          res ? (is_send ? "send" : "receive") : "closed by the server");
		return;
	}
	if (x->state == BC_HANDSHAKE) {
		sess_handshake(bt, x);
		return;
	}
	if (io == RF__CONN_MOVED && op == RF__OP_RECV) {
		int e = rf__h2_recv(x->h2, x->rx, (size_t)res);
		sess_news(bt, x);
		if (e) {
			sess_fail(bt, x, RF_BENCH_ERR_PROTOCOL, e, rf__h2_detail(x->h2));
			return;
		}
	}
	if (x->state != BC_IDLE)
		return;
	if (is_send)
		sess_flush(bt, x);
	else
		sess_recv(bt, x);
}

static void on_completion(void *arg, rf__tag tag, int res, unsigned flags)
{
	(void)flags;
	struct bench_thread *bt = arg;
	enum rf__op_kind op = rf__tag_op(tag);
	if (op == RF__OP_NONE)
		return; /* a close */
	if (rf__tag_idx(tag) & SESS_BIT) {
		struct bsess *x = &bt->sess[rf__tag_idx(tag) & ~SESS_BIT];
		if (!rf__tag_gen_is(tag, x->gen))
			return;
		bt->now = mono_ns();
		sess_on_completion(bt, x, op, res);
		return;
	}
	struct bconn *c = &bt->conns[rf__tag_idx(tag)];
	if (!rf__tag_gen_is(tag, c->gen))
		return; /* an op of the connection's earlier life */
	assert(c->ops > 0);
	c->ops--;
	if (op != RF__OP_SEND) /* a send's time matters to nothing */
		bt->now = mono_ns();
	if (c->state == BC_DRAINING) {
		if (op == RF__OP_SOCKET && res >= 0)
			rf__conn_opened(&c->k, res); /* closed by the drain below */
		if (!c->ops)
			drain(bt, c, c->then);
		return;
	}
	const struct bench_origin *g = &bt->b->origins[c->origin];
	if ((op == RF__OP_SEND || op == RF__OP_TLS_SEND || op == RF__OP_TLS_RECV || op == RF__OP_RECV) &&
	    rf__conn_completed(&c->k, op, res) == RF__CONN_AGAIN) {
		io_again(bt, c, op); /* nothing moved: the same op again, as a slot does */
		return;
	}
	switch (op) {
	case RF__OP_SOCKET:
		if (res < 0) {
			fail(bt, c, RF_BENCH_ERR_CONNECT, res, "socket");
			return;
		}
		rf__conn_opened(&c->k, res);
		c->ops++;
		rf__conn_dial_connect(bt->loop, tag_of(c, RF__OP_CONNECT), c->k.fd,
		                      (const struct sockaddr *)&g->addr, g->addr_len);
		return;
	case RF__OP_CONNECT:
		if (res < 0) {
			fail(bt, c, RF_BENCH_ERR_CONNECT, res, "connect");
			return;
		}
		if (connection_counted(bt, c)) {
			bt->connects++;
			rf__hdr_record(bt->conn_h, (uint64_t)(bt->now - c->start_ns) / 1000);
		}
		if (!g->tls) {
			connected(bt, c);
			return;
		}
		set_state(bt, c, BC_HANDSHAKE);
		c->start_ns = bt->now;
		res = rf__conn_start_tls(&c->k, bt->tls, g->host, g->ip_literal, g->key);
		if (res < 0) {
			fail(bt, c, RF_BENCH_ERR_TLS, res, "TLS setup");
			return;
		}
		handshake_step(bt, c);
		return;
	case RF__OP_TLS_SEND:
	case RF__OP_SEND:
		on_sent(bt, c, op, res);
		return;
	case RF__OP_TLS_RECV:
	case RF__OP_RECV:
		on_received(bt, c, op, res);
		return;
	default:
		return;
	}
}

/* ---- one thread ---- */

/* Open model: release the requests that have fallen due. */
static void release_due(struct bench_thread *bt)
{
	while (bt->next_k < bt->k_end && !stopping(bt)) {
		int64_t due = due_of(bt, bt->next_k);
		if (due > bt->now)
			return;
		if (by_time(bt->b) && due >= bt->b->measure_end)
			return;
		struct bconn *c = &bt->conns[bt->next_k % bt->n];
		bool free_now = (c->state == BC_IDLE || c->state == BC_CLOSED) && !c->want && !c->owed;
		if (free_now) {
			issue(bt, c, due, pick(bt, c));
			bt->late += c->counted && bt->now - due > LATE_NS;
		} else {
			bt->waited += in_window(bt, due);
			if (!c->owed)
				c->next_k = bt->next_k;
			c->owed++;
		}
		bt->next_k++;
	}
}

static void scan_timeouts(struct bench_thread *bt)
{
	for (unsigned i = 0; i < bt->nsess; i++) {
		struct bsess *x = &bt->sess[i];
		if (x->state == BC_IDLE && x->waiting) {
			sess_kick(bt, x);
			sess_flush(bt, x);
		}
		if (x->deadline && x->deadline <= bt->now &&
		    (x->state == BC_CONNECTING || x->state == BC_HANDSHAKE))
			sess_fail(bt, x, x->state == BC_CONNECTING ? RF_BENCH_ERR_CONNECT : RF_BENCH_ERR_TLS,
			          0, "timed out");
	}
	for (unsigned i = 0; i < bt->n; i++) {
		struct bconn *c = &bt->conns[i];
		if (c->deadline && c->deadline <= bt->now && c->state != BC_DRAINING) {
			char why[64];
			snprintf(why, sizeof(why), "no complete response in %g s", bt->b->o.timeout);
			fail(bt, c,
			     c->state == BC_CONNECTING  ? RF_BENCH_ERR_CONNECT
			     : c->state == BC_HANDSHAKE ? RF_BENCH_ERR_TLS
			                                : RF_BENCH_ERR_TIMEOUT,
			     0, c->state == BC_BUSY ? why : "timed out");
		}
	}
	bt->next_scan = bt->now + SCAN_NS;
}

static bool busy(const struct bench_thread *bt)
{
	for (unsigned i = 0; i < bt->nsess; i++)
		if (bt->sess[i].state == BC_DRAINING ||
		    ((bt->sess[i].state == BC_CONNECTING || bt->sess[i].state == BC_HANDSHAKE) &&
		     bt->sess[i].ops))
			return true;
	for (unsigned i = 0; i < bt->n; i++) {
		const struct bconn *c = &bt->conns[i];
		if (c->want || c->state == BC_BUSY || c->state == BC_DRAINING ||
		    ((c->state == BC_CONNECTING || c->state == BC_HANDSHAKE) && c->ops))
			return true;
	}
	return false;
}

static bool schedule_left(const struct bench_thread *bt)
{
	if (stopping(bt))
		return false;
	if (open_model(bt))
		return bt->next_k < bt->k_end;
	return by_time(bt->b) || bt->quota_used < bt->quota;
}

static void publish(struct bench_thread *bt)
{
	uint64_t errors = 0;
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		errors += bt->errors[k];
	atomic_store_explicit(&bt->pub_requests, bt->requests, memory_order_relaxed);
	atomic_store_explicit(&bt->pub_errors, errors, memory_order_relaxed);
	atomic_store_explicit(&bt->pub_p99, rf__hdr_percentile(bt->lat, 99), memory_order_relaxed);
	bt->next_publish = bt->now + PUBLISH_NS;
}

static int wait_once(struct bench_thread *bt, int64_t until)
{
	int64_t t = until - mono_ns();
	if (t < 0)
		t = 0;
	int err = rf__loop_run_once(bt->loop, t, on_completion, bt);
	bt->now = mono_ns();
	return err;
}

static void thread_fail(struct bench_thread *bt, int err, const char *what)
{
	bt->error = err;
	snprintf(bt->error_detail, sizeof(bt->error_detail), "%s", what);
}

static void *thread_main(void *arg)
{
	struct bench_thread *bt = arg;
	struct rf_bench *b = bt->b;
	const char *why = NULL;
	int err = rf__loop_new(2 * bt->n + 64, (enum rf__io)b->o.io, (enum rf__setup)b->o.uring_setup,
	                       &bt->loop, &why);
	if (err)
		thread_fail(bt, err, why && *why ? why : "cannot set up the event loop");
	if (!err)
		rf__loop_set_submit_batch(bt->loop, b->o.uring_submit_batch);
	if (!err) {
		char detail[200] = "";
		err = rf__loop_use_fixed_files(bt->loop, b->o.uring_fixed_files, 2 * bt->n + 16, detail,
		                               sizeof(detail));
		if (err)
			thread_fail(bt, err, detail);
	}
	if (!err && b->o.uring_send_zc == RF_URING_FIXED_ON && !rf__loop_is_epoll(bt->loop)) {
		bt->send_zc = rf__loop_send_zc_ok(bt->loop);
		if (!bt->send_zc)
			thread_fail(bt, err = RF_EKERNEL,
			            "this kernel's io_uring has no SEND_ZC (Linux 6.0)");
	}
	if (!err && bt->index == 0) { /* the threads all make the same choice */
		if (rf__loop_is_epoll(bt->loop))
			snprintf(b->io_mode, sizeof(b->io_mode), "epoll");
		else
			snprintf(b->io_mode, sizeof(b->io_mode), "io_uring (%s)", rf__loop_mode(bt->loop));
		snprintf(b->io_note, sizeof(b->io_note), "%s", why ? why : "");
	}
	char tls_why[256] = "";
	if (!err && b->need_tls && (err = rf__tls_ctx_new(&b->tls_opts, &bt->tls, tls_why, sizeof(tls_why))))
		thread_fail(bt, err, tls_why);
	bt->now = mono_ns();

	/* keep-alive: connect everything before the clock starts */
	if (!err && !b->o.no_keepalive) {
		for (unsigned i = 0; i < bt->nsess; i++)
			sess_connect(bt, &bt->sess[i]);
		for (unsigned i = 0; i < bt->n && !bt->nsess; i++)
			connect_start(bt, &bt->conns[i]);
		int64_t limit = bt->now + (int64_t)(b->o.timeout * 1e9);
		while (!err && busy(bt) && bt->now < limit && !stopping(bt))
			err = wait_once(bt, limit < bt->now + SCAN_NS ? limit : bt->now + SCAN_NS);
	}
	pthread_barrier_wait(&b->connected);
	pthread_barrier_wait(&b->go); /* b->t0 and the window are set */
	bt->now = mono_ns();
	bt->next_scan = bt->now + SCAN_NS;
	bt->next_publish = bt->now;
	if (err) {
		if (!bt->error)
			thread_fail(bt, err, "the ring failed");
		return NULL;
	}
	while (bt->now < b->t0 && !stopping(bt) &&
	       !(err = wait_once(bt, b->t0 < bt->now + SCAN_NS ? b->t0 : bt->now + SCAN_NS)))
		;
	/* closed model: every connection starts at once */
	if (!open_model(bt))
		for (unsigned i = 0; i < bt->n && !err; i++)
			if (bt->conns[i].state == BC_IDLE || bt->conns[i].state == BC_CLOSED)
				next_request(bt, &bt->conns[i]);
	while (!err) {
		if (open_model(bt))
			release_due(bt);
		if (bt->now >= bt->next_scan)
			scan_timeouts(bt);
		if (bt->now >= bt->next_publish)
			publish(bt);
		bool left = schedule_left(bt);
		if (!left && !busy(bt)) /* busy() walks the connections: only at the end */
			break;
		if (atomic_load_explicit(&b->stop, memory_order_relaxed)) {
			for (unsigned i = 0; i < bt->n; i++) { /* not counted: the user ended it */
				bt->conns[i].counted = false;
				bt->conns[i].owed = 0;
				if (bt->conns[i].state != BC_CLOSED && bt->conns[i].state != BC_IDLE)
					fail(bt, &bt->conns[i], RF_BENCH_ERR_RESET, 0, "");
			}
		}
		int64_t until = bt->next_scan < bt->next_publish ? bt->next_scan : bt->next_publish;
		if (open_model(bt) && left && bt->next_k < bt->k_end) {
			int64_t due = due_of(bt, bt->next_k);
			if (due < until)
				until = due;
		}
		if (by_time(b) && left && b->measure_end < until)
			until = b->measure_end;
		err = wait_once(bt, until);
	}
	for (unsigned i = 0; i < bt->n; i++)
		bt->unsent += bt->conns[i].owed;
	if (err)
		thread_fail(bt, err, "the ring failed");
	publish(bt);
	return NULL;
}

/* ---- the run ---- */

static int threads_new(struct rf_bench *b)
{
	rf_bench_opts *o = &b->o;
	b->n_threads = o->threads;
	b->threads = calloc(b->n_threads, sizeof(*b->threads));
	if (!b->threads)
		return -ENOMEM;
	unsigned first = 0;
	for (unsigned t = 0; t < b->n_threads; t++) {
		struct bench_thread *bt = &b->threads[t];
		bt->b = b;
		bt->index = t;
		unsigned nconn = o->connections / o->threads + (t < o->connections % o->threads);
		bt->n = nconn;
		if (o->http2_streams) { /* sessions under lanes */
			bt->nsess = nconn;
			bt->n = nconn * (unsigned)o->http2_streams;
			bt->sess = calloc(bt->nsess, sizeof(*bt->sess));
			if (!bt->sess)
				return -ENOMEM;
			for (unsigned i = 0; i < bt->nsess; i++) {
				struct bsess *x = &bt->sess[i];
				rf__conn_init(&x->k);
				x->idx = i;
				x->origin = b->conn_origin[first + i];
				/* calloc: valgrind cannot see the kernel fill it through the ring */
				if (!(x->rx = calloc(1, SESS_BUF)) || !(x->land = malloc(SESS_BUF)))
					return -ENOMEM;
			}
		}
		bt->first_conn = first;
		bt->conns = calloc(bt->n, sizeof(*bt->conns));
		bt->wheel_pos = calloc(b->n_origins, sizeof(*bt->wheel_pos));
		bt->lat = rf__hdr_new(RF__HDR_SUB_BITS);
		bt->ttfb = rf__hdr_new(RF__HDR_SUB_BITS);
		bt->conn_h = rf__hdr_new(RF__HDR_SUB_BITS);
		bt->hs_h = rf__hdr_new(RF__HDR_SUB_BITS);
		bt->service = b->open ? rf__hdr_new(RF__HDR_SUB_BITS) : NULL;
		if (!bt->conns || !bt->wheel_pos || !bt->lat || !bt->ttfb || !bt->conn_h || !bt->hs_h ||
		    (b->open && !bt->service) || rf__tally_init(&bt->tally, b->n_targets, b->step_ns))
			return -ENOMEM;
		for (unsigned o = 0; o < b->n_origins; o++) /* threads start at different points */
			bt->wheel_pos[o] = (unsigned)(((uint64_t)t * b->origins[o].wheel_len) / b->n_threads);
		for (unsigned i = 0; i < bt->n; i++) {
			struct bconn *c = &bt->conns[i];
			rf__conn_init(&c->k);
			c->idx = i;
			if (bt->nsess) { /* a lane: its session's origin */
				c->sess = &bt->sess[i % bt->nsess];
				c->origin = c->sess->origin;
				continue;
			}
			c->origin = b->conn_origin[first + i];
			/* calloc: valgrind cannot see the kernel fill it through the ring */
			if (!(c->buf = calloc(1, o->recv_buffer)))
				return -ENOMEM;
		}
		/* shares of the schedule */
		uint64_t share = o->requests / o->threads + (t < o->requests % o->threads);
		if (b->open) {
			/* thread t's request k is the schedule's t + k / share (due_of) */
			bt->open = true;
			bt->share = (double)nconn / o->connections;
			double before = (rf__schedule_count(&b->sched, o->warmup) - t) * bt->share;
			uint64_t k_first = before > 0 ? (uint64_t)ceil(before - 1e-9) : 0;
			bt->next_k = 0;
			bt->k_end = o->requests ? k_first + share : UINT64_MAX;
		} else {
			bt->quota = o->requests ? share : UINT64_MAX;
		}
		first += nconn;
	}
	return 0;
}

static void threads_free(struct rf_bench *b)
{
	for (unsigned t = 0; b->threads && t < b->n_threads; t++)
		if (b->threads[t].loop)
			rf__loop_add_stats(b->threads[t].loop, &b->res.io_stats);
	if (b->threads && b->n_threads && b->threads[0].loop) { /* the threads choose alike */
		char ring[200];
		rf__loop_describe(b->threads[0].loop, ring, sizeof(ring));
		snprintf(b->res.io_stats.variants, sizeof(b->res.io_stats.variants), "%s, zero-copy sends %s",
		         ring, b->threads[0].send_zc ? "on" : "off");
	}
	for (unsigned t = 0; b->threads && t < b->n_threads; t++) {
		struct bench_thread *bt = &b->threads[t];
		for (unsigned i = 0; bt->sess && i < bt->nsess; i++) {
			rf__h2_free(bt->sess[i].h2); /* lanes' streams let go */
			rf__conn_close_now(&bt->sess[i].k);
			free(bt->sess[i].rx);
			free(bt->sess[i].land);
			free(bt->sess[i].tx.buf);
		}
		free(bt->sess);
		for (unsigned i = 0; bt->conns && i < bt->n; i++) {
			rf__conn_close_now(&bt->conns[i].k);
			free(bt->conns[i].buf);
		}
		free(bt->conns);
		free(bt->wheel_pos);
		rf__hdr_free(bt->lat);
		rf__hdr_free(bt->ttfb);
		rf__hdr_free(bt->conn_h);
		rf__hdr_free(bt->hs_h);
		rf__hdr_free(bt->service);
		rf__tally_free(&bt->tally);
		rf__tls_ctx_free(bt->tls);
		rf__loop_free(bt->loop);
	}
}

/* The tallies, added up, as results: per target, and the time series
 * with what the schedule had due in each step. */
static void merge_tallies(struct rf_bench *b)
{
	rf_bench_results *r = &b->res;
	for (unsigned i = 0; i < b->n_targets; i++) {
		const struct rf__tally_target *t = &b->tally.targets[i];
		b->target_results[i] = (rf_bench_target_results){
			.url = b->targets[i].url,
			.method = b->targets[i].method,
			.weight = b->targets[i].weight,
			.requests = t->requests,
			.ok = t->ok,
			.errors = t->errors,
			.latency = (const rf_hist *)(const void *)t->lat,
			.error_sample = t->sample,
		};
		memcpy(b->target_results[i].status_class, t->status_class, sizeof(t->status_class));
	}
	r->targets = b->target_results;
	r->n_targets = b->n_targets;
	double step = (double)b->tally.step_ns / 1e9, from = b->o.warmup;
	size_t n = b->tally.n_steps;
	if (by_time(b)) { /* every step of the window, empty ones too */
		size_t want = (size_t)ceil(b->o.duration / step - 1e-9);
		if (want > n && want <= RF_BENCH_MAX_STEPS)
			n = want;
	}
	for (size_t i = 0; i < n; i++) {
		const struct rf__tally_step *t = &b->tally.steps[i];
		b->steps[i] = (rf_bench_step){
			.requests = t->requests,
			.errors = t->errors,
			.latency = (const rf_hist *)(const void *)t->lat,
		};
		if (b->open) {
			double lo = from + (double)i * step, hi = lo + step;
			if (by_time(b) && hi > from + b->o.duration)
				hi = from + b->o.duration;
			b->steps[i].scheduled =
				rf__schedule_count(&b->sched, hi) - rf__schedule_count(&b->sched, lo);
		}
	}
	r->series = b->steps;
	r->n_series = n;
	r->series_step = step;
}

static void merge(struct rf_bench *b)
{
	rf_bench_results *r = &b->res;
	r->open_model = b->open;
	r->stopped = atomic_load(&b->stop);
	r->io = b->io_mode;
	r->io_note = b->io_note;
	r->rate = b->o.rate;
	r->connections = b->o.connections;
	r->threads = b->n_threads;
	for (unsigned t = 0; t < b->n_threads; t++) {
		struct bench_thread *bt = &b->threads[t];
		r->requests += bt->requests;
		r->ok += bt->ok;
		r->bytes += bt->bytes;
		for (int k = 0; k < RF_BENCH_ERR_KINDS; k++) {
			r->errors[k] += bt->errors[k];
			if (!b->samples[k][0] && bt->samples[k][0])
				memcpy(b->samples[k], bt->samples[k], SAMPLE_LEN);
		}
		for (int s = 0; s < 600; s++)
			r->status[s] += bt->status[s];
		r->connects += bt->connects;
		r->handshakes += bt->handshakes;
		r->resumed += bt->resumed;
		r->unsent += bt->unsent;
		r->waited += bt->waited;
		r->late += bt->late;
		/* rf_hist is an rf__hdr (hdr.c) */
		rf__hdr_merge((struct rf__hdr *)b->lat, bt->lat);
		rf__hdr_merge((struct rf__hdr *)b->ttfb, bt->ttfb);
		rf__hdr_merge((struct rf__hdr *)b->conn_h, bt->conn_h);
		rf__hdr_merge((struct rf__hdr *)b->hs_h, bt->hs_h);
		if (bt->service)
			rf__hdr_merge((struct rf__hdr *)b->service, bt->service);
		if (rf__tally_merge(&b->tally, &bt->tally))
			b->tally.short_of_memory = true;
	}
	merge_tallies(b);
	for (int k = 0; k < RF_BENCH_ERR_KINDS; k++)
		r->error_samples[k] = b->samples[k];
	r->latency = b->lat;
	r->ttfb = b->ttfb;
	r->connect = b->conn_h;
	r->handshake = b->hs_h;
	r->service = b->open ? b->service : NULL;
}

static void progress(struct rf_bench *b, int64_t now)
{
	rf_bench_progress p = {.elapsed = (double)(now - b->measure_start) / 1e9};
	for (unsigned t = 0; t < b->n_threads; t++) {
		struct bench_thread *bt = &b->threads[t];
		p.requests += atomic_load_explicit(&bt->pub_requests, memory_order_relaxed);
		p.errors += atomic_load_explicit(&bt->pub_errors, memory_order_relaxed);
		uint64_t p99 = atomic_load_explicit(&bt->pub_p99, memory_order_relaxed);
		if (p99 > p.p99_us)
			p.p99_us = p99;
	}
	b->o.on_progress(b->o.progress_arg, &p);
}

int rf_bench_run(rf_bench *b)
{
	rf_bench_opts *o = &b->o;
	/* the time series: steps of a second, wider when a timed run would
	 * have more than RF_BENCH_MAX_STEPS (runs by count widen as they go) */
	double step = o->requests ? 1 : ceil(o->duration / RF_BENCH_MAX_STEPS);
	b->step_ns = (int64_t)(step < 1 ? 1 : step) * 1000000000;
	int err = rf__tally_init(&b->tally, b->n_targets, b->step_ns);
	if (!err)
		err = threads_new(b);
	if (err) {
		threads_free(b);
		return err;
	}
	pthread_barrier_init(&b->connected, NULL, b->n_threads + 1);
	pthread_barrier_init(&b->go, NULL, b->n_threads + 1);
	unsigned started = 0;
	for (; started < b->n_threads; started++)
		if ((err = -pthread_create(&b->threads[started].tid, NULL, thread_main,
		                           &b->threads[started])))
			break;
	if (err) { /* let the ones running go, stopped at once */
		rf_bench_stop(b);
		for (unsigned t = started; t < b->n_threads; t++) {
			pthread_barrier_wait(&b->connected);
			pthread_barrier_wait(&b->go);
		}
	}
	pthread_barrier_wait(&b->connected);
	int64_t now = mono_ns();
	int64_t t0 = now + 1000000; /* 1 ms: every thread is past the barrier */
	if (o->start_at > 0) {
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		double wait = o->start_at - ((double)rt.tv_sec + rt.tv_nsec / 1e9);
		if (wait > 0)
			t0 = now + (int64_t)(wait * 1e9);
	}
	b->t0 = t0;
	b->measure_start = t0 + (int64_t)(o->warmup * 1e9);
	b->measure_end = o->requests ? 0 : b->measure_start + (int64_t)(o->duration * 1e9);
	pthread_barrier_wait(&b->go);
	int64_t next_progress = mono_ns() + (int64_t)(o->progress_interval * 1e9);
	for (unsigned t = 0; t < started; t++) {
		for (;;) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			if (pthread_timedjoin_np(b->threads[t].tid, NULL, &ts) == 0)
				break;
			now = mono_ns();
			if (o->on_progress && o->progress_interval > 0 && now >= next_progress) {
				progress(b, now);
				next_progress = now + (int64_t)(o->progress_interval * 1e9);
			}
		}
	}
	int64_t end = mono_ns();
	pthread_barrier_destroy(&b->connected);
	pthread_barrier_destroy(&b->go);
	merge(b);
	/* the measured part: to the end of the window, or of the last response */
	int64_t stop = by_time(b) && end > b->measure_end ? b->measure_end : end;
	b->res.duration = stop > b->measure_start ? (double)(stop - b->measure_start) / 1e9 : 0;
	if (!err) {
		for (unsigned t = 0; t < started; t++) {
			if (b->threads[t].error) {
				err = b->threads[t].error;
				if (o->error_detail && o->error_detail_len)
					snprintf(o->error_detail, o->error_detail_len, "%s",
					         b->threads[t].error_detail);
				break;
			}
		}
	}
	if (o->on_progress && o->progress_interval > 0)
		progress(b, end);
	threads_free(b);
	free(b->threads);
	b->threads = NULL;
	return err;
}
