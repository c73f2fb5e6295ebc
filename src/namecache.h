/*
 * namecache.h - the suffixes this run has given final names: after NAME,
 * NAME.1, ... NAME.k were taken, the next file for NAME starts at k + 1
 * instead of probing every taken name again (quadratic in the number of
 * same-named files: 50 of them made 1 275 linkat calls).  Another program
 * may still take a name meanwhile: the probing goes on from there as
 * before.  A leaf: names in, numbers out.
 */
#ifndef RF_NAMECACHE_H
#define RF_NAMECACHE_H

struct rf__namecache;

int rf__namecache_new(struct rf__namecache **out);
void rf__namecache_free(struct rf__namecache *nc);
/* Where probing for path should start: 0 when unknown, else the last
 * suffix taken + 1. */
unsigned rf__namecache_next(const struct rf__namecache *nc, const char *path);
/* path.suffix (suffix 0: path itself) is taken, or about to be tried. */
void rf__namecache_taken(struct rf__namecache *nc, const char *path, unsigned suffix);

#endif
