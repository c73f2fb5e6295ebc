/*
 * dns.c - host names to addresses, for every transfer of a client.
 *
 * In the order asked: a pin (--resolve HOST:PORT:ADDR), an IP literal,
 * the hosts file (read once, hosts.c), "localhost" (RFC 6761), then the
 * cache, then the resolver (resolver.h: c-ares on the loop by default,
 * getaddrinfo() on threads with --resolver system).
 *
 * The cache: one entry per host name, however many URLs share it; a
 * lookup in flight is joined, never repeated.  Answers are kept for their
 * TTL (at least MIN_TTL), failures briefly (NEG_TTL_*), and the cache is
 * bounded: past cache_max entries the least recently used settled entry
 * goes.  At most max_inflight names are asked at once; the rest wait in
 * order.  An entry's addresses are a counted list (addrlist.h), so a
 * transfer dialing from an answer that expires keeps its own reference.
 *
 * Both families are asked as separate queries (RFC 8305, section 3): an
 * AAAA answer with addresses settles the entry at once; an A answer waits
 * RESOLUTION_DELAY for the AAAA before it does.  A family that answers
 * after the entry settled is merged into it for later transfers.
 */
#include "dns.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "group.h"
#include "hash.h"
#include "hosts.h"

#include <ringfetch.h>

#define DEFAULT_INFLIGHT 256
#define DEFAULT_CACHE_MAX 32768
#define RESOLUTION_DELAY (50 * 1000000LL) /* ns: RFC 8305's recommended 50 ms */
#define MIN_TTL (1 * 1000000000LL)        /* ns: a TTL of 0 still serves the moment */
#define NEG_TTL_NAME (5 * 1000000000LL)   /* NXDOMAIN, no address of the family */
#define NEG_TTL_SERVER (2 * 1000000000LL) /* SERVFAIL, timeout, refused, garbage */
#define EVICT_SCAN 64                     /* settled entries looked at from the LRU end */
/* ns: names another thread looks up are looked at again at least this often */
#define BORROW_RECHECK (250 * 1000000LL)

struct pin {
	unsigned port;
	struct rf__dns_entry e;
};

struct rf__dns {
	const struct rf__resolver_ops *ops;
	void *res;
	int family;
	unsigned max_inflight, cache_max;
	struct rf__hosts *hosts;
	struct pin *pins;
	unsigned npins;
	struct rf__dns_entry **buckets;
	unsigned nbuckets;
	struct rf__dns_entry *lru_head, *lru_tail;
	struct rf__dns_entry *wait_head, *wait_tail; /* names waiting for a lookup slot */
	struct rf__dns_entry *other;                 /* waiting for the other family */
	unsigned inflight, settled;
	struct rf__dns_stats st;
	/* threads: one lookup per name for all of them (group.h) */
	struct rf__group *group;
	unsigned member;
	struct rf__dns_entry *borrowed; /* names another thread is looking up */
	int64_t borrow_check;           /* when to look at them again */
};

const char *rf__dns_source_name(enum rf__dns_source s)
{
	switch (s) {
	case RF__DNS_FROM_DNS:
		return "DNS";
	case RF__DNS_FROM_HOSTS:
		return "hosts file";
	case RF__DNS_FROM_PIN:
		return "--resolve";
	case RF__DNS_FROM_LITERAL:
		return "literal";
	case RF__DNS_FROM_LOCALHOST:
		return "localhost";
	}
	return "?";
}

/* ---- the least-recently-used list ---- */

static void lru_unlink(struct rf__dns *d, struct rf__dns_entry *e)
{
	if (!e->in_lru)
		return;
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		d->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		d->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
	e->in_lru = false;
}

static void lru_front(struct rf__dns *d, struct rf__dns_entry *e)
{
	if (e->in_lru && d->lru_head == e)
		return;
	lru_unlink(d, e);
	e->lru_next = d->lru_head;
	if (d->lru_head)
		d->lru_head->lru_prev = e;
	d->lru_head = e;
	if (!d->lru_tail)
		d->lru_tail = e;
	e->in_lru = true;
}

/* ---- the table ---- */

static void entry_free(struct rf__dns_entry *e)
{
	rf__addrlist_unref(e->addrs);
	free(e->error);
	free(e->host);
	free(e);
}

