/*
 * group.c - what the threads of one client share (see group.h): one mutex
 * over one table of keyed records (a host's connection count and rate
 * bucket, a .part name in use, a name's answer), and the members' wake
 * descriptors.  Every call is short and never blocks on I/O; the lock is
 * taken only where threads must agree, never per received byte unless a
 * rate limit is set.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "group.h"
#include "hash.h"
#include "ratelimit.h"

#define ASKING_STALE                                                                                         \
	5000000000LL /* ns: a lookup not answered by then is
                                     anybody's (its member may have ended) */

enum rec_kind { REC_HOST, REC_PART, REC_NAME };

struct rec {
	struct rec *next;
	enum rec_kind kind;
	/* REC_HOST */
	unsigned conns;
	uint16_t *by_member; /* [member]: its part of conns */
	bool waiters;        /* some member waits for one of its connections */
	uint64_t waiting_members[RF__GROUP_MAX / 64];
	struct rf__bucket bucket;
	bool bucket_set;
	/* REC_NAME */
	enum rf__board_state state;
	struct rf__addrlist *addrs;
	unsigned ttl;
	int64_t expires, asked;
	char *why;
	bool name_waiters;
	char key[];
};

struct rf__group {
	pthread_mutex_t lock;
	pthread_mutex_t caller;
	pthread_mutex_t cookies;
	unsigned members;
	int wake_fd[RF__GROUP_MAX];
	atomic_bool stop;
	double rate_per_host;
	struct rf__bucket total;
	struct rec **tab;
	unsigned nbuckets, nrecs, nnames;
	struct inbox {
		void **items;
		unsigned n, cap;
		bool closed;
	} inbox[RF__GROUP_MAX]; /* requests handed over to each member */
	/* balance: members holding entries they cannot start now, and the
	 * room (free slots) of members with nothing to start */
	bool surplus[RF__GROUP_MAX];
	unsigned room[RF__GROUP_MAX];
	atomic_uint with_room; /* members whose room is not 0 */
};

#define NAMES_MAX                                                                                            \
	65536 /* answers kept for the others; beyond, the settled
                           ones are let go (each member keeps its own cache) */

int rf__group_new(unsigned members, double rate, double rate_per_host, struct rf__group **out)
{
	struct rf__group *g = rf__calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->nbuckets = 1024;
	g->tab = rf__calloc(g->nbuckets, sizeof(*g->tab));
	if (!g->tab) {
		free(g);
		return -ENOMEM;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->caller, NULL);
	pthread_mutex_init(&g->cookies, NULL);
	g->members = members;
	for (unsigned i = 0; i < RF__GROUP_MAX; i++)
		g->wake_fd[i] = -1;
	atomic_init(&g->stop, false);
	g->rate_per_host = rate_per_host;
	rf__bucket_init(&g->total, rate, 0);
	*out = g;
	return 0;
}

static void rec_free(struct rec *r)
{
	free(r->by_member);
	rf__addrlist_unref(r->addrs);
	free(r->why);
	free(r);
}

void rf__group_free(struct rf__group *g)
{
	if (!g)
		return;
	for (unsigned b = 0; b < g->nbuckets; b++)
		for (struct rec *r = g->tab[b], *n; r; r = n) {
			n = r->next;
			rec_free(r);
		}
	free(g->tab);
	for (unsigned m = 0; m < RF__GROUP_MAX; m++)
		free(g->inbox[m].items);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->caller);
	pthread_mutex_destroy(&g->cookies);
	free(g);
}

unsigned rf__group_members(const struct rf__group *g)
{
	return g->members;
}

void rf__group_set_wake(struct rf__group *g, unsigned member, int fd)
{
	pthread_mutex_lock(&g->lock); /* never written to once closed */
	if (member < RF__GROUP_MAX)
		g->wake_fd[member] = fd;
	pthread_mutex_unlock(&g->lock);
}

static void wake(const struct rf__group *g, unsigned m)
{
	uint64_t one = 1;
	if (m < g->members && g->wake_fd[m] >= 0) {
		ssize_t w = write(g->wake_fd[m], &one, sizeof(one));
		(void)w; /* EAGAIN: its counter is full, so it is awake anyway */
	}
}

