/*
 * pool.c - origins and their keep-alive connection pools.
 *
 * An origin is scheme://host:port and its route (direct, or through the
 * client's proxy for that scheme: pooled connections to a proxy serve the
 * origin they were opened for).  It counts its open connections
 * (connecting, busy and idle) so --max-per-host can be enforced: a request
 * for an origin at its cap with no idle connection is parked on the origin
 * (it does not take a slot) and moved back to the front of the client queue
 * when a connection of that origin closes or becomes idle.
 *
 * With threads (rf_client_opts.threads) the cap holds across all of them:
 * the count that decides is the group's (group.h), a request parked for a
 * connection another thread holds is woken through the group, and an idle
 * connection another thread waits for is closed rather than kept.
 *
 * Idle connections sit on their origin's list and on one client-wide LRU;
 * at most max_inflight of them are kept, the oldest is closed first.  No
 * receive is armed on an idle connection: a server that closed it is found
 * out by the next request, which is then retried once on a fresh connection
 * (see slot.c).
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "alloc.h"
#include "engine.h"
#include "group.h"
#include "hash.h"
#include "pool.h"
#include "queue.h"

static struct rf__origin **bucket_of(rf_client *c, const char *key)
{
	return &c->origins[rf__hash32(key) & (c->norigin_buckets - 1)];
}

static void origins_grow(rf_client *c)
{
	unsigned nb = c->norigin_buckets ? c->norigin_buckets * 2 : 64;
	struct rf__origin **nbk = calloc(nb, sizeof(*nbk));
	if (!nbk)
		return; /* keep the old table: longer chains, still correct */
	for (unsigned b = 0; b < c->norigin_buckets; b++) {
		for (struct rf__origin *o = c->origins[b], *n; o; o = n) {
			n = o->hnext;
			uint32_t h = rf__hash32(o->key) & (nb - 1);
			o->hnext = nbk[h];
			nbk[h] = o;
		}
	}
	free(c->origins);
	c->origins = nbk;
	c->norigin_buckets = nb;
}

struct rf__origin *rf__origin_get(rf_client *c, const struct rf__url *u)
{
	const struct rf__proxy *px = u->tls ? &c->proxy_https : &c->proxy_http;
	if (!px->host || rf__noproxy_match(c->no_proxy, u->host))
		px = NULL;
	char key[300];
	snprintf(key, sizeof(key), "%s://%s:%u%s", u->scheme, u->host, u->port, px ? " via proxy" : "");
	if (c->norigins >= c->norigin_buckets)
		origins_grow(c);
	if (!c->origins)
		return NULL;
	struct rf__origin **b = bucket_of(c, key);
	for (struct rf__origin *o = *b; o; o = o->hnext)
		if (strcmp(o->key, key) == 0)
			return o;
	struct rf__origin *o = rf__calloc(1, sizeof(*o));
	if (!o || !(o->key = rf__strdup(key))) {
		free(o);
		return NULL;
	}
	rf__list_init(&o->idle);
	rf__list_init(&o->sessions);
	o->proxy = px;
	rf__bucket_init(&o->bucket, c->opts.limit_rate_per_host, c->now);
	o->hnext = *b;
	*b = o;
	c->norigins++;
	return o;
}

static void origin_maybe_free(rf_client *c, struct rf__origin *o)
{
	if (o->nconns || o->nparked || o->h2_dialing || o->group_reserved || o->holds ||
	    !rf__list_empty(&o->sessions))
		return;
	for (struct rf__origin **pp = bucket_of(c, o->key); *pp; pp = &(*pp)->hnext) {
		if (*pp == o) {
			*pp = o->hnext;
			break;
		}
	}
	c->norigins--;
	free(o->key);
	free(o);
}

/* Is the cap the group's to keep? */
static bool group_capped(const rf_client *c)
{
	return c->group && c->opts.max_per_host;
}

bool rf__origin_at_cap(rf_client *c, struct rf__origin *o)
{
	if (!c->opts.max_per_host || !rf__list_empty(&o->idle))
		return false;
	if (!c->group)
		return o->nconns >= c->opts.max_per_host;
	if (o->group_reserved)
		return false;
	/* granted now, made by rf__conn_new next (or handed back) */
	if (!rf__group_conn_take(c->group, o->key, c->opts.max_per_host, false, c->member))
		return true;
	o->group_reserved++;
	return false;
}

void rf__origin_let_go(rf_client *c, struct rf__origin *o)
{
	assert(o->holds > 0);
	o->holds--;
	origin_maybe_free(c, o);
}

