/*
 * namecache.c - the suffixes taken (see namecache.h): an open hash table
 * of at most NAMECACHE_MAX names; when it is full it is emptied, which only
 * costs the probes again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "hash.h"
#include "namecache.h"

#define BUCKETS 1024
#define NAMECACHE_MAX 4096

struct entry {
	struct entry *next;
	unsigned suffix;
	char path[];
};

struct rf__namecache {
	struct entry *buckets[BUCKETS];
	unsigned n;
};

int rf__namecache_new(struct rf__namecache **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

static void empty(struct rf__namecache *nc)
{
	for (unsigned b = 0; b < BUCKETS; b++) {
		for (struct entry *e = nc->buckets[b], *n; e; e = n) {
			n = e->next;
			free(e);
		}
		nc->buckets[b] = NULL;
	}
	nc->n = 0;
}

void rf__namecache_free(struct rf__namecache *nc)
{
	if (!nc)
		return;
	empty(nc);
	free(nc);
}

static struct entry **slot(const struct rf__namecache *nc, const char *path)
{
	struct entry *const *pp = &nc->buckets[rf__hash32(path) % BUCKETS];
	while (*pp && strcmp((*pp)->path, path) != 0)
		pp = &(*pp)->next;
	return (struct entry **)pp;
}

unsigned rf__namecache_next(const struct rf__namecache *nc, const char *path)
{
	struct entry *e = *slot(nc, path);
	return e ? e->suffix + 1 : 0;
}

void rf__namecache_taken(struct rf__namecache *nc, const char *path, unsigned suffix)
{
	struct entry **pp = slot(nc, path);
	if (*pp) {
		if (suffix > (*pp)->suffix)
			(*pp)->suffix = suffix;
		return;
	}
	if (nc->n >= NAMECACHE_MAX) {
		empty(nc);
		pp = slot(nc, path);
	}
	size_t len = strlen(path) + 1;
	struct entry *e = rf__malloc(sizeof(*e) + len);
	if (!e)
		return; /* only a shortcut lost */
	e->next = NULL;
	e->suffix = suffix;
	memcpy(e->path, path, len);
	*pp = e;
	nc->n++;
}