static void wake_others(struct rf__group *g, unsigned self)
{
	for (unsigned m = 0; m < g->members; m++)
		if (m != self)
			wake(g, m);
}

void rf__group_wake_others(struct rf__group *g, unsigned self)
{
	pthread_mutex_lock(&g->lock);
	wake_others(g, self);
	pthread_mutex_unlock(&g->lock);
}

void rf__group_stop(struct rf__group *g)
{
	atomic_store(&g->stop, true);
	rf__group_wake_others(g, RF__GROUP_MAX);
}

bool rf__group_stopping(const struct rf__group *g)
{
	return atomic_load(&((struct rf__group *)g)->stop);
}

void rf__group_lock_caller(struct rf__group *g)
{
	pthread_mutex_lock(&g->caller);
}

void rf__group_unlock_caller(struct rf__group *g)
{
	pthread_mutex_unlock(&g->caller);
}

void rf__group_lock_cookies(struct rf__group *g)
{
	pthread_mutex_lock(&g->cookies);
}

void rf__group_unlock_cookies(struct rf__group *g)
{
	pthread_mutex_unlock(&g->cookies);
}

/* ---- the table (under g->lock) ---- */

static void grow(struct rf__group *g)
{
	unsigned nb = g->nbuckets * 2;
	struct rec **t = calloc(nb, sizeof(*t));
	if (!t)
		return; /* longer chains, still correct */
	for (unsigned b = 0; b < g->nbuckets; b++)
		for (struct rec *r = g->tab[b], *n; r; r = n) {
			n = r->next;
			unsigned h = (rf__hash32(r->key) ^ r->kind) & (nb - 1);
			r->next = t[h];
			t[h] = r;
		}
	free(g->tab);
	g->tab = t;
	g->nbuckets = nb;
}

static struct rec **slot_of(struct rf__group *g, enum rec_kind kind, const char *key)
{
	return &g->tab[(rf__hash32(key) ^ kind) & (g->nbuckets - 1)];
}

static struct rec *find(struct rf__group *g, enum rec_kind kind, const char *key)
{
	for (struct rec *r = *slot_of(g, kind, key); r; r = r->next)
		if (r->kind == kind && strcmp(r->key, key) == 0)
			return r;
	return NULL;
}

/* The record, made when missing; NULL when out of memory. */
static struct rec *get(struct rf__group *g, enum rec_kind kind, const char *key)
{
	struct rec *r = find(g, kind, key);
	if (r)
		return r;
	if (g->nrecs >= g->nbuckets)
		grow(g);
	size_t n = strlen(key) + 1;
	r = calloc(1, sizeof(*r) + n);
	if (!r)
		return NULL;
	memcpy(r->key, key, n);
	r->kind = kind;
	g->nnames += kind == REC_NAME;
	struct rec **b = slot_of(g, kind, key);
	r->next = *b;
	*b = r;
	g->nrecs++;
	return r;
}

static void drop(struct rf__group *g, struct rec *r)
{
	for (struct rec **pp = slot_of(g, r->kind, r->key); *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			g->nrecs--;
			g->nnames -= r->kind == REC_NAME;
			rec_free(r);
			return;
		}
}

/* ---- per-host connections ---- */

/* A host no thread has a connection to or waits for is forgotten, its
 * rate bucket with it (as one thread forgets an origin it no longer
 * uses), so the table follows the hosts in use, not every host seen. */
static void host_maybe_drop(struct rf__group *g, struct rec *r)
{
	if (!r->conns && !r->waiters)
		drop(g, r);
}