void rf__origin_unreserve(rf_client *c, struct rf__origin *o)
{
	while (o->group_reserved) {
		o->group_reserved--;
		rf__group_conn_put(c->group, o->key, c->member);
	}
	origin_maybe_free(c, o);
}

void rf__origin_park(rf_client *c, struct rf__origin *o, struct rf__req *r)
{
	r->next = NULL;
	if (o->parked_tail)
		o->parked_tail->next = r;
	else
		o->parked = r;
	o->parked_tail = r;
	o->nparked++;
	c->nparked++;
}

/* Capacity at o was freed: one parked request may go. */
static void unpark_one(rf_client *c, struct rf__origin *o)
{
	struct rf__req *r = o->parked;
	if (!r)
		return;
	assert(o->nparked > 0 && c->nparked > 0);
	o->parked = r->next;
	if (!o->parked)
		o->parked_tail = NULL;
	o->nparked--;
	c->nparked--;
	rf__queue_push_front(c, r);
}

void rf__origin_room(rf_client *c, struct rf__origin *o)
{
	unpark_one(c, o);
}

void rf__origin_unpark_all(rf_client *c, struct rf__origin *o, bool failed)
{
	for (struct rf__req *r = o->parked; r && failed; r = r->next)
		r->dial_anyway = true;
	while (o->parked)
		unpark_one(c, o);
}

bool rf__origin_waits(const rf_client *c, const struct rf__origin *o)
{
	(void)c;
	return o->h2_dialing > 0;
}

/* Has the peer closed (or written to) this idle connection?  One
 * nonblocking peek; only for origins that were seen doing it. */
