/*
 * resolver.h - the interface a DNS resolver fills in for the name cache.
 *
 * Two resolvers: resolver_ares.c (c-ares, its sockets driven by the loop:
 * every query and answer an op of the same ring or epoll set, hundreds in
 * flight, no thread) and resolver_system.c (getaddrinfo() on two threads,
 * for hosts whose names come from nsswitch modules).  dns.c owns the
 * queries; a resolver fills in the answer and hands finished queries back
 * through take_done.  Resolvers never call up.
 */
#ifndef RF_RESOLVER_H
#define RF_RESOLVER_H

#include <stdbool.h>
#include <stdint.h>

#include "addrlist.h"
#include "loop.h"

/* What became of a query. */
enum rf__dns_status {
	RF__DNS_OK = 0,
	RF__DNS_NXDOMAIN, /* no such name */
	RF__DNS_NODATA,   /* the name exists, without an address of the family */
	RF__DNS_SERVFAIL,
	RF__DNS_REFUSED,
	RF__DNS_TIMEOUT,
	RF__DNS_BADRESP, /* a malformed or unusable answer */
	RF__DNS_UNREACH, /* the server could not be reached */
	RF__DNS_BADNAME,
	RF__DNS_NOMEM,
	RF__DNS_OTHER,
};

struct rf__resolver_query {
	struct rf__resolver_query *next; /* the resolver's done list */
	void *owner;                     /* dns.c's cache entry */
	void *priv;                      /* the resolver's own */
	const char *host;                /* the owner's; stable while asked */
	int family;                      /* AF_INET, AF_INET6, AF_UNSPEC */
	/* the answer */
	enum rf__dns_status status;
	struct rf__addrlist *addrs; /* OK: one reference, handed over */
	unsigned ttl;               /* seconds (0: unknown) */
	char detail[192];           /* not OK: in words */
};

struct rf__resolver_ops {
	const char *name; /* for -v and the summary */
	/* One AF_UNSPEC query answers both families, in the resolver's order
	 * (getaddrinfo's RFC 6724 sort); otherwise dns.c asks AAAA and A apart. */
	bool both_families_at_once;
	/* Ask; the answer comes back through take_done (possibly at once). */
	void (*start)(void *r, struct rf__resolver_query *q);
	/* Finished queries, oldest first, and forget them. */
	struct rf__resolver_query *(*take_done)(void *r);
	/* A completion of one of the resolver's ops. */
	void (*on_op)(void *r, rf__tag t, int res);
	/* When on_time is next due (ns, rf__now's clock), INT64_MAX: never. */
	int64_t (*deadline)(void *r, int64_t now);
	void (*on_time)(void *r);
	/* Queries asked and not yet taken back. */
	unsigned (*pending)(const void *r);
	/* Ends queries still asked (without answers) and frees everything. */
	void (*free)(void *r);
};

struct rf__resolver_config {
	const char *servers; /* "ADDR[:PORT],..." instead of resolv.conf's, or NULL */
};

/* c-ares on the loop; ops whose completions carry RF__OP_DNS_POLL tags.
 * 0, or a negative code with why filled in. */
int rf__resolver_ares_new(struct rf__loop *loop, const struct rf__resolver_config *cfg,
                          const struct rf__resolver_ops **ops, void **out, char *why, size_t why_len);
/* getaddrinfo() on threads; its eventfd read completes with RF__OP_WAKE. */
int rf__resolver_system_new(struct rf__loop *loop, const struct rf__resolver_ops **ops, void **out, char *why,
                            size_t why_len);

#endif
