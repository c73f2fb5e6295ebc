/*
 * fixtab.c - which socket is in which slot of the registered file table
 * (fixtab.h): a map from descriptor number to slot, the descriptor of each
 * slot, a stack of free slots and a list of slots freed since the last
 * submission.
 */
#include "fixtab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct rf__fixtab {
	unsigned n;
	int *fd_at;   /* per slot: its descriptor, -1 when free */
	int *slot_of; /* per descriptor number: its slot, -1 */
	unsigned cap_fds;
	unsigned *free_slots, nfree;
	unsigned *limbo, nlimbo; /* freed, not reusable before a submission */
};

int rf__fixtab_new(unsigned n, struct rf__fixtab **out)
{
	struct rf__fixtab *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->n = n;
	t->fd_at = malloc(n * sizeof(*t->fd_at));
	t->free_slots = malloc(n * sizeof(*t->free_slots));
	t->limbo = malloc(n * sizeof(*t->limbo));
	if (!t->fd_at || !t->free_slots || !t->limbo) {
		rf__fixtab_free(t);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		t->fd_at[i] = -1;
		t->free_slots[t->nfree++] = n - 1 - i;
	}
	*out = t;
	return 0;
}

void rf__fixtab_free(struct rf__fixtab *t)
{
	if (!t)
		return;
	free(t->fd_at);
	free(t->slot_of);
	free(t->free_slots);
	free(t->limbo);
	free(t);
}

unsigned rf__fixtab_size(const struct rf__fixtab *t)
{
	return t->n;
}

int rf__fixtab_add(struct rf__fixtab *t, int fd)
{
	if (fd < 0 || !t->nfree)
		return -1;
	if ((unsigned)fd >= t->cap_fds) {
		unsigned cap = t->cap_fds ? t->cap_fds : 256;
		while (cap <= (unsigned)fd)
			cap *= 2;
		int *m = realloc(t->slot_of, cap * sizeof(*m));
		if (!m)
			return -1;
		memset(m + t->cap_fds, 0xff, (cap - t->cap_fds) * sizeof(*m)); /* -1 */
		t->slot_of = m;
		t->cap_fds = cap;
	}
	unsigned i = t->free_slots[--t->nfree];
	t->fd_at[i] = fd;
	t->slot_of[fd] = (int)i;
	return (int)i;
}

int rf__fixtab_of(const struct rf__fixtab *t, int fd)
{
	return fd >= 0 && (unsigned)fd < t->cap_fds ? t->slot_of[fd] : -1;
}

int rf__fixtab_remove(struct rf__fixtab *t, int fd)
{
	int i = rf__fixtab_of(t, fd);
	if (i < 0)
		return -1;
	t->slot_of[fd] = -1;
	t->limbo[t->nlimbo++] = (unsigned)i;
	return i;
}

int *rf__fixtab_fd_at(struct rf__fixtab *t, int i)
{
	return &t->fd_at[i];
}

void rf__fixtab_submitted(struct rf__fixtab *t)
{
	for (unsigned k = 0; k < t->nlimbo; k++) {
		t->fd_at[t->limbo[k]] = -1;
		t->free_slots[t->nfree++] = t->limbo[k];
	}
	t->nlimbo = 0;
}