static bool idle_dead(const struct rf__conn *conn)
{
	char b;
	ssize_t n = recv(conn->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

struct rf__conn *rf__conn_take_idle(rf_client *c, struct rf__origin *o)
{
	while (!rf__list_empty(&o->idle)) {
		struct rf__conn *conn = rf__container_of(o->idle.prev, struct rf__conn, olink);
		assert(c->nidle > 0 && conn->origin == o && conn->fd >= 0);
		rf__list_del(&conn->olink);
		rf__list_del(&conn->glink);
		c->nidle--;
		/* a server (or proxy: tinyproxy) that closes idle connections
		 * without saying so costs a failed request per reuse otherwise */
		if (o->closes_idle && idle_dead(conn)) {
			/* closed here, the origin kept: the caller connects anew
			 * for it at once, taking this connection's place */
			rf__conn_close(c->loop, conn);
			o->nconns--;
			free(conn);
			if (group_capped(c))
				o->group_reserved++; /* the group's count stays: it is that one's */
			continue;
		}
		return conn;
	}
	return NULL;
}

struct rf__conn *rf__conn_new(rf_client *c, struct rf__origin *o)
{
	struct rf__conn *conn = rf__calloc(1, sizeof(*conn));
	if (!conn)
		return NULL;
	rf__conn_init(conn);
	conn->origin = o;
	o->nconns++;
	if (group_capped(c)) {
		if (o->group_reserved)
			o->group_reserved--;
		else /* not through the cap (a retry's own connection): counted */
			(void)rf__group_conn_take(c->group, o->key, 0, true, c->member);
	}
	return conn;
}

/* Threads, a capped host: the connection's place goes back to the group
 * when its close has completed (rf__pool_closed), not when it is asked
 * for, so no other thread dials while the server still sees it open.
 * The tag's index names the key; -1: no room (then at once). */
static int close_key_add(rf_client *c, const char *key)
{
	unsigned i = 0;
	while (i < c->cap_close_keys && c->close_keys[i])
		i++;
	if (i == c->cap_close_keys) {
		unsigned cap = c->cap_close_keys ? 2 * c->cap_close_keys : 16;
		char **k = realloc(c->close_keys, cap * sizeof(*k));
		if (!k)
			return -1;
		memset(k + c->cap_close_keys, 0, (cap - c->cap_close_keys) * sizeof(*k));
		c->close_keys = k;
		c->cap_close_keys = cap;
	}
	if (!(c->close_keys[i] = strdup(key)))
		return -1;
	c->nclose_keys++;
	return (int)i;
}

void rf__pool_closed(rf_client *c, uint32_t idx)
{
	if (idx >= c->cap_close_keys || !c->close_keys[idx])
		return;
	char *key = c->close_keys[idx];
	rf__group_conn_put(c->group, key, c->member); /* wakes the others waiting */
	/* and this thread's own requests waiting for that place */
	for (struct rf__origin *o = c->origins ? *bucket_of(c, key) : NULL; o; o = o->hnext)
		if (strcmp(o->key, key) == 0) {
			unpark_one(c, o);
			break;
		}
	free(key);
	c->close_keys[idx] = NULL;
	c->nclose_keys--;
}

unsigned rf__pool_closing(const rf_client *c)
{
	return c->nclose_keys;
}

static void conn_close(rf_client *c, struct rf__conn *conn)
{
	struct rf__origin *o = conn->origin;
	assert(o->nconns > 0);
	int idx = group_capped(c) && conn->fd >= 0 ? close_key_add(c, o->key) : -1;
	if (idx >= 0)
		rf__conn_close_tagged(c->loop, conn,
		                      rf__tag_make(RF__OWNER_CLIENT, RF__OP_CONN_CLOSED, (uint32_t)idx, 0));
	else
		rf__conn_close(c->loop, conn);
	o->nconns--;
	free(conn);
	if (group_capped(c) && idx < 0)
		rf__group_conn_put(c->group, o->key, c->member);
	unpark_one(c, o);
	origin_maybe_free(c, o);
}

void rf__conn_release(rf_client *c, struct rf__conn *conn, bool reusable)
{
	struct rf__origin *o = conn->origin;
	/* another thread waiting for this host's cap gets the connection's
	 * place, unless this thread has requests of its own waiting for it */
	if (!reusable || conn->fd < 0 || c->stopping ||
	    (group_capped(c) && !o->parked && rf__group_conn_wanted(c->group, o->key, c->member))) {
		conn_close(c, conn);
		return;
	}
	assert(o->nconns > 0 && rf__list_empty(&conn->olink)); /* not pooled twice */
	rf__list_push(&o->idle, &conn->olink);
	rf__list_push(&c->idle_lru, &conn->glink);
	c->nidle++;
	if (c->nidle > c->opts.max_inflight) {
		struct rf__conn *old = rf__container_of(c->idle_lru.next, struct rf__conn, glink);
		rf__list_del(&old->olink);
		rf__list_del(&old->glink);
		c->nidle--;
		conn_close(c, old);
	}
	unpark_one(c, o);
}

void rf__pool_nudged(rf_client *c)
{
	if (group_capped(c)) { /* idle connections others wait for go */
		for (struct rf__link *l = c->idle_lru.next, *n; l != &c->idle_lru; l = n) {
			n = l->next;
			struct rf__conn *conn = rf__container_of(l, struct rf__conn, glink);
			struct rf__origin *o = conn->origin;
			if (o->parked || !rf__group_conn_wanted(c->group, o->key, c->member))
				continue;
			rf__list_del(&conn->olink);
			rf__list_del(&conn->glink);
			c->nidle--;
			conn_close(c, conn);
		}
	}
	/* parked requests try again (those still at the cap park again) */
	if (!c->nparked)
		return;
	for (unsigned b = 0; b < c->norigin_buckets; b++)
		for (struct rf__origin *o = c->origins[b]; o; o = o->hnext)
			if (o->parked && (!o->nconns || !rf__list_empty(&o->idle)))
				unpark_one(c, o);
}

void rf__pool_close_idle(rf_client *c)
{
	while (!rf__list_empty(&c->idle_lru)) {
		struct rf__conn *conn = rf__container_of(c->idle_lru.next, struct rf__conn, glink);
		rf__list_del(&conn->olink);
		rf__list_del(&conn->glink);
		c->nidle--;
		conn_close(c, conn);
	}
}

void rf__pool_free(rf_client *c)
{
	for (unsigned i = 0; i < c->cap_close_keys; i++)
		rf__pool_closed(c, i); /* (the ring is going away: closed with it) */
	free(c->close_keys);
	c->close_keys = NULL;
	c->cap_close_keys = 0;
	while (!rf__list_empty(&c->idle_lru)) {
		struct rf__conn *conn = rf__container_of(c->idle_lru.next, struct rf__conn, glink);
		rf__list_del(&conn->olink);
		rf__list_del(&conn->glink);
		c->nidle--;
		rf__conn_close_now(conn); /* the ring is going away */
		conn_close(c, conn);
	}
	for (unsigned b = 0; b < c->norigin_buckets; b++) {
		for (struct rf__origin *o = c->origins[b], *n; o; o = n) {
			n = o->hnext;
			for (struct rf__req *r = o->parked, *rn; r; r = rn) {
				rn = r->next;
				rf__req_free(r);
			}
			free(o->key);
			free(o);
		}
	}
	free(c->origins);
	c->origins = NULL;
	c->norigin_buckets = c->norigins = 0;
}
