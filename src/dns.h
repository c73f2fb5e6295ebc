/*
 * dns.h - name resolution off the loop thread, with a per-host cache.
 */
#ifndef RF_DNS_H
#define RF_DNS_H

#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

#define RF_DNS_MAX_ADDRS 8

enum rf__dns_state { RF_DNS_PENDING, RF_DNS_OK, RF_DNS_FAILED };

struct rf__dns_addrs {
	unsigned n;
	struct sockaddr_storage addr[RF_DNS_MAX_ADDRS]; /* port 0 */
	socklen_t len[RF_DNS_MAX_ADDRS];
};

struct rf__dns_entry {
	struct rf__dns_entry *hnext;
	char *host;
	enum rf__dns_state state;
	const char *error; /* gai_strerror() text when FAILED */
	struct rf__dns_addrs addrs;
};

struct rf__dns;

/* wake_tag: the tag the resolver's eventfd read completes with. */
int rf__dns_new(struct rf__loop *loop, rf__tag wake_tag, struct rf__dns **out);
/* Stops the resolver threads.  Call after the ring is gone. */
void rf__dns_free(struct rf__dns *d);

/* The cache entry for host, starting a lookup when there is none.
 * IP literals are answered at once.  NULL only when out of memory. */
struct rf__dns_entry *rf__dns_lookup(struct rf__dns *d, const char *host);

/* The wake op completed: apply finished lookups (entries leave PENDING)
 * and re-arm.  Returns how many entries were completed. */
unsigned rf__dns_on_wake(struct rf__dns *d);

/* Lookups started and not yet applied. */
unsigned rf__dns_pending(const struct rf__dns *d);

#endif
