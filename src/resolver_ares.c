/*
 * resolver_ares.c - DNS with c-ares, its sockets driven by the loop.
 *
 * c-ares (Debian's libc-ares 1.18, the resolver of curl and aria2) reads
 * /etc/resolv.conf (nameservers, search, ndots, timeout, attempts,
 * rotate), checks that an answer comes from the server asked with the ID
 * asked, falls back to TCP when an answer is truncated and follows CNAME
 * chains.  It has no I/O loop of its own in this use: its socket-state
 * callback says which of its sockets want reading or writing, and each
 * such wish is a one-shot poll op on the ring (or the epoll set), tagged
 * RF__OP_DNS_POLL with the socket's index and generation; when one
 * completes, ares_process_fd() reads or writes that socket, and the poll
 * is armed again while c-ares still wants it.  ares_timeout() gives the
 * next retransmission deadline, which the client's timer honours.
 *
 * One c-ares channel sends all its UDP queries from one socket, and a
 * burst of answers to hundreds of them overflows that socket's receive
 * buffer (net.core.rmem_default, 208 KiB: about 200 small datagrams); the
 * answers dropped come back only after a timeout.  So queries are spread
 * over channels of at most CHANNEL_QUERIES each, opened as needed, each
 * with a socket of its own (c-ares 1.18 has no udp_max_queries).
 *
 * The hosts file is not c-ares's business here (lookups "b"): dns.c reads
 * it once.  Addresses are not sorted by c-ares (ARES_AI_NOSORT, which
 * would cost a socket and a connect per address): dns.c orders them.
 */
#include <ares.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver.h"

#include <ringfetch.h>

#define CHANNEL_QUERIES 64 /* queries in flight on one channel (one UDP socket) */
#define MAX_CHANNELS 64

struct ares;

struct chan {
	struct ares *a;
	ares_channel ch;
	unsigned pending;
};

struct asock {
	struct chan *c; /* the channel that owns the socket */
	int fd;         /* -1: entry free */
	bool want[2];   /* [0] readable, [1] writable */
	bool armed[2];
	uint32_t gen;
};

struct ares {
	struct rf__loop *loop;
	struct chan *chans[MAX_CHANNELS];
	unsigned nchans;
	struct ares_options opts; /* for each channel */
	int optmask;
	char *servers_csv; /* --dns-servers, or NULL */
	bool closing;      /* being freed (the loop may be gone): no more ops */
	struct asock *socks;
	unsigned nsocks;
	uint32_t next_gen;
	struct rf__resolver_query *done, *done_tail;
	unsigned pending;
	int64_t due;      /* the next retransmission or give-up (ns) ... */
	bool due_known;   /* ... while nothing changed (ares_timeout walks every query) */
	unsigned tries;   /* attempts per server, for messages */
	char servers[96]; /* "127.0.0.53" or "a, b", for messages */
};

static rf__tag poll_tag(unsigned idx, unsigned dir, uint32_t gen)
{
	return rf__tag_make(RF__OWNER_DNS, RF__OP_DNS_POLL, idx * 2 + dir, gen);
}

static void arm(struct ares *a, unsigned idx, unsigned dir)
{
	struct asock *s = &a->socks[idx];
	if (!s->want[dir] || s->armed[dir])
		return;
	s->armed[dir] = true;
	rf__op_poll(a->loop, poll_tag(idx, dir, s->gen), s->fd, dir ? POLLOUT : POLLIN);
}

static int sock_index(struct ares *a, int fd)
{
	for (unsigned i = 0; i < a->nsocks; i++)
		if (a->socks[i].fd == fd)
			return (int)i;
	return -1;
}

