/*
 * cookies.h - a cookie store by RFC 6265: cookies taken from Set-Cookie
 * under its storage rules, given back in Cookie for the URLs they match,
 * read from and written to the Netscape cookie file curl and wget use.
 * A leaf: it returns codes and calls nothing of the engine.
 */
#ifndef RF_COOKIES_H
#define RF_COOKIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf__cookies;

/* An empty store; NULL without memory (or without the public suffix
 * list: then libpsl's built-in one is used). */
struct rf__cookies *rf__cookies_new(void);
void rf__cookies_free(struct rf__cookies *j);

/* One Set-Cookie value received for a request to host (lower-case, no
 * brackets), path (the request target's path) over https or not, at time
 * now (unix seconds).  Returns true when it was stored (or it deleted a
 * cookie); false when a rule refused it (*why says which): a Domain that
 * does not cover host or is a public suffix, Secure from http, a bad
 * name, too big, __Host-/__Secure- prefixes not honoured. */
bool rf__cookies_set(struct rf__cookies *j, const char *host, const char *path, bool https,
                     const char *set_cookie, int64_t now, const char **why);

/* The Cookie header value for a request to host/path over https or not:
 * into out (cap bytes), "" when none.  Returns its length; a list that
 * does not fit is cut at a whole cookie. */
size_t rf__cookies_header(struct rf__cookies *j, const char *host, const char *path, bool https, int64_t now,
                          char *out, size_t cap);

/* Read a Netscape cookie file ("# Netscape HTTP Cookie File", tab-separated
 * domain, subdomains, path, secure, expiry, name, value; "#HttpOnly_"
 * before a domain).  0, or -errno, or RF_EINVAL with *line naming the bad
 * line.  Expired cookies are skipped. */
int rf__cookies_load(struct rf__cookies *j, const char *path, int64_t now, unsigned *line);
/* Write the store to path in that format (mode 0600, through a temporary
 * file renamed over it), session cookies included with expiry 0 as curl
 * writes them.  0 or -errno. */
int rf__cookies_save(const struct rf__cookies *j, const char *path, int64_t now);
/* Cookies held (for tests and reports). */
size_t rf__cookies_count(const struct rf__cookies *j);

#endif
