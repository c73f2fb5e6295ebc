/*
 * hosts.c - the hosts file, read once into a hash table (see hosts.h).
 *
 * The resolver library would read the file again for every name it looks
 * up (as glibc does); a list of ten thousand hosts against a hosts file of
 * ten thousand lines would then parse it ten thousand times.
 */
#include "hosts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hash.h"

struct host {
	struct host *next;
	struct rf__addrlist *addrs;
	char name[];
};

struct rf__hosts {
	struct host **buckets;
	unsigned nbuckets, count;
};

static uint32_t name_hash(const char *name)
{
	char low[256];
	size_t n = 0;
	for (; name[n] && n < sizeof(low) - 1; n++)
		low[n] = (char)tolower((unsigned char)name[n]);
	low[n] = 0;
	return rf__hash32(low);
}

static struct host *find(const struct rf__hosts *h, const char *name)
{
	if (!h->nbuckets)
		return NULL;
	for (struct host *e = h->buckets[name_hash(name) % h->nbuckets]; e; e = e->next)
		if (strcasecmp(e->name, name) == 0)
			return e;
	return NULL;
}

static int grow(struct rf__hosts *h)
{
	unsigned n = h->nbuckets ? h->nbuckets * 2 : 64;
	struct host **b = calloc(n, sizeof(*b));
	if (!b)
		return -ENOMEM;
	for (unsigned i = 0; i < h->nbuckets; i++) {
		for (struct host *e = h->buckets[i], *next; e; e = next) {
			next = e->next;
			uint32_t k = name_hash(e->name) % n;
			e->next = b[k];
			b[k] = e;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
	return 0;
}

static int add(struct rf__hosts *h, const char *name, const union rf__sockaddr *a)
{
	struct host *e = find(h, name);
	if (!e) {
		if (h->count >= h->nbuckets && grow(h))
			return -ENOMEM;
		size_t len = strlen(name);
		e = calloc(1, sizeof(*e) + len + 1);
		if (!e)
			return -ENOMEM;
		memcpy(e->name, name, len + 1);
		uint32_t k = name_hash(name) % h->nbuckets;
		e->next = h->buckets[k];
		h->buckets[k] = e;
		h->count++;
	}
	unsigned n = e->addrs ? e->addrs->n : 0;
	for (unsigned i = 0; i < n; i++)
		if (memcmp(&e->addrs->a[i], a, sizeof(*a)) == 0)
			return 0;
	struct rf__addrlist *l = rf__addrlist_new(n + 1);
	if (!l)
		return -ENOMEM;
	if (n)
		memcpy(l->a, e->addrs->a, n * sizeof(l->a[0]));
	l->a[n] = *a;
	rf__addrlist_unref(e->addrs);
	e->addrs = l;
	return 0;
}

int rf__hosts_load(const char *path, struct rf__hosts **out)
{
	struct rf__hosts *h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	*out = h;
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	char *line = NULL;
	size_t cap = 0;
	int err = 0;
	while (!err && getline(&line, &cap, f) >= 0) {
		line[strcspn(line, "#\n")] = 0;
		char *save = NULL, *tok = strtok_r(line, " \t\r", &save);
		union rf__sockaddr a;
		if (!tok || rf__sockaddr_parse(tok, &a) != 0 || tok[0] == '[')
			continue; /* blank, comment, or not an address */
		if (a.sa.sa_family == AF_INET6 && strchr(tok, '%'))
			continue; /* a scoped address: not for dialing by name */
		while (!err && (tok = strtok_r(NULL, " \t\r", &save)))
			if (strlen(tok) < 254)
				err = add(h, tok, &a);
	}
	free(line);
	fclose(f);
	return err;
}

void rf__hosts_free(struct rf__hosts *h)
{
	if (!h)
		return;
	for (unsigned i = 0; i < h->nbuckets; i++) {
		for (struct host *e = h->buckets[i], *next; e; e = next) {
			next = e->next;
			rf__addrlist_unref(e->addrs);
			free(e);
		}
	}
	free(h->buckets);
	free(h);
}

struct rf__addrlist *rf__hosts_find(const struct rf__hosts *h, const char *name)
{
	struct host *e = h ? find(h, name) : NULL;
	return e ? e->addrs : NULL;
}

unsigned rf__hosts_count(const struct rf__hosts *h)
{
	return h ? h->count : 0;
}