/* c-ares: fd wants reading and/or writing, or (0, 0) is about to close. */
static void sock_state(void *data, ares_socket_t fd, int readable, int writable)
{
	struct chan *c = data;
	struct ares *a = c->a;
	if (a->closing)
		return;
	int i = sock_index(a, fd);
	if (!readable && !writable) {
		if (i < 0)
			return;
		struct asock *s = &a->socks[i];
		rf__loop_forget_fd(a->loop, fd, s->armed[0] ? poll_tag((unsigned)i, 0, s->gen) : 0,
		                   s->armed[1] ? poll_tag((unsigned)i, 1, s->gen) : 0);
		s->fd = -1; /* completions of its polls carry the old generation */
		s->want[0] = s->want[1] = s->armed[0] = s->armed[1] = false;
		return;
	}
	if (i < 0) {
		i = sock_index(a, -1);
		if (i < 0) {
			struct asock *n = realloc(a->socks, (a->nsocks + 1) * sizeof(*n));
			if (!n)
				return; /* its query times out */
			a->socks = n;
			i = (int)a->nsocks++;
		}
		a->socks[i] = (struct asock){.c = c, .fd = fd, .gen = ++a->next_gen & RF__TAG_GEN_MASK};
	}
	struct asock *s = &a->socks[i];
	s->want[0] = readable;
	s->want[1] = writable;
	arm(a, (unsigned)i, 0);
	arm(a, (unsigned)i, 1);
}

static void post(struct ares *a, struct rf__resolver_query *q)
{
	q->next = NULL;
	if (a->done_tail)
		a->done_tail->next = q;
	else
		a->done = q;
	a->done_tail = q;
}

static void describe_failure(struct ares *a, struct rf__resolver_query *q, int status)
{
	const char *fam = q->family == AF_INET ? "IPv4" : q->family == AF_INET6 ? "IPv6" : "an";
	switch (status) {
	case ARES_ENOTFOUND:
		q->status = RF__DNS_NXDOMAIN;
		snprintf(q->detail, sizeof(q->detail), "no such host (NXDOMAIN)");
		break;
	case ARES_ENODATA:
		q->status = RF__DNS_NODATA;
		snprintf(q->detail, sizeof(q->detail), "no %s address", fam);
		break;
	case ARES_ESERVFAIL:
		q->status = RF__DNS_SERVFAIL;
		snprintf(q->detail, sizeof(q->detail), "DNS server %s answered SERVFAIL", a->servers);
		break;
	case ARES_EREFUSED:
		q->status = RF__DNS_REFUSED;
		snprintf(q->detail, sizeof(q->detail), "DNS server %s refused the query", a->servers);
		break;
	case ARES_ETIMEOUT:
		q->status = RF__DNS_TIMEOUT;
		snprintf(q->detail, sizeof(q->detail), "DNS lookup timed out after %u attempt%s (%s)",
		         a->tries, a->tries == 1 ? "" : "s", a->servers);
		break;
	case ARES_ECONNREFUSED:
		q->status = RF__DNS_UNREACH;
		snprintf(q->detail, sizeof(q->detail), "DNS server %s unreachable (connection refused)",
		         a->servers);
		break;
	case ARES_EBADRESP:
	case ARES_EFORMERR:
	case ARES_ENOTIMP:
		q->status = RF__DNS_BADRESP;
		snprintf(q->detail, sizeof(q->detail), "DNS server %s sent an unusable answer (%.40s)",
		         a->servers, ares_strerror(status) ? ares_strerror(status) : "?");
		break;
	case ARES_EBADNAME:
		q->status = RF__DNS_BADNAME;
		snprintf(q->detail, sizeof(q->detail), "not a valid host name for DNS");
		break;
	case ARES_ENOMEM:
		q->status = RF__DNS_NOMEM;
		snprintf(q->detail, sizeof(q->detail), "out of memory");
		break;
	default:
		q->status = RF__DNS_OTHER;
		snprintf(q->detail, sizeof(q->detail), "DNS lookup failed: %.80s",
		         ares_strerror(status) ? ares_strerror(status) : "?");
		break;
	}
}

