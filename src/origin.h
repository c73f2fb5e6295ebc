/*
 * origin.h - the origin record of output files: which URL a file belongs to.
 *
 * Every file the engine creates (a .part, an unnamed O_TMPFILE body) gets
 * the freedesktop extended attribute user.xdg.origin.url (what wget2 and
 * curl --xattr write) holding the URL it was fetched for, without userinfo.
 * Re-runs (-c, -N, --no-clobber) take an existing file as a URL's own only
 * when that record names the URL.  A leaf: paths and URLs in, codes out.
 */
#ifndef RF_ORIGIN_H
#define RF_ORIGIN_H

#include <stddef.h>

#define RF__ORIGIN_XATTR "user.xdg.origin.url"

/* The URL as recorded: scheme://host... with any userinfo and fragment
 * removed, cut to cap - 1 bytes.  Returns out. */
char *rf__origin_form(const char *url, char *out, size_t cap);

/* Record url on the open file fd: 0, or a negative errno (-ENOTSUP on a
 * filesystem without user extended attributes). */
int rf__origin_set(int fd, const char *url);

/* Whose is path?  One of enum rf_owner (ringfetch.h). */
int rf__origin_of(const char *path, const char *url);

#endif