bool rf__group_conn_take(struct rf__group *g, const char *key, unsigned cap, bool force, unsigned self)
{
	pthread_mutex_lock(&g->lock);
	struct rec *r = get(g, REC_HOST, key);
	bool ok = true;
	if (!r) {
		ok = force; /* out of memory: the cap cannot be kept, nor the count */
	} else if (force || !cap || r->conns < cap) {
		r->conns++;
		if (!r->by_member)
			r->by_member = calloc(g->members, sizeof(*r->by_member));
		if (r->by_member && self < g->members)
			r->by_member[self]++;
	} else {
		ok = false;
		bool first = !r->waiters;
		r->waiters = true;
		if (self < RF__GROUP_MAX)
			r->waiting_members[self / 64] |= 1ull << (self % 64);
		if (first) /* those holding idle connections to it let them go */
			wake_others(g, self);
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void rf__group_conn_put(struct rf__group *g, const char *key, unsigned self)
{
	uint64_t waiting[RF__GROUP_MAX / 64] = {0};
	pthread_mutex_lock(&g->lock);
	struct rec *r = find(g, REC_HOST, key);
	if (r) {
		if (r->conns)
			r->conns--;
		if (r->by_member && self < g->members && r->by_member[self])
			r->by_member[self]--;
		if (r->waiters) {
			memcpy(waiting, r->waiting_members, sizeof(waiting));
			memset(r->waiting_members, 0, sizeof(r->waiting_members));
			r->waiters = false;
		}
		host_maybe_drop(g, r);
	}
	for (unsigned m = 0; m < g->members; m++)
		if (m != self && (waiting[m / 64] >> (m % 64) & 1))
			wake(g, m);
	pthread_mutex_unlock(&g->lock);
}

bool rf__group_conn_wanted(struct rf__group *g, const char *key, unsigned self)
{
	pthread_mutex_lock(&g->lock);
	struct rec *r = find(g, REC_HOST, key);
	bool wanted = false;
	if (r && r->waiters) {
		for (unsigned i = 0; i < RF__GROUP_MAX / 64 && !wanted; i++) {
			uint64_t others = r->waiting_members[i];
			if (self / 64 == i)
				others &= ~(1ull << (self % 64));
			wanted = others != 0;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return wanted;
}

/* item into an inbox: false when it cannot grow. */
static bool push(struct inbox *in, void *item)
{
	if (in->n == in->cap) {
		unsigned cap = in->cap ? in->cap * 2 : 64;
		void **items = realloc(in->items, cap * sizeof(*items));
		if (!items)
			return false;
		in->items = items;
		in->cap = cap;
	}
	in->items[in->n++] = item;
	return true;
}

bool rf__group_hand_over(struct rf__group *g, const char *key, unsigned self, void *item)
{
	bool done = false;
	pthread_mutex_lock(&g->lock);
	struct rec *r = find(g, REC_HOST, key);
	unsigned best = RF__GROUP_MAX;
	for (unsigned m = 0; r && r->by_member && m < g->members; m++)
		if (m != self && r->by_member[m] && !g->inbox[m].closed &&
		    (best == RF__GROUP_MAX || r->by_member[m] > r->by_member[best]))
			best = m;
	if (best != RF__GROUP_MAX && push(&g->inbox[best], item)) {
		wake(g, best);
		done = true;
	}
	pthread_mutex_unlock(&g->lock);
	return done;
}

void *rf__group_take_handed(struct rf__group *g, unsigned self)
{
	void *item = NULL;
	pthread_mutex_lock(&g->lock);
	struct inbox *in = &g->inbox[self];
	if (in->n) {
		item = in->items[0];
		memmove(in->items, in->items + 1, --in->n * sizeof(*in->items));
	}
	pthread_mutex_unlock(&g->lock);
	return item;
}

static void set_room(struct rf__group *g, unsigned self, unsigned n)
{
	if (!g->room[self] != !n)
		atomic_fetch_add(&g->with_room, n ? 1u : (unsigned)-1);
	__atomic_store_n(&g->room[self], n, __ATOMIC_RELAXED); /* (read without the lock too) */
}

bool rf__group_inbox_close(struct rf__group *g, unsigned self, bool closed)
{
	pthread_mutex_lock(&g->lock);
	struct inbox *in = &g->inbox[self];
	bool ok = !closed || in->n == 0;
	if (ok)
		in->closed = closed;
	if (ok) { /* ended, or a new run: neither */
		set_room(g, self, 0);
		g->surplus[self] = false;
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* ---- balance ---- */

void rf__group_set_surplus(struct rf__group *g, unsigned self, bool has)
{
	pthread_mutex_lock(&g->lock);
	g->surplus[self] = has;
	for (unsigned m = 0; !has && m < g->members; m++)
		if (g->room[m]) /* none to come from self: it may end */
			wake(g, m);
	pthread_mutex_unlock(&g->lock);
}

void rf__group_set_room(struct rf__group *g, unsigned self, unsigned n)
{
	pthread_mutex_lock(&g->lock);
	bool was = g->room[self] != 0;
	set_room(g, self, g->inbox[self].closed ? 0 : n);
	for (unsigned m = 0; !was && n && m < g->members; m++)
		if (g->surplus[m])
			wake(g, m);
	pthread_mutex_unlock(&g->lock);
}

bool rf__group_room_elsewhere(struct rf__group *g, unsigned self)
{
	unsigned n = atomic_load_explicit(&g->with_room, memory_order_relaxed);
	/* (a hint: rf__group_give decides under the lock) */
	return n > 1 || (n == 1 && !__atomic_load_n(&g->room[self], __ATOMIC_RELAXED));
}

bool rf__group_give(struct rf__group *g, unsigned self, void *item)
{
	bool done = false;
	pthread_mutex_lock(&g->lock);
	unsigned best = RF__GROUP_MAX;
	for (unsigned m = 0; m < g->members; m++)
		if (m != self && g->room[m] && !g->inbox[m].closed &&
		    (best == RF__GROUP_MAX || g->room[m] > g->room[best]))
			best = m;
	if (best != RF__GROUP_MAX && push(&g->inbox[best], item)) {
		set_room(g, best, g->room[best] - 1);
		wake(g, best);
		done = true;
	}
	pthread_mutex_unlock(&g->lock);
	return done;
}

bool rf__group_surplus_elsewhere(struct rf__group *g, unsigned self)
{
	bool any = false;
	pthread_mutex_lock(&g->lock);
	for (unsigned m = 0; m < g->members && !any; m++)
		any = m != self && g->surplus[m];
	pthread_mutex_unlock(&g->lock);
	return any;
}

/* ---- rate buckets ---- */

#define HOSTS_MAX                                                                                            \
	65536 /* host records kept for their rate buckets alone
                           (no --max-per-host to count connections by) */

/* Past HOSTS_MAX, the buckets of hosts nobody has a connection to or waits
 * for are let go (their next transfer starts with a full bucket, as after
 * one thread forgets an origin). */
static void forget_idle_hosts(struct rf__group *g)
{
	for (unsigned b = 0; b < g->nbuckets; b++)
		for (struct rec **pp = &g->tab[b]; *pp;) {
			struct rec *r = *pp;
			if (r->kind != REC_HOST || r->conns || r->waiters) {
				pp = &r->next;
				continue;
			}
			*pp = r->next;
			g->nrecs--;
			rec_free(r);
		}
}

static struct rf__bucket *bucket(struct rf__group *g, const char *key, int64_t now)
{
	if (!key)
		return &g->total;
	if (g->nrecs - g->nnames >= HOSTS_MAX && !find(g, REC_HOST, key))
		forget_idle_hosts(g);
	struct rec *r = get(g, REC_HOST, key);
	if (!r)
		return NULL;
	if (!r->bucket_set) {
		rf__bucket_init(&r->bucket, g->rate_per_host, now);
		r->bucket_set = true;
	}
	return &r->bucket;
}

int64_t rf__group_rate_wait(struct rf__group *g, const char *key, int64_t now)
{
	pthread_mutex_lock(&g->lock);
	struct rf__bucket *b = bucket(g, key, now);
	int64_t w = b ? rf__bucket_wait(b, now) : 0;
	pthread_mutex_unlock(&g->lock);
	return w;
}

void rf__group_rate_spend(struct rf__group *g, const char *key, int64_t now, uint64_t n)
{
	pthread_mutex_lock(&g->lock);
	struct rf__bucket *b = bucket(g, key, now);
	if (b)
		rf__bucket_spend(b, now, n);
	pthread_mutex_unlock(&g->lock);
}

/* ---- .part names ---- */

bool rf__group_claim(struct rf__group *g, const char *path)
{
	pthread_mutex_lock(&g->lock);
	bool mine = !find(g, REC_PART, path);
	if (mine)
		(void)get(g, REC_PART, path); /* out of memory: unrecorded, as without threads */
	pthread_mutex_unlock(&g->lock);
	return mine;
}

void rf__group_unclaim(struct rf__group *g, const char *path)
{
	pthread_mutex_lock(&g->lock);
	struct rec *r = find(g, REC_PART, path);
	if (r)
		drop(g, r);
	pthread_mutex_unlock(&g->lock);
}

/* ---- names ---- */

static void forget_names(struct rf__group *g)
{
	for (unsigned b = 0; b < g->nbuckets; b++)
		for (struct rec **pp = &g->tab[b]; *pp;) {
			struct rec *r = *pp;
			if (r->kind != REC_NAME || r->state == RF__BOARD_ASKING || r->name_waiters) {
				pp = &r->next;
				continue;
			}
			*pp = r->next;
			g->nrecs--;
			g->nnames--;
			rec_free(r);
		}
}

enum rf__board_state rf__group_name_find(struct rf__group *g, const char *host, int64_t now, unsigned self,
                                         struct rf__addrlist **addrs, unsigned *ttl, int64_t *expires,
                                         char *why, size_t why_cap)
{
	(void)self;
	*addrs = NULL;
	pthread_mutex_lock(&g->lock);
	if (g->nnames >= NAMES_MAX)
		forget_names(g);
	struct rec *r = get(g, REC_NAME, host);
	enum rf__board_state st = RF__BOARD_ASK;
	if (!r) {
		st = RF__BOARD_ASK; /* out of memory: ask, as without threads */
	} else if (r->state == RF__BOARD_ASKING && now - r->asked < ASKING_STALE) {
		st = RF__BOARD_ASKING;
		r->name_waiters = true;
	} else if ((r->state == RF__BOARD_OK || r->state == RF__BOARD_FAILED) && now < r->expires) {
		st = r->state;
		*expires = r->expires;
		*ttl = r->ttl;
		if (st == RF__BOARD_OK) {
			*addrs = rf__addrlist_new(r->addrs->n);
			if (*addrs)
				memcpy((*addrs)->a, r->addrs->a, r->addrs->n * sizeof(r->addrs->a[0]));
			else
				st = RF__BOARD_ASK;
		} else {
			snprintf(why, why_cap, "%s", r->why ? r->why : "no address");
		}
	}
	if (r && st == RF__BOARD_ASK) {
		r->state = RF__BOARD_ASKING;
		r->asked = now;
	}
	pthread_mutex_unlock(&g->lock);
	return st;
}

void rf__group_name_answer(struct rf__group *g, const char *host, const struct rf__addrlist *addrs,
                           unsigned ttl, int64_t expires, const char *why)
{
	pthread_mutex_lock(&g->lock);
	struct rec *r = get(g, REC_NAME, host);
	bool waiters = false;
	if (r) {
		rf__addrlist_unref(r->addrs);
		r->addrs = NULL;
		free(r->why);
		r->why = NULL;
		if (addrs && addrs->n && (r->addrs = rf__addrlist_new(addrs->n)))
			memcpy(r->addrs->a, addrs->a, addrs->n * sizeof(addrs->a[0]));
		r->state = r->addrs ? RF__BOARD_OK : RF__BOARD_FAILED;
		if (!r->addrs)
			r->why = rf__strdup(why ? why : "no address");
		r->ttl = ttl;
		r->expires = expires;
		waiters = r->name_waiters;
		r->name_waiters = false;
	}
	pthread_mutex_unlock(&g->lock);
	if (waiters)
		rf__group_wake_others(g, RF__GROUP_MAX);
}