static void answered(void *arg, int status, int timeouts, struct ares_addrinfo *res)
{
	(void)timeouts;
	struct rf__resolver_query *q = arg;
	struct chan *c = q->priv;
	struct ares *a = c->a;
	c->pending--;
	q->addrs = NULL;
	q->ttl = 0;
	if (status == ARES_SUCCESS && res) {
		unsigned n = 0, ttl = UINT32_MAX;
		for (struct ares_addrinfo_node *nd = res->nodes; nd; nd = nd->ai_next)
			if (nd->ai_family == q->family || q->family == AF_UNSPEC)
				n++;
		for (struct ares_addrinfo_node *nd = res->nodes; nd; nd = nd->ai_next)
			if (nd->ai_ttl >= 0 && (unsigned)nd->ai_ttl < ttl)
				ttl = (unsigned)nd->ai_ttl;
		for (struct ares_addrinfo_cname *cn = res->cnames; cn; cn = cn->next)
			if (cn->ttl >= 0 && (unsigned)cn->ttl < ttl)
				ttl = (unsigned)cn->ttl;
		q->ttl = ttl == UINT32_MAX ? 0 : ttl;
		if (n == 0) {
			status = ARES_ENODATA;
		} else if (!(q->addrs = rf__addrlist_new(n))) {
			status = ARES_ENOMEM;
		} else {
			q->addrs->n = 0;
			for (struct ares_addrinfo_node *nd = res->nodes; nd; nd = nd->ai_next) {
				if (nd->ai_family != q->family && q->family != AF_UNSPEC)
					continue;
				if (nd->ai_family != AF_INET && nd->ai_family != AF_INET6)
					continue;
				if (nd->ai_addrlen > sizeof(q->addrs->a[0]))
					continue;
				memcpy(&q->addrs->a[q->addrs->n++], nd->ai_addr, nd->ai_addrlen);
			}
		}
	}
	if (res)
		ares_freeaddrinfo(res);
	if (status == ARES_SUCCESS) {
		q->status = RF__DNS_OK;
	} else {
		rf__addrlist_unref(q->addrs);
		q->addrs = NULL;
		describe_failure(a, q, status);
	}
	post(a, q);
}

static struct chan *chan_new(struct ares *a, int *status)
{
	struct chan *c = calloc(1, sizeof(*c));
	if (!c) {
		*status = ARES_ENOMEM;
		return NULL;
	}
	c->a = a;
	a->opts.sock_state_cb_data = c;
	*status = ares_init_options(&c->ch, &a->opts, a->optmask);
	if (*status == ARES_SUCCESS && a->servers_csv) {
		*status = ares_set_servers_ports_csv(c->ch, a->servers_csv);
		if (*status != ARES_SUCCESS)
			ares_destroy(c->ch);
	}
	if (*status != ARES_SUCCESS) {
		free(c);
		return NULL;
	}
	return c;
}

/* The channel for the next query: the least busy, or a new one when every
 * channel carries CHANNEL_QUERIES. */
static struct chan *pick(struct ares *a)
{
	struct chan *best = a->chans[0];
	for (unsigned i = 1; i < a->nchans; i++)
		if (a->chans[i]->pending < best->pending)
			best = a->chans[i];
	if (best->pending >= CHANNEL_QUERIES && a->nchans < MAX_CHANNELS) {
		int st;
		struct chan *c = chan_new(a, &st);
		if (c) {
			a->chans[a->nchans++] = c;
			best = c;
		}
	}
	return best;
}

static void ares_start(void *r, struct rf__resolver_query *q)
{
	struct ares *a = r;
	struct ares_addrinfo_hints hints;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = q->family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = ARES_AI_NOSORT;
	a->pending++;
	a->due_known = false;
	struct chan *c = pick(a);
	c->pending++;
	q->priv = c;
	ares_getaddrinfo(c->ch, q->host, NULL, &hints, answered, q);
}

static struct rf__resolver_query *ares_take_done(void *r)
{
	struct ares *a = r;
	struct rf__resolver_query *done = a->done;
	a->done = a->done_tail = NULL;
	for (struct rf__resolver_query *q = done; q; q = q->next)
		a->pending--;
	return done;
}

static void ares_on_op(void *r, rf__tag t, int res)
{
	struct ares *a = r;
	unsigned idx = rf__tag_idx(t) / 2, dir = rf__tag_idx(t) % 2;
	if (idx >= a->nsocks)
		return;
	struct asock *s = &a->socks[idx];
	if (s->fd < 0 || !rf__tag_gen_is(t, s->gen))
		return; /* a poll of a socket c-ares has closed */
	s->armed[dir] = false;
	if (res == -ECANCELED)
		return;
	a->due_known = false;
	int fd = s->fd;
	if (s->want[dir]) /* also on an error: c-ares finds it when it reads */
		ares_process_fd(s->c->ch, dir ? ARES_SOCKET_BAD : fd, dir ? fd : ARES_SOCKET_BAD);
	/* the socket may be gone or its entry moved; arm what is still wanted */
	if (idx < a->nsocks && a->socks[idx].fd == fd && rf__tag_gen_is(t, a->socks[idx].gen)) {
		arm(a, idx, 0);
		arm(a, idx, 1);
	}
}

