/*
 * addrlist.h - a host's addresses: an immutable, shared, counted list.
 *
 * The name cache holds one reference, each transfer that dials from it
 * another, so an answer that expires or is replaced while a transfer still
 * walks its addresses stays valid until the transfer lets go.  No cap on
 * the number of addresses: as many as the answer carried.
 */
#ifndef RF_ADDRLIST_H
#define RF_ADDRLIST_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

union rf__sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

struct rf__addrlist {
	unsigned refs;
	unsigned n;
	union rf__sockaddr a[]; /* port 0 */
};

/* A list for n addresses, one reference, n set; NULL when out of memory. */
struct rf__addrlist *rf__addrlist_new(unsigned n);
static inline struct rf__addrlist *rf__addrlist_ref(struct rf__addrlist *l)
{
	if (l)
		l->refs++;
	return l;
}
void rf__addrlist_unref(struct rf__addrlist *l);
/* The addresses of a and b (either may be NULL) in the order to try them:
 * families alternating, starting with IPv6 (RFC 8305 section 4), each
 * family in its own order; duplicates dropped.  NULL when out of memory. */
struct rf__addrlist *rf__addrlist_merge(const struct rf__addrlist *a, const struct rf__addrlist *b);
static inline socklen_t rf__sockaddr_len(const union rf__sockaddr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}
/* "192.0.2.1" or "2001:db8::1" (no port). */
void rf__sockaddr_text(const union rf__sockaddr *a, char *buf, size_t cap);
/* Parse an IP literal (IPv6 with or without brackets): 0, or -1. */
int rf__sockaddr_parse(const char *text, union rf__sockaddr *out);

/* curl's --resolve value "HOST:PORT:ADDR[,ADDR...]" (a leading '+'
 * allowed; IPv6 in brackets or not): 0 with *host (owned) and *addrs (one
 * reference), or -1 when malformed or out of memory. */
int rf__pin_parse(const char *spec, char **host, unsigned *port, struct rf__addrlist **addrs);

#endif
