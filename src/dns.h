/*
 * dns.h - host names to addresses: pins, the hosts file, a cache with
 * TTLs, and lookups on the loop (see dns.c).
 */
#ifndef RF_DNS_H
#define RF_DNS_H

#include <stdbool.h>
#include <stdint.h>

#include "addrlist.h"
#include "loop.h"
#include "resolver.h"

enum rf__dns_state { RF__ENTRY_PENDING, RF__ENTRY_OK, RF__ENTRY_FAILED };

/* Where an entry's addresses came from. */
enum rf__dns_source {
	RF__DNS_FROM_DNS,
	RF__DNS_FROM_HOSTS,
	RF__DNS_FROM_PIN,
	RF__DNS_FROM_LITERAL,
	RF__DNS_FROM_LOCALHOST
};

struct rf__dns_entry {
	struct rf__dns_entry *hnext;               /* hash chain */
	struct rf__dns_entry *lru_prev, *lru_next; /* most recently used first */
	struct rf__dns_entry *wait_next;           /* waiting for a lookup slot, or
	                                              for the other family */
	char *host;
	enum rf__dns_state state;
	enum rf__dns_source source;
	struct rf__addrlist *addrs;  /* OK: the addresses, in the order to try */
	char *error;                 /* FAILED: in words */
	unsigned ttl;                /* seconds, as answered (0: not known) */
	int64_t t_asked, t_answered; /* ns */
	int64_t expires;             /* ns; INT64_MAX: never (hosts file, pins) */
	int64_t other_family_until;  /* an answer of one family is waiting for
	                                the other until then (RFC 8305's
	                                resolution delay); 0: not waiting */
	unsigned refs;               /* transfers holding the entry (rf__dns_hold):
	                                never evicted while held */
	uint8_t asking;              /* queries out (0..2) */
	bool queued, in_lru, waiting_other;
	bool borrowed;                     /* threads: another one looks it up */
	struct rf__dns_entry *borrow_next; /* ... on the dns's borrowed list */
	struct rf__resolver_query *q;      /* while asking: [0] AAAA (or both), [1] A */
};

struct rf__dns_config {
	bool system;             /* getaddrinfo() on threads, not c-ares */
	int family;              /* 0, AF_INET (-4) or AF_INET6 (-6) */
	unsigned max_inflight;   /* lookups at once (0: 256) */
	unsigned cache_max;      /* entries (0: 32768) */
	const char *servers;     /* "ADDR[:PORT],..." or NULL: resolv.conf's */
	const char *const *pins; /* "HOST:PORT:ADDR[,ADDR...]" (curl's --resolve) */
	unsigned n_pins;
	const char *hosts_path; /* NULL: /etc/hosts */
	/* a resolver of the caller's instead (unit tests): dns.c frees it */
	const struct rf__resolver_ops *ops;
	void *resolver;
};

struct rf__dns_stats {
	uint64_t lookups;  /* names asked of the resolver */
	uint64_t hits;     /* answered from the cache (hosts file, pins too) */
	uint64_t joined;   /* a lookup already in flight was joined */
	uint64_t failures; /* lookups that ended without an address */
	uint64_t expired;  /* entries looked up again after their TTL */
	uint64_t evicted;
	uint64_t shared; /* threads: answers another thread's lookup gave */
	unsigned entries, peak_inflight;
};

struct rf__dns;

/* 0, or a negative code with why filled in (a bad pin, bad servers, no
 * resolver). */
int rf__dns_new(struct rf__loop *loop, const struct rf__dns_config *cfg, struct rf__dns **out, char *why,
                size_t why_len);
/* Ends lookups in flight.  Call after the loop has stopped. */
void rf__dns_free(struct rf__dns *d);

/* The entry for host (port: for pins), starting a lookup when there is
 * none or it expired.  NULL only when out of memory. */
struct rf__dns_entry *rf__dns_lookup(struct rf__dns *d, const char *host, unsigned port, int64_t now);
/* A transfer keeps e (for addresses that arrive after it began dialing)
 * from rf__dns_hold until rf__dns_release. */
static inline struct rf__dns_entry *rf__dns_hold(struct rf__dns_entry *e)
{
	e->refs++;
	return e;
}
static inline void rf__dns_release(struct rf__dns_entry *e)
{
	if (e)
		e->refs--;
}

/* Look host up ahead of need (the look-ahead window): as rf__dns_lookup,
 * without taking a reference, and not counted as a hit. */
void rf__dns_prefetch(struct rf__dns *d, const char *host, unsigned port, int64_t now);

/* Threads: d is member's of group g; names are looked up once for all. */
struct rf__group;
void rf__dns_join(struct rf__dns *d, struct rf__group *g, unsigned member);
/* Another thread answered a name: the entries waiting for it settle. */
void rf__dns_nudged(struct rf__dns *d, int64_t now);

/* A completion with an RF__OP_DNS_POLL or RF__OP_WAKE tag. */
void rf__dns_on_op(struct rf__dns *d, rf__tag t, int res, int64_t now);
/* When rf__dns_on_time is next due (ns), INT64_MAX: not. */
int64_t rf__dns_deadline(struct rf__dns *d, int64_t now);
void rf__dns_on_time(struct rf__dns *d, int64_t now);
/* How many entries left PENDING, gained addresses or finished asking
 * since the last call (transfers waiting on them can go on). */
unsigned rf__dns_take_settled(struct rf__dns *d);

/* Resolver queries asked and not answered. */
unsigned rf__dns_pending(const struct rf__dns *d);
const struct rf__dns_stats *rf__dns_stats(const struct rf__dns *d);
/* "c-ares" or "getaddrinfo". */
const char *rf__dns_resolver_name(const struct rf__dns *d);
/* "DNS", "/etc/hosts", "--resolve", ... */
const char *rf__dns_source_name(enum rf__dns_source s);

#endif
