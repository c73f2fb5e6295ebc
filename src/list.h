/*
 * list.h - an intrusive doubly linked list (the connection pools' idle lists).
 */
#ifndef RF_LIST_H
#define RF_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct rf__link {
	struct rf__link *prev, *next;
};
static inline void rf__list_init(struct rf__link *h)
{
	h->prev = h->next = h;
}
static inline bool rf__list_empty(const struct rf__link *h)
{
	return h->next == h;
}
static inline void rf__list_push(struct rf__link *h, struct rf__link *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}
static inline void rf__list_del(struct rf__link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->prev = n->next = n;
}
#define rf__container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

#endif
