/*
 * names.h - which file each URL of a run is saved under, decided in list
 * order before the URL is fetched, so a re-run gives every URL the name it
 * had the first time.
 *
 * A URL's own name (the last path segment, out=, the layout options) is
 * NAME; a name already given to an earlier URL of this run, or holding
 * something that is not this URL's (origin.h: the user.xdg.origin.url
 * record), makes it NAME.1, NAME.2, ... in order.  With -c, -N and
 * --no-clobber a name whose file (or NAME.part) records this URL is the
 * URL's own and is taken again; nothing else ever is.
 */
#ifndef RF_CLI_NAMES_H
#define RF_CLI_NAMES_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum name_mode {
	NAME_NEW,        /* a free name only: never an existing file */
	NAME_RESUME,     /* -c: the URL's own file or .part, else a free name */
	NAME_MIRROR,     /* -N: the URL's own file, else a free name */
	NAME_NO_CLOBBER, /* -nc: the URL's own file is not fetched again */
};

struct names {
	uint64_t *slots;        /* open addressing; 0 = empty */
	size_t cap, used;       /* cap a power of two */
	struct names_dir *dirs; /* what each output directory held when the
	                           run first looked in it (names.c) */
	size_t ndirs;
};

struct name_choice {
	char path[PATH_MAX];
	bool own;       /* path holds this URL's file already (-c, -N, -nc) */
	char note[300]; /* why path is not the URL's own name, or "" */
};

void names_init(struct names *n);
void names_free(struct names *n);
/* Choose (and reserve for this run) the path for url, starting from base.
 * 0, or -1 with the reason in ch->note (a name that cannot be told apart:
 * no user xattrs, or no free suffix left). */
int names_choose(struct names *n, const char *base, const char *url, enum name_mode mode,
                 struct name_choice *ch);
/* Has this run given path out already? */
bool names_taken(const struct names *n, const char *path);
/* Reserve path as it is (-o): later URLs of the run do not take it. */
void names_reserve(struct names *n, const char *path);

#endif
