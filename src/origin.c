/*
 * origin.c - the origin record of output files (origin.h).
 *
 * The record is the URL as the user gave it (after the CLI's own
 * normalisation), minus userinfo and fragment: two lines naming one
 * resource with different credentials share their files, and a password
 * never lands on disk.  Comparison is byte for byte on that form.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "origin.h"
#include "ringfetch.h"

char *rf__origin_form(const char *url, char *out, size_t cap)
{
	if (!cap)
		return out;
	size_t w = 0;
	const char *p = url;
	const char *sep = strstr(url, "://");
	if (sep) {
		size_t n = (size_t)(sep + 3 - url);
		for (size_t i = 0; i < n && w + 1 < cap; i++)
			out[w++] = url[i];
		p = sep + 3;
		/* userinfo: up to the last '@' before the authority ends */
		size_t auth = strcspn(p, "/?#");
		const char *at = NULL;
		for (size_t i = 0; i < auth; i++)
			if (p[i] == '@')
				at = p + i;
		if (at)
			p = at + 1;
	}
	for (; *p && *p != '#' && w + 1 < cap; p++)
		out[w++] = *p;
	out[w] = 0;
	return out;
}

int rf__origin_set(int fd, const char *url)
{
	char v[RF_ORIGIN_MAX];
	rf__origin_form(url, v, sizeof(v));
	return fsetxattr(fd, RF__ORIGIN_XATTR, v, strlen(v), 0) ? -errno : 0;
}

int rf__origin_of(const char *path, const char *url)
{
	struct stat st;
	if (lstat(path, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? RF_OWNER_NONE : RF_OWNER_UNKNOWN;
	if (!S_ISREG(st.st_mode))
		return RF_OWNER_NOT_FILE;
	char have[RF_ORIGIN_MAX], want[RF_ORIGIN_MAX];
	ssize_t n = lgetxattr(path, RF__ORIGIN_XATTR, have, sizeof(have) - 1);
	if (n < 0 && errno == ERANGE)
		return RF_OWNER_OTHER; /* longer than any record of ours */
	if (n < 0)
		return errno == ENODATA ? RF_OWNER_UNRECORDED : RF_OWNER_UNKNOWN;
	have[n] = 0;
	rf__origin_form(url, want, sizeof(want));
	return strcmp(have, want) == 0 ? RF_OWNER_SELF : RF_OWNER_OTHER;
}
