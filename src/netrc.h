/*
 * netrc.h - credentials for a host from a .netrc text (curl's reading).
 */
#ifndef RF_NETRC_H
#define RF_NETRC_H

#include <stddef.h>

/* Find the entry for host in the netrc text [text, text+len): the first
 * "machine HOST" (case-insensitive), else a "default" entry.  Returns 1 and
 * *login / *password (malloc'd; NULL when the entry lacks them), 0 when
 * no entry applies, or -ENOMEM.  Tokens are separated by blanks and
 * newlines and may be "quoted" with backslash escapes; '#' starts a comment
 * to the end of its line; "macdef NAME" skips to the next empty line;
 * "account" values are read and ignored; unknown tokens are skipped. */
int rf__netrc_lookup(const char *text, size_t len, const char *host, char **login, char **password);

#endif
