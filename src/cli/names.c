/*
 * names.c - output names decided in list order (names.h).
 *
 * The run remembers every path it has given out as a 64-bit hash (8 bytes
 * per name, in a table at most half full: 16 bytes per URL of the list), so
 * a name is given to one URL only and the suffix a URL gets depends on the
 * list, not on the order in which transfers finish.  What is on disk is
 * asked once per candidate name (an lstat and an xattr read of NAME and of
 * NAME.part), through rf_file_owner.
 */
#include "names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringfetch.h>

#define MAX_SUFFIX 9999

void names_init(struct names *n)
{
	memset(n, 0, sizeof(*n));
}

void names_free(struct names *n)
{
	free(n->slots);
	memset(n, 0, sizeof(*n));
}

static uint64_t hash_of(const char *s)
{
	uint64_t h = 14695981039346656037ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	h ^= h >> 29;
	return h ? h : 1;
}

static bool taken(const struct names *n, uint64_t h)
{
	if (!n->cap)
		return false;
	for (size_t i = h & (n->cap - 1);; i = (i + 1) & (n->cap - 1)) {
		if (n->slots[i] == h)
			return true;
		if (!n->slots[i])
			return false;
	}
}

static void put(struct names *n, uint64_t h)
{
	if (2 * (n->used + 1) > n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 1024;
		uint64_t *s = calloc(cap, sizeof(*s));
		if (!s)
			return; /* unreserved: the engine's NOREPLACE still protects */
		for (size_t i = 0; i < n->cap; i++) {
			if (!n->slots[i])
				continue;
			size_t j = n->slots[i] & (cap - 1);
			while (s[j])
				j = (j + 1) & (cap - 1);
			s[j] = n->slots[i];
		}
		free(n->slots);
		n->slots = s;
		n->cap = cap;
	}
	size_t i = h & (n->cap - 1);
	while (n->slots[i] && n->slots[i] != h)
		i = (i + 1) & (n->cap - 1);
	if (!n->slots[i]) {
		n->slots[i] = h;
		n->used++;
	}
}

bool names_taken(const struct names *n, const char *path)
{
	return taken(n, hash_of(path));
}

void names_reserve(struct names *n, const char *path)
{
	put(n, hash_of(path));
}

static const char *why_not(int who, const char *what)
{
	static char buf[160];
	switch (who) {
	case RF_OWNER_OTHER:
		snprintf(buf, sizeof(buf), "%s is another URL's download (its origin record)", what);
		break;
	case RF_OWNER_UNRECORDED:
		snprintf(buf, sizeof(buf), "%s exists and has no origin record of this URL", what);
		break;
	default:
		snprintf(buf, sizeof(buf), "%s exists and is not a regular file", what);
		break;
	}
	return buf;
}

int names_choose(struct names *n, const char *base, const char *url, enum name_mode mode,
                 struct name_choice *ch)
{
	ch->own = false;
	ch->note[0] = 0;
	char first_why[160] = ""; /* why the URL's own name was not taken */
	for (unsigned k = 0; k <= MAX_SUFFIX; k++) {
		int len = k ? snprintf(ch->path, sizeof(ch->path), "%s.%u", base, k)
		            : snprintf(ch->path, sizeof(ch->path), "%s", base);
		if (len < 0 || (size_t)len + 16 >= sizeof(ch->path)) {
			snprintf(ch->note, sizeof(ch->note), "output path too long");
			return -1;
		}
		uint64_t h = hash_of(ch->path);
		const char *why = NULL;
		if (taken(n, h)) {
			why = "an earlier URL of this run has that name";
		} else {
			char part[PATH_MAX + 8];
			snprintf(part, sizeof(part), "%s.part", ch->path);
			int who = rf_file_owner(ch->path, url);
			int part_who = who == RF_OWNER_NONE ? rf_file_owner(part, url) : RF_OWNER_NONE;
			bool careful = mode != NAME_NEW;
			if (careful && (who == RF_OWNER_UNKNOWN || part_who == RF_OWNER_UNKNOWN)) {
				snprintf(ch->note, sizeof(ch->note), "cannot tell whether %.80s is this URL's "
				         "download: its filesystem keeps no user xattrs (-c, -N and "
				         "--no-clobber need them)", who == RF_OWNER_UNKNOWN ? ch->path : part);
				return -1;
			}
			if (who == RF_OWNER_SELF && careful)
				ch->own = true;
			else if (who == RF_OWNER_NONE && part_who != RF_OWNER_NONE && part_who != RF_OWNER_SELF)
				why = why_not(part_who, "its .part");
			else if (who != RF_OWNER_NONE)
				why = mode == NAME_NEW && who != RF_OWNER_NOT_FILE ?
				      "it exists and is never overwritten" : why_not(who, "the file");
		}
		if (why) {
			if (!first_why[0])
				snprintf(first_why, sizeof(first_why), "%s", why);
			continue;
		}
		put(n, h);
		if (k) {
			const char *me = strrchr(ch->path, '/'), *own = strrchr(base, '/');
			snprintf(ch->note, sizeof(ch->note), "saved as %.60s (%.60s: %.70s)", me ? me + 1 : ch->path,
			         own ? own + 1 : base, first_why);
		}
		return 0;
	}
	snprintf(ch->note, sizeof(ch->note), "no free name: %.100s.1 to .%u are all taken", base,
	         MAX_SUFFIX);
	return -1;
}