static struct rf__dns_entry *find(const struct rf__dns *d, const char *host)
{
	for (struct rf__dns_entry *e = d->buckets[rf__hash32(host) & (d->nbuckets - 1)]; e; e = e->hnext)
		if (strcmp(e->host, host) == 0)
			return e;
	return NULL;
}

static void grow(struct rf__dns *d)
{
	unsigned n = d->nbuckets * 2;
	struct rf__dns_entry **b = rf__calloc(n, sizeof(*b));
	if (!b)
		return; /* longer chains, still correct */
	for (unsigned i = 0; i < d->nbuckets; i++) {
		for (struct rf__dns_entry *e = d->buckets[i], *next; e; e = next) {
			next = e->hnext;
			unsigned k = rf__hash32(e->host) & (n - 1);
			e->hnext = b[k];
			b[k] = e;
		}
	}
	free(d->buckets);
	d->buckets = b;
	d->nbuckets = n;
}

static void unhash(struct rf__dns *d, struct rf__dns_entry *e)
{
	struct rf__dns_entry **pp = &d->buckets[rf__hash32(e->host) & (d->nbuckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
}

/* Past cache_max: forget the least recently used settled entries. */
static void evict(struct rf__dns *d)
{
	struct rf__dns_entry *e = d->lru_tail;
	for (unsigned scanned = 0; e && d->st.entries >= d->cache_max && scanned < EVICT_SCAN; scanned++) {
		struct rf__dns_entry *prev = e->lru_prev;
		if (e->state != RF__ENTRY_PENDING && !e->asking && !e->refs) {
			lru_unlink(d, e);
			unhash(d, e);
			entry_free(e);
			d->st.entries--;
			d->st.evicted++;
		}
		e = prev;
	}
}

/* ---- settling ---- */

static void settle_ok(struct rf__dns *d, struct rf__dns_entry *e, struct rf__addrlist *addrs, unsigned ttl,
                      int64_t now)
{
	rf__addrlist_unref(e->addrs);
	e->addrs = addrs;
	e->ttl = ttl;
	e->state = RF__ENTRY_OK;
	e->t_answered = now;
	int64_t keep = (int64_t)ttl * 1000000000LL;
	e->expires = now + (keep > MIN_TTL ? keep : MIN_TTL);
	d->settled++;
}

static void settle_failed(struct rf__dns *d, struct rf__dns_entry *e, const char *why, bool name_problem,
                          int64_t now)
{
	free(e->error);
	e->error = rf__strdup(why);
	e->state = RF__ENTRY_FAILED;
	e->t_answered = now;
	e->expires = now + (name_problem ? NEG_TTL_NAME : NEG_TTL_SERVER);
	d->st.failures++;
	d->settled++;
}

static struct rf__addrlist *family_only(struct rf__addrlist *l, int family)
{
	if (!l || !family)
		return rf__addrlist_ref(l);
	unsigned n = 0;
	for (unsigned i = 0; i < l->n; i++)
		n += l->a[i].sa.sa_family == family;
	if (n == l->n)
		return rf__addrlist_ref(l);
	struct rf__addrlist *out = n ? rf__addrlist_new(n) : NULL;
	if (out) {
		out->n = 0;
		for (unsigned i = 0; i < l->n; i++)
			if (l->a[i].sa.sa_family == family)
				out->a[out->n++] = l->a[i];
	}
	return out;
}

static const char *family_flag(int family)
{
	return family == AF_INET ? "no IPv4 address (--ipv4 given)" : "no IPv6 address (--ipv6 given)";
}

/* Settle from addresses known without asking (hosts file, localhost). */
static void settle_known(struct rf__dns *d, struct rf__dns_entry *e, struct rf__addrlist *l,
                         enum rf__dns_source src, int64_t now)
{
	struct rf__addrlist *f = family_only(l, d->family);
	e->source = src;
	if (f && f->n) {
		settle_ok(d, e, f, 0, now);
		e->expires = INT64_MAX;
	} else {
		rf__addrlist_unref(f);
		settle_failed(d, e, family_flag(d->family), true, now);
		e->expires = INT64_MAX;
	}
}

static void other_remove(struct rf__dns *d, struct rf__dns_entry *e)
{
	if (!e->waiting_other)
		return;
	for (struct rf__dns_entry **pp = &d->other; *pp; pp = &(*pp)->wait_next)
		if (*pp == e) {
			*pp = e->wait_next;
			break;
		}
	e->wait_next = NULL;
	e->waiting_other = false;
}

static bool name_problem(enum rf__dns_status s)
{
	return s == RF__DNS_NXDOMAIN || s == RF__DNS_NODATA || s == RF__DNS_BADNAME;
}

/* Threads: the others learn e's answer (they wait for it, or will ask). */
static void publish(struct rf__dns *d, const struct rf__dns_entry *e)
{
	if (d->group && e->state != RF__ENTRY_PENDING)
		rf__group_name_answer(d->group, e->host, e->state == RF__ENTRY_OK ? e->addrs : NULL, e->ttl,
		                      e->expires, e->error);
}

/* Every query of e answered, e still PENDING: settle from both. */
static void settle_from_queries(struct rf__dns *d, struct rf__dns_entry *e, int64_t now, unsigned nq)
{
	struct rf__resolver_query *q6 = &e->q[0], *q4 = nq > 1 ? &e->q[1] : NULL;
	struct rf__addrlist *m = rf__addrlist_merge(q6->addrs, q4 ? q4->addrs : NULL);
	unsigned ttl = q6->addrs ? q6->ttl : 0;
	if (q4 && q4->addrs && (!q6->addrs || q4->ttl < ttl))
		ttl = q4->ttl;
	if (m && m->n) {
		settle_ok(d, e, m, ttl, now);
		return;
	}
	rf__addrlist_unref(m);
	/* no address: the more telling failure (the A query's unless it only
	 * says the name has no such address) */
	const struct rf__resolver_query *w = q4 && !(q4->status == RF__DNS_NODATA &&
	                                             q6->status != RF__DNS_NODATA && q6->status != RF__DNS_OK)
	                                             ? q4
	                                             : q6;
	const char *why = w->detail[0] ? w->detail : "no address";
	if (d->family && (w->status == RF__DNS_NODATA || w->status == RF__DNS_OK))
		why = family_flag(d->family);
	else if (w->status == RF__DNS_OK)
		why = "no address in the answer";
	settle_failed(d, e, why, name_problem(w->status) || w->status == RF__DNS_OK, now);
}

static void launch(struct rf__dns *d, struct rf__dns_entry *e);

static void launch_waiting(struct rf__dns *d)
{
	while (d->wait_head && d->inflight < d->max_inflight) {
		struct rf__dns_entry *e = d->wait_head;
		d->wait_head = e->wait_next;
		if (!d->wait_head)
			d->wait_tail = NULL;
		e->wait_next = NULL;
		e->queued = false;
		launch(d, e);
	}
}

static void answered(struct rf__dns *d, struct rf__resolver_query *q, int64_t now)
{
	struct rf__dns_entry *e = q->owner;
	unsigned nq = e->q[1].owner ? 2 : 1;
	bool was_pending = e->state == RF__ENTRY_PENDING;
	e->asking--;
	if (e->state != RF__ENTRY_PENDING) {
		/* the other family, after the entry settled: for later transfers */
		if (e->state == RF__ENTRY_OK && q->status == RF__DNS_OK && q->addrs) {
			struct rf__addrlist *m = rf__addrlist_merge(q->addrs, e->addrs);
			if (m) {
				rf__addrlist_unref(e->addrs);
				e->addrs = m;
			}
			d->settled++; /* transfers dialing from it may use them */
		}
	} else if (e->asking == 0) {
		other_remove(d, e);
		settle_from_queries(d, e, now, nq);
	} else if (q->status == RF__DNS_OK && q->addrs && q->addrs->n) {
		if (q == &e->q[0]) { /* AAAA first: go */
			settle_ok(d, e, rf__addrlist_ref(q->addrs), q->ttl, now);
		} else if (!e->waiting_other) { /* A first: give AAAA a moment */
			e->other_family_until = now + RESOLUTION_DELAY;
			e->waiting_other = true;
			e->wait_next = d->other;
			d->other = e;
		}
	}
	if (was_pending && e->state != RF__ENTRY_PENDING)
		publish(d, e);
	if (e->asking == 0) {
		if (e->state != RF__ENTRY_PENDING)
			d->settled++; /* nothing more to wait for */
		other_remove(d, e);
		for (unsigned i = 0; i < 2; i++)
			rf__addrlist_unref(e->q[i].addrs);
		free(e->q);
		e->q = NULL;
		d->inflight--;
	}
}

static void collect(struct rf__dns *d, int64_t now)
{
	for (;;) {
		struct rf__resolver_query *done = d->ops->take_done(d->res);
		if (!done)
			break;
		for (struct rf__resolver_query *q = done, *next; q; q = next) {
			next = q->next;
			answered(d, q, now);
		}
	}
	launch_waiting(d);
}

static void launch(struct rf__dns *d, struct rf__dns_entry *e)
{
	d->inflight++;
	if (d->inflight > d->st.peak_inflight)
		d->st.peak_inflight = d->inflight;
	d->st.lookups++;
	e->q = rf__calloc(2, sizeof(*e->q));
	if (!e->q) {
		d->inflight--;
		settle_failed(d, e, "out of memory", false, e->t_asked);
		return;
	}
	int fam[2] = {d->family ? d->family : AF_INET6, AF_INET};
	unsigned nq = d->family ? 1 : 2;
	if (!d->family && d->ops->both_families_at_once) {
		fam[0] = AF_UNSPEC;
		nq = 1;
	}
	e->asking = (uint8_t)nq;
	for (unsigned i = 0; i < nq; i++) {
		e->q[i].owner = e;
		e->q[i].host = e->host;
		e->q[i].family = fam[i];
	}
	for (unsigned i = 0; i < nq; i++)
		d->ops->start(d->res, &e->q[i]);
}

/* Threads: what the group knows of e's name.  True when that settled e,
 * or another thread is looking it up (e waits on d->borrowed); false: this
 * thread asks. */
static bool from_board(struct rf__dns *d, struct rf__dns_entry *e, int64_t now)
{
	struct rf__addrlist *addrs;
	unsigned ttl = 0;
	int64_t expires = 0;
	char why[200] = "";
	switch (rf__group_name_find(d->group, e->host, now, d->member, &addrs, &ttl, &expires, why,
	                            sizeof(why))) {
	case RF__BOARD_ASK:
		return false;
	case RF__BOARD_ASKING:
		if (!e->borrowed) {
			e->borrowed = true;
			e->borrow_next = d->borrowed;
			d->borrowed = e;
		}
		if (!d->borrow_check || d->borrow_check > now + BORROW_RECHECK)
			d->borrow_check = now + BORROW_RECHECK;
		return true;
	case RF__BOARD_OK:
		settle_ok(d, e, addrs, ttl, now);
		e->expires = expires;
		d->st.shared++;
		return true;
	case RF__BOARD_FAILED:
		settle_failed(d, e, why, true, now);
		e->expires = expires;
		d->st.shared++;
		return true;
	}
	return false;
}

/* e (new or expired) is to be looked up. */
static void ask(struct rf__dns *d, struct rf__dns_entry *e, int64_t now)
{
	e->state = RF__ENTRY_PENDING;
	e->source = RF__DNS_FROM_DNS;
	e->t_asked = now;
	e->t_answered = 0;
	free(e->error);
	e->error = NULL;
	if (d->group && from_board(d, e, now))
		return;
	if (d->inflight >= d->max_inflight) {
		e->queued = true;
		e->wait_next = NULL;
		if (d->wait_tail)
			d->wait_tail->wait_next = e;
		else
			d->wait_head = e;
		d->wait_tail = e;
		return;
	}
	launch(d, e);
	collect(d, now); /* answers given at once (a bad name) */
}

static bool is_localhost(const char *host)
{
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		n--;
	return (n == 9 && strncasecmp(host, "localhost", 9) == 0) ||
	       (n > 10 && strncasecmp(host + n - 10, ".localhost", 10) == 0);
}

/* RFC 6761 6.4: ".invalid" names are never asked of a server. */
static bool is_invalid(const char *host)
{
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		n--;
	return (n == 7 && strncasecmp(host, "invalid", 7) == 0) ||
	       (n > 8 && strncasecmp(host + n - 8, ".invalid", 8) == 0);
}

static struct rf__dns_entry *get(struct rf__dns *d, const char *host, unsigned port, int64_t now, bool ahead)
{
	for (unsigned i = 0; i < d->npins; i++)
		if (d->pins[i].port == port && strcasecmp(d->pins[i].e.host, host) == 0) {
			d->st.hits += !ahead;
			return &d->pins[i].e;
		}
	struct rf__dns_entry *e = find(d, host);
	if (e) {
		lru_front(d, e);
		if (e->state == RF__ENTRY_PENDING) {
			d->st.joined += !ahead;
		} else if (now < e->expires || e->asking) {
			/* (an answer still being completed is not asked again) */
			d->st.hits += !ahead;
		} else {
			d->st.expired++;
			ask(d, e, now);
		}
		return e;
	}
	if (d->st.entries >= d->cache_max)
		evict(d);
	e = rf__calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->host = rf__strdup(host);
	if (!e->host) {
		free(e);
		return NULL;
	}
	if (d->st.entries >= d->nbuckets)
		grow(d);
	unsigned k = rf__hash32(host) & (d->nbuckets - 1);
	e->hnext = d->buckets[k];
	d->buckets[k] = e;
	d->st.entries++;
	lru_front(d, e);

	union rf__sockaddr lit;
	struct rf__addrlist *known;
	if (rf__sockaddr_parse(host, &lit) == 0) {
		struct rf__addrlist *l = rf__addrlist_new(1);
		if (l)
			l->a[0] = lit;
		settle_known(d, e, l, RF__DNS_FROM_LITERAL, now);
		rf__addrlist_unref(l);
	} else if ((known = rf__hosts_find(d->hosts, host))) {
		settle_known(d, e, known, RF__DNS_FROM_HOSTS, now);
	} else if (is_localhost(host)) {
		struct rf__addrlist *l = rf__addrlist_new(2);
		if (l) {
			rf__sockaddr_parse("::1", &l->a[0]);
			rf__sockaddr_parse("127.0.0.1", &l->a[1]);
		}
		settle_known(d, e, l, RF__DNS_FROM_LOCALHOST, now);
		rf__addrlist_unref(l);
	} else if (is_invalid(host)) {
		e->source = RF__DNS_FROM_LOCALHOST;
		settle_failed(d, e, "no such host (.invalid names are never resolved, RFC 6761)", true, now);
		e->expires = INT64_MAX;
	} else {
		ask(d, e, now);
		return e;
	}
	d->st.hits += !ahead;
	return e;
}

struct rf__dns_entry *rf__dns_lookup(struct rf__dns *d, const char *host, unsigned port, int64_t now)
{
	return get(d, host, port, now, false);
}

void rf__dns_prefetch(struct rf__dns *d, const char *host, unsigned port, int64_t now)
{
	(void)get(d, host, port, now, true);
}

void rf__dns_on_op(struct rf__dns *d, rf__tag t, int res, int64_t now)
{
	d->ops->on_op(d->res, t, res);
	collect(d, now);
}

int64_t rf__dns_deadline(struct rf__dns *d, int64_t now)
{
	int64_t next = d->ops->deadline(d->res, now);
	if (d->borrowed && d->borrow_check < next)
		next = d->borrow_check;
	for (struct rf__dns_entry *e = d->other; e; e = e->wait_next)
		if (e->other_family_until < next)
			next = e->other_family_until;
	return next;
}

void rf__dns_on_time(struct rf__dns *d, int64_t now)
{
	if (d->ops->deadline(d->res, now) <= now)
		d->ops->on_time(d->res);
	collect(d, now);
	if (d->borrowed && d->borrow_check <= now)
		rf__dns_nudged(d, now);
	/* A answers whose AAAA did not come within the resolution delay */
	for (struct rf__dns_entry **pp = &d->other; *pp;) {
		struct rf__dns_entry *e = *pp;
		if (e->other_family_until > now) {
			pp = &e->wait_next;
			continue;
		}
		*pp = e->wait_next;
		e->wait_next = NULL;
		e->waiting_other = false;
		if (e->state == RF__ENTRY_PENDING && e->q && e->q[1].addrs) {
			settle_ok(d, e, rf__addrlist_ref(e->q[1].addrs), e->q[1].ttl, now);
			publish(d, e);
		}
	}
}

void rf__dns_join(struct rf__dns *d, struct rf__group *g, unsigned member)
{
	d->group = g;
	d->member = member;
}

void rf__dns_nudged(struct rf__dns *d, int64_t now)
{
	struct rf__dns_entry *list = d->borrowed;
	d->borrowed = NULL;
	d->borrow_check = 0;
	for (struct rf__dns_entry *e = list, *n; e; e = n) {
		n = e->borrow_next;
		e->borrowed = false;
		e->borrow_next = NULL;
		if (e->state != RF__ENTRY_PENDING || e->asking || e->queued)
			continue;
		ask(d, e, now); /* settled from the board, borrowed again, or asked here */
	}
}

unsigned rf__dns_take_settled(struct rf__dns *d)
{
	unsigned n = d->settled;
	d->settled = 0;
	return n;
}

unsigned rf__dns_pending(const struct rf__dns *d)
{
	return d->ops->pending(d->res);
}

const struct rf__dns_stats *rf__dns_stats(const struct rf__dns *d)
{
	return &d->st;
}

const char *rf__dns_resolver_name(const struct rf__dns *d)
{
	return d->ops->name;
}

static int parse_pin(const char *spec, struct pin *p)
{
	if (rf__pin_parse(spec, &p->e.host, &p->port, &p->e.addrs) != 0)
		return -1;
	p->e.state = RF__ENTRY_OK;
	p->e.source = RF__DNS_FROM_PIN;
	p->e.expires = INT64_MAX;
	return 0;
}

int rf__dns_new(struct rf__loop *loop, const struct rf__dns_config *cfg, struct rf__dns **out, char *why,
                size_t why_len)
{
	struct rf__dns *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->family = cfg->family;
	d->max_inflight = cfg->max_inflight ? cfg->max_inflight : DEFAULT_INFLIGHT;
	d->cache_max = cfg->cache_max ? cfg->cache_max : DEFAULT_CACHE_MAX;
	d->nbuckets = 256;
	d->buckets = calloc(d->nbuckets, sizeof(*d->buckets));
	int err = d->buckets ? 0 : -ENOMEM;
	if (!err && cfg->n_pins) {
		d->pins = calloc(cfg->n_pins, sizeof(*d->pins));
		err = d->pins ? 0 : -ENOMEM;
		for (unsigned i = 0; !err && i < cfg->n_pins; i++, d->npins++) {
			if (parse_pin(cfg->pins[i], &d->pins[i]) != 0) {
				snprintf(why, why_len, "--resolve %s: want HOST:PORT:ADDR[,ADDR...]",
				         cfg->pins[i]);
				err = RF_EINVAL;
			}
		}
	}
	const char *hosts_path = cfg->hosts_path ? cfg->hosts_path : "/etc/hosts";
	if (!err && (err = rf__hosts_load(hosts_path, &d->hosts)) != 0 && err != -ENOMEM) {
		/* an unreadable hosts file: the resolver's answers alone */
		err = 0;
	}
	if (!err && cfg->ops) {
		d->ops = cfg->ops;
		d->res = cfg->resolver;
	} else if (!err) {
		if (cfg->system) {
			err = rf__resolver_system_new(loop, &d->ops, &d->res, why, why_len);
		} else {
			struct rf__resolver_config rc = {.servers = cfg->servers};
			err = rf__resolver_ares_new(loop, &rc, &d->ops, &d->res, why, why_len);
		}
	}
	if (err) {
		rf__dns_free(d);
		return err;
	}
	*out = d;
	return 0;
}

void rf__dns_free(struct rf__dns *d)
{
	if (!d)
		return;
	if (d->ops)
		d->ops->free(d->res); /* queries still asked end here */
	for (unsigned b = 0; d->buckets && b < d->nbuckets; b++) {
		for (struct rf__dns_entry *e = d->buckets[b], *n; e; e = n) {
			n = e->hnext;
			for (unsigned i = 0; e->q && i < 2; i++)
				rf__addrlist_unref(e->q[i].addrs);
			free(e->q);
			entry_free(e);
		}
	}
	for (unsigned i = 0; i < d->npins; i++) {
		rf__addrlist_unref(d->pins[i].e.addrs);
		free(d->pins[i].e.host);
	}
	free(d->pins);
	rf__hosts_free(d->hosts);
	free(d->buckets);
	free(d);
}
