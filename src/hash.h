/*
 * hash.h - FNV-1a string hashes for the engine's small hash tables (DNS
 * cache, origins, TLS sessions) and the redirect-loop check.
 */
#ifndef RF_HASH_H
#define RF_HASH_H

#include <stdint.h>

static inline uint32_t rf__hash32(const char *s)
{
	uint32_t h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static inline uint64_t rf__hash64(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

#endif
