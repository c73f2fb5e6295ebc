/* fuzz.h - what the libFuzzer harnesses share. */
#ifndef RF_FUZZ_H
#define RF_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The input as a NUL-terminated string (malloc'd; NULL without memory).
 * Bytes after an embedded NUL are not seen by string functions: fine. */
static inline char *fuzz_cstring(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

#endif
