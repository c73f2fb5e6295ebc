/*
 * addrlist.c - shared address lists (see addrlist.h).
 *
 * Plain allocations: a list that cannot be had fails a lookup in words
 * ("out of memory"); the fault injection of alloc.h targets a transfer's
 * own path (the name cache's entries are made with it).
 */
#include "addrlist.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct rf__addrlist *rf__addrlist_new(unsigned n)
{
	struct rf__addrlist *l = calloc(1, sizeof(*l) + (size_t)n * sizeof(l->a[0]));
	if (!l)
		return NULL;
	l->refs = 1;
	l->n = n;
	return l;
}

void rf__addrlist_unref(struct rf__addrlist *l)
{
	if (l && --l->refs == 0)
		free(l);
}

static bool same(const union rf__sockaddr *x, const union rf__sockaddr *y)
{
	if (x->sa.sa_family != y->sa.sa_family)
		return false;
	if (x->sa.sa_family == AF_INET)
		return x->in.sin_addr.s_addr == y->in.sin_addr.s_addr;
	return memcmp(&x->in6.sin6_addr, &y->in6.sin6_addr, sizeof(x->in6.sin6_addr)) == 0;
}

static void add_unique(struct rf__addrlist *out, const union rf__sockaddr *a)
{
	for (unsigned i = 0; i < out->n; i++)
		if (same(&out->a[i], a))
			return;
	out->a[out->n++] = *a;
}

struct rf__addrlist *rf__addrlist_merge(const struct rf__addrlist *a, const struct rf__addrlist *b)
{
	unsigned na = a ? a->n : 0, nb = b ? b->n : 0;
	struct rf__addrlist *out = rf__addrlist_new(na + nb);
	if (!out)
		return NULL;
	out->n = 0;
	/* two cursors, one per family, each in the order the answers gave */
	unsigned i6 = 0, i4 = 0, total = na + nb;
	for (;;) {
		const union rf__sockaddr *x;
		bool any = false;
		for (; i6 < total; i6++) {
			x = i6 < na ? &a->a[i6] : &b->a[i6 - na];
			if (x->sa.sa_family == AF_INET6) {
				add_unique(out, x);
				i6++;
				any = true;
				break;
			}
		}
		for (; i4 < total; i4++) {
			x = i4 < na ? &a->a[i4] : &b->a[i4 - na];
			if (x->sa.sa_family != AF_INET6) {
				add_unique(out, x);
				i4++;
				any = true;
				break;
			}
		}
		if (!any)
			break;
	}
	return out;
}

void rf__sockaddr_text(const union rf__sockaddr *a, char *buf, size_t cap)
{
	const void *src =
		a->sa.sa_family == AF_INET6 ? (const void *)&a->in6.sin6_addr : (const void *)&a->in.sin_addr;
	if (!inet_ntop(a->sa.sa_family, src, buf, (socklen_t)cap) && cap)
		buf[0] = 0;
}

int rf__sockaddr_parse(const char *text, union rf__sockaddr *out)
{
	memset(out, 0, sizeof(*out));
	char tmp[64];
	size_t n = strlen(text);
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']' && n - 2 < sizeof(tmp)) {
		memcpy(tmp, text + 1, n - 2);
		tmp[n - 2] = 0;
		text = tmp;
	}
	if (inet_pton(AF_INET, text, &out->in.sin_addr) == 1) {
		out->in.sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &out->in6.sin6_addr) == 1) {
		out->in6.sin6_family = AF_INET6;
		return 0;
	}
	return -1;
}

int rf__pin_parse(const char *spec, char **host, unsigned *port, struct rf__addrlist **addrs)
{
	if (*spec == '+')
		spec++;
	const char *c1 = strchr(spec, ':');
	if (!c1 || c1 == spec)
		return -1;
	char *end;
	unsigned long p = strtoul(c1 + 1, &end, 10);
	if (end == c1 + 1 || *end != ':' || p == 0 || p > 65535 || !end[1])
		return -1;
	const char *list = end + 1;
	unsigned n = 1;
	for (const char *s = list; *s; s++)
		n += *s == ',';
	struct rf__addrlist *l = rf__addrlist_new(n);
	if (!l)
		return -1;
	l->n = 0;
	for (const char *s = list; l->n < n; l->n++) {
		size_t len = strcspn(s, ",");
		char one[64];
		if (len == 0 || len >= sizeof(one)) {
			rf__addrlist_unref(l);
			return -1;
		}
		memcpy(one, s, len);
		one[len] = 0;
		if (rf__sockaddr_parse(one, &l->a[l->n]) != 0) {
			rf__addrlist_unref(l);
			return -1;
		}
		s += len + (s[len] == ',');
	}
	*host = strndup(spec, (size_t)(c1 - spec));
	if (!*host) {
		rf__addrlist_unref(l);
		return -1;
	}
	*port = (unsigned)p;
	*addrs = l;
	return 0;
}
