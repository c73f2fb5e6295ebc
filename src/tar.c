/*
 * tar.c - tar member headers (see tar.h).  The layout is POSIX.1-2001's
 * ustar header; the pax extended header ('x') carries what does not fit.
 */
#include "tar.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define USTAR_NAME 100
#define USTAR_MAX_SIZE 077777777777ull /* 11 octal digits */

/* width - 1 octal digits and a NUL, as GNU tar writes them (v fits: the
 * callers check) */
static void octal(char *field, size_t width, uint64_t v)
{
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		field[i] = (char)('0' + (v & 7));
	field[width - 1] = 0;
}

static void ustar(char *h, const char *name, uint64_t size, int64_t mtime, char type)
{
	memset(h, 0, RF__TAR_BLOCK);
	size_t n = strlen(name);
	memcpy(h, name, n > USTAR_NAME ? USTAR_NAME : n);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	octal(h + 124, 12, size > USTAR_MAX_SIZE ? 0 : size);
	octal(h + 136, 12, mtime > 0 ? (uint64_t)mtime : 0);
	h[156] = type;
	memcpy(h + 257, "ustar", 6); /* magic "ustar\0", version "00" */
	memcpy(h + 263, "00", 2);
	memset(h + 148, ' ', 8);
	unsigned sum = 0;
	for (int i = 0; i < RF__TAR_BLOCK; i++)
		sum += (unsigned char)h[i];
	octal(h + 148, 7, sum); /* six digits, NUL, then a space */
	h[155] = ' ';
}

/* The length of a pax record "LEN key=value\n", LEN counting its own
 * digits. */
static size_t record_len(size_t key_len, size_t value_len)
{
	size_t body = 1 + key_len + 1 + value_len + 1; /* " key=value\n" */
	for (size_t digits = 1;; digits++) {
		size_t len = body + digits;
		if ((size_t)snprintf(NULL, 0, "%zu", len) == digits)
			return len;
	}
}

/* Write that record at out (room for it checked by the caller). */
static size_t put_record(char *out, const char *key, const char *value)
{
	size_t len = record_len(strlen(key), strlen(value));
	char prefix[64];
	int p = snprintf(prefix, sizeof(prefix), "%zu %s=", len, key);
	memcpy(out, prefix, (size_t)p);
	memcpy(out + p, value, len - (size_t)p - 1);
	out[len - 1] = '\n';
	return len;
}

static bool needs_pax(size_t name_len, uint64_t size)
{
	return name_len > USTAR_NAME || size > USTAR_MAX_SIZE;
}

static size_t pax_data_len(size_t name_len, uint64_t size)
{
	size_t data = 0;
	if (name_len > USTAR_NAME)
		data += record_len(4, name_len);
	if (size > USTAR_MAX_SIZE)
		data += record_len(4, (size_t)snprintf(NULL, 0, "%llu", (unsigned long long)size));
	return data;
}

size_t rf__tar_member_head_len(size_t name_len, uint64_t size)
{
	if (!needs_pax(name_len, size))
		return RF__TAR_BLOCK;
	return RF__TAR_BLOCK + (size_t)rf__tar_padded(pax_data_len(name_len, size)) + RF__TAR_BLOCK;
}

ssize_t rf__tar_member_head(char *buf, size_t cap, const char *name, uint64_t size, int64_t mtime)
{
	size_t n = strlen(name);
	if (!n || cap < RF__TAR_BLOCK)
		return -1;
	if (!needs_pax(n, size)) {
		ustar(buf, name, size, mtime, '0');
		return RF__TAR_BLOCK;
	}
	size_t want = rf__tar_member_head_len(n, size);
	if (cap < want)
		return -1;
	memset(buf, 0, want);
	char *data = buf + RF__TAR_BLOCK;
	size_t len = 0;
	if (n > USTAR_NAME)
		len += put_record(data + len, "path", name);
	if (size > USTAR_MAX_SIZE) {
		char num[24];
		snprintf(num, sizeof(num), "%llu", (unsigned long long)size);
		len += put_record(data + len, "size", num);
	}
	char pax_name[USTAR_NAME + 1];
	snprintf(pax_name, sizeof(pax_name), "PaxHeaders/%.80s", name);
	ustar(buf, pax_name, len, mtime, 'x');
	ustar(buf + want - RF__TAR_BLOCK, name, size, mtime, '0'); /* truncated name: pax wins */
	return (ssize_t)want;
}

int rf__tar_void(uint64_t len, char head[RF__TAR_BLOCK], char *start, size_t cap, size_t *start_len)
{
	if (len < RF__TAR_BLOCK || len % RF__TAR_BLOCK)
		return -1;
	uint64_t data = len - RF__TAR_BLOCK; /* one record of exactly this length */
	ustar(head, "PaxHeaders/void", data, 0, 'x');
	*start_len = 0;
	if (!data)
		return 0;
	int w = snprintf(start, cap, "%llu comment=", (unsigned long long)data);
	if (w < 0 || (size_t)w >= cap || (uint64_t)w + 1 > data)
		return -1;
	*start_len = (size_t)w;
	return 0;
}