static int64_t ares_deadline(void *r, int64_t now)
{
	struct ares *a = r;
	if (!a->pending)
		return INT64_MAX;
	if (a->due_known)
		return a->due;
	int64_t next = INT64_MAX;
	for (unsigned i = 0; i < a->nchans; i++) {
		if (!a->chans[i]->pending)
			continue;
		struct timeval tv, *tvp = ares_timeout(a->chans[i]->ch, NULL, &tv);
		int64_t due = tvp ? now + (int64_t)tvp->tv_sec * 1000000000 + (int64_t)tvp->tv_usec * 1000
		                  : INT64_MAX;
		if (due < next)
			next = due;
	}
	a->due = next;
	a->due_known = true;
	return next;
}

static void ares_on_time(void *r)
{
	struct ares *a = r;
	a->due_known = false;
	for (unsigned i = 0; i < a->nchans; i++)
		if (a->chans[i]->pending)
			ares_process_fd(a->chans[i]->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
}

static unsigned ares_pending_count(const void *r)
{
	return ((const struct ares *)r)->pending;
}

static void ares_free(void *r)
{
	struct ares *a = r;
	if (!a)
		return;
	a->closing = true;
	for (unsigned i = 0; i < a->nchans; i++) {
		ares_destroy(a->chans[i]->ch); /* answers every query (EDESTRUCTION) */
		free(a->chans[i]);
	}
	free(a->servers_csv);
	for (struct rf__resolver_query *q = a->done; q; q = q->next) {
		rf__addrlist_unref(q->addrs);
		q->addrs = NULL;
	}
	free(a->socks);
	free(a);
}

static const struct rf__resolver_ops ares_ops = {
	.name = "c-ares",
	.start = ares_start,
	.take_done = ares_take_done,
	.on_op = ares_on_op,
	.deadline = ares_deadline,
	.on_time = ares_on_time,
	.pending = ares_pending_count,
	.free = ares_free,
};

static pthread_once_t library_once = PTHREAD_ONCE_INIT;
static int library_status;

static void library_init(void)
{
	library_status = ares_library_init(ARES_LIB_INIT_ALL);
}

/* The "options" of resolv.conf (timeout:N, attempts:N, ndots:N, rotate),
 * read here: c-ares 1.18 leaves its defaults (5 s, 4 tries) in place of
 * timeout and attempts.  Bounded as glibc bounds them. */
static int resolv_options(const char *path, struct ares_options *o, unsigned *nservers)
{
	int mask = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "nameserver", 10) == 0 && (line[10] == ' ' || line[10] == '\t'))
			(*nservers)++;
		if (strncmp(line, "options", 7) != 0 || (line[7] != ' ' && line[7] != '\t'))
			continue;
		char *save = NULL;
		for (char *t = strtok_r(line + 7, " \t\r\n", &save); t;
		     t = strtok_r(NULL, " \t\r\n", &save)) {
			int v;
			if (sscanf(t, "timeout:%d", &v) == 1 && v > 0) {
				o->timeout = (v > 30 ? 30 : v) * 1000;
				mask |= ARES_OPT_TIMEOUTMS;
			} else if (sscanf(t, "attempts:%d", &v) == 1 && v > 0) {
				o->tries = v > 5 ? 5 : v;
				mask |= ARES_OPT_TRIES;
			} else if (sscanf(t, "ndots:%d", &v) == 1 && v >= 0) {
				o->ndots = v > 15 ? 15 : v;
				mask |= ARES_OPT_NDOTS;
			} else if (strcmp(t, "rotate") == 0) {
				mask |= ARES_OPT_ROTATE;
			}
		}
	}
	fclose(f);
	return mask;
}

