/*
 * alloc.h - the allocations on a transfer's path, which fault injection
 * (RINGFETCH_FAULTS kind m, fault.h) can make fail, so that every
 * out-of-memory path is exercised by tests, not only by luck.  A caller
 * treats NULL as it would from malloc: the transfer fails with -ENOMEM,
 * reported, and nothing leaks.
 */
#ifndef RF_ALLOC_H
#define RF_ALLOC_H

#include <stdlib.h>
#include <string.h>

#include "fault.h"

static inline void *rf__malloc(size_t n)
{
	return rf__fault_alloc() ? NULL : malloc(n);
}
static inline void *rf__calloc(size_t n, size_t size)
{
	return rf__fault_alloc() ? NULL : calloc(n, size);
}
static inline void *rf__realloc(void *p, size_t n)
{
	return rf__fault_alloc() ? NULL : realloc(p, n);
}
static inline char *rf__strdup(const char *s)
{
	return rf__fault_alloc() ? NULL : strdup(s);
}
static inline char *rf__strndup(const char *s, size_t n)
{
	return rf__fault_alloc() ? NULL : strndup(s, n);
}

#endif
