/*
 * names.c - output names decided in list order (names.h).
 *
 * The run remembers every path it has given out as a 64-bit hash (8 bytes
 * per name, in a table at most half full: 16 bytes per URL of the list), so
 * a name is given to one URL only and the suffix a URL gets depends on the
 * list, not on the order in which transfers finish.  What is on disk is
 * asked once per candidate name (an lstat and an xattr read of NAME and of
 * NAME.part), through rf_file_owner -- only for a name its directory held
 * when the run first looked in it: each output directory is read once
 * (readdir) into a set of name hashes, so a fresh directory costs no
 * syscall per URL (two lstat per file were 2/3 of the per-file syscalls the
 * origin record added; bench/ab.py).  A file that appears later is still
 * never overwritten: the engine's renames do not replace, and -c/-N replace
 * only a file whose origin record names the URL.
 */
#include "names.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ringfetch.h>

#define MAX_SUFFIX 9999
#define MAX_DIRS 256               /* directories remembered; more are asked each time */
#define MAX_DIR_ENTRIES (1u << 22) /* a bigger directory is asked each time */

/* What a directory held when the run first looked: hashes of its entries'
 * names (open addressing, 0 = empty); exact false: ask the filesystem. */
struct names_dir {
	uint64_t key;
	uint64_t *slots;
	size_t cap;
	bool exact;
};

void names_init(struct names *n)
{
	memset(n, 0, sizeof(*n));
}

void names_free(struct names *n)
{
	for (size_t i = 0; i < n->ndirs; i++)
		free(n->dirs[i].slots);
	free(n->dirs);
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

static bool set_has(const uint64_t *slots, size_t cap, uint64_t h)
{
	for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		if (slots[i] == h)
			return true;
		if (!slots[i])
			return false;
	}
}

static bool set_put(uint64_t **slots, size_t *cap, size_t used, uint64_t h)
{
	if (2 * (used + 1) > *cap) {
		size_t ncap = *cap ? 2 * *cap : 64;
		uint64_t *s = calloc(ncap, sizeof(*s));
		if (!s)
			return false;
		for (size_t i = 0; i < *cap; i++) {
			if (!(*slots)[i])
				continue;
			size_t j = (*slots)[i] & (ncap - 1);
			while (s[j])
				j = (j + 1) & (ncap - 1);
			s[j] = (*slots)[i];
		}
		free(*slots);
		*slots = s;
		*cap = ncap;
	}
	size_t i = h & (*cap - 1);
	while ((*slots)[i] && (*slots)[i] != h)
		i = (i + 1) & (*cap - 1);
	(*slots)[i] = h;
	return true;
}

/* Read directory dir into d: its entries' name hashes; not exact when it
 * cannot be read whole (a missing one is exactly empty). */
static void dir_read(struct names_dir *d, const char *dir)
{
	d->exact = false;
	DIR *dp = opendir(dir);
	if (!dp) {
		d->exact = errno == ENOENT;
		return;
	}
	size_t used = 0;
	struct dirent *e;
	bool ok = true;
	errno = 0;
	while (ok && (e = readdir(dp)))
		ok = ++used <= MAX_DIR_ENTRIES && set_put(&d->slots, &d->cap, used, hash_of(e->d_name));
	d->exact = ok && errno == 0;
	closedir(dp);
	if (!d->exact) {
		free(d->slots);
		d->slots = NULL;
		d->cap = 0;
	}
}

/* Might path exist, as far as its directory's first reading says?  True
 * when not known (then the filesystem is asked). */
static bool may_exist(struct names *n, const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	uint64_t key = hash_of(dir);
	struct names_dir *d = NULL;
	for (size_t i = 0; i < n->ndirs && !d; i++)
		if (n->dirs[i].key == key)
			d = &n->dirs[i];
	if (!d) {
		if (n->ndirs == MAX_DIRS)
			return true;
		struct names_dir *dirs = realloc(n->dirs, (n->ndirs + 1) * sizeof(*dirs));
		if (!dirs)
			return true;
		n->dirs = dirs;
		d = &n->dirs[n->ndirs++];
		*d = (struct names_dir){.key = key};
		dir_read(d, dir);
	}
	if (!d->exact)
		return true;
	return d->cap && set_has(d->slots, d->cap, hash_of(slash ? slash + 1 : path));
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
			int who = may_exist(n, ch->path) ? rf_file_owner(ch->path, url) : RF_OWNER_NONE;
			int part_who = who == RF_OWNER_NONE && may_exist(n, part) ? rf_file_owner(part, url)
			                                                          : RF_OWNER_NONE;
			bool careful = mode != NAME_NEW;
			if (careful && (who == RF_OWNER_UNKNOWN || part_who == RF_OWNER_UNKNOWN)) {
				snprintf(ch->note, sizeof(ch->note),
				         "cannot tell whether %.80s is this URL's "
				         "download: its filesystem keeps no user xattrs (-c, -N and "
				         "--no-clobber need them)",
				         who == RF_OWNER_UNKNOWN ? ch->path : part);
				return -1;
			}
			if (who == RF_OWNER_SELF && careful)
				ch->own = true;
			else if (who == RF_OWNER_NONE && part_who != RF_OWNER_NONE &&
			         part_who != RF_OWNER_SELF)
				why = why_not(part_who, "its .part");
			else if (who != RF_OWNER_NONE)
				why = mode == NAME_NEW && who != RF_OWNER_NOT_FILE
				              ? "it exists and is never overwritten"
				              : why_not(who, "the file");
		}
		if (why) {
			if (!first_why[0])
				snprintf(first_why, sizeof(first_why), "%s", why);
			continue;
		}
		put(n, h);
		if (k) {
			const char *me = strrchr(ch->path, '/'), *own = strrchr(base, '/');
			snprintf(ch->note, sizeof(ch->note), "saved as %.60s (%.60s: %.70s)",
			         me ? me + 1 : ch->path, own ? own + 1 : base, first_why);
		}
		return 0;
	}
	snprintf(ch->note, sizeof(ch->note), "no free name: %.100s.1 to .%u are all taken", base, MAX_SUFFIX);
	return -1;
}