static void describe_servers(struct ares *a)
{
	struct ares_addr_port_node *list = NULL;
	a->servers[0] = 0;
	if (ares_get_servers_ports(a->chans[0]->ch, &list) != ARES_SUCCESS)
		return;
	size_t at = 0;
	unsigned count = 0;
	for (struct ares_addr_port_node *n = list; n && at < sizeof(a->servers) - 1; n = n->next) {
		char ip[INET6_ADDRSTRLEN] = "";
		inet_ntop(n->family, &n->addr, ip, sizeof(ip));
		int port = n->udp_port ? n->udp_port : 53;
		int w;
		if (port == 53)
			w = snprintf(a->servers + at, sizeof(a->servers) - at, "%s%s", count ? ", " : "", ip);
		else if (n->family == AF_INET6)
			w = snprintf(a->servers + at, sizeof(a->servers) - at, "%s[%s]:%d", count ? ", " : "",
			             ip, port);
		else
			w = snprintf(a->servers + at, sizeof(a->servers) - at, "%s%s:%d", count ? ", " : "",
			             ip, port);
		if (w < 0)
			break;
		at += (size_t)w;
		count++;
	}
	ares_free_data(list);
	if (at >= sizeof(a->servers))
		snprintf(a->servers + sizeof(a->servers) - 5, 5, "...");
	if (!count)
		snprintf(a->servers, sizeof(a->servers), "(none configured)");
}

int rf__resolver_ares_new(struct rf__loop *loop, const struct rf__resolver_config *cfg,
                          const struct rf__resolver_ops **ops, void **out, char *why, size_t why_len)
{
	pthread_once(&library_once, library_init);
	if (library_status != ARES_SUCCESS) {
		snprintf(why, why_len, "c-ares: %s", ares_strerror(library_status));
		return RF_EINVAL;
	}
	struct ares *a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->loop = loop;
	struct ares_options *o = &a->opts;
	o->sock_state_cb = sock_state;
	o->lookups = (char *)"b"; /* the hosts file is dns.c's */
	unsigned nservers = 0;
	int mask = resolv_options("/etc/resolv.conf", o, &nservers);
	if (cfg && cfg->servers && *cfg->servers) {
		a->servers_csv = strdup(cfg->servers);
		if (!a->servers_csv) {
			free(a);
			return -ENOMEM;
		}
		nservers = 1;
		for (const char *p = cfg->servers; *p; p++)
			nservers += *p == ',';
	}
	if (nservers <= 1) {
		/* one server: its SERVFAIL or REFUSED is the answer (c-ares would
		 * otherwise try the next server, and report "connection refused"
		 * once there is none) */
		o->flags = ARES_FLAG_NOCHECKRESP;
		mask |= ARES_OPT_FLAGS;
	}
	a->optmask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | mask;
	int st;
	struct chan *c = chan_new(a, &st);
	if (!c) {
		if (st == ARES_ENOMEM)
			snprintf(why, why_len, "out of memory");
		else if (a->servers_csv && st == ARES_EBADSTR)
			snprintf(why, why_len,
			         "--dns-servers %s: not a list of addresses (want "
			         "ADDR[:PORT][,...])",
			         cfg->servers);
		else if (a->servers_csv)
			snprintf(why, why_len, "--dns-servers %s: %s (want ADDR[:PORT][,...])", cfg->servers,
			         ares_strerror(st));
		else
			snprintf(why, why_len, "c-ares: %s (reading /etc/resolv.conf)", ares_strerror(st));
		free(a->servers_csv);
		free(a);
		return st == ARES_ENOMEM ? -ENOMEM : RF_EINVAL;
	}
	a->chans[a->nchans++] = c;
	struct ares_options saved;
	int smask;
	a->tries = 0;
	if (ares_save_options(c->ch, &saved, &smask) == ARES_SUCCESS) {
		unsigned ns = saved.nservers > 0 ? (unsigned)saved.nservers : 1;
		a->tries = saved.tries > 0 ? (unsigned)saved.tries * ns : 0;
		ares_destroy_options(&saved);
	}
	describe_servers(a);
	*ops = &ares_ops;
	*out = a;
	return 0;
}
