/*
 * url.h - HTTP(S) URL parsing and RFC 3986 reference resolution.
 */
#ifndef RF_URL_H
#define RF_URL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf__url {
	char *mem;            /* one allocation holding the strings below */
	const char *scheme;   /* "http" or "https" */
	const char *host;     /* lower-case; IPv6 literal without brackets */
	const char *target;   /* request target: path and query, starts with '/' */
	const char *hostport; /* Host header value: host[:port], brackets kept */
	uint16_t port;
	bool tls;
	bool ip_literal; /* IPv4 or IPv6 literal: no SNI, IP name check */
	/* userinfo ("user:pass@"), percent-decoded; NULL when the URL has
	 * none.  A user without ':' has an empty password. */
	const char *user;
	const char *password;
};

/* Longest URL accepted (after percent-encoding): a request line must fit a
 * server's header buffer (nginx: 8 KiB per line by default). */
#define RF__URL_MAX 8000

/* Parse an absolute http:// or https:// URL.  Returns 0, RF_EURL or
 * RF_ESCHEME; *why (if not NULL) then names what was wrong.  Characters
 * not allowed in a request target (space, controls, non-ASCII) are
 * percent-encoded; a fragment is dropped. */
int rf__url_parse(const char *s, struct rf__url *u, const char **why);
/* Free u's strings (the password is wiped first). */
void rf__url_free(struct rf__url *u);

/* Copy url to out with any userinfo replaced by "***" (for messages: a
 * password is never printed).  Works on malformed URLs too; truncates to
 * cap.  Returns out. */
char *rf__url_redact(const char *url, char *out, size_t cap);

/* Resolve reference ref against absolute base (RFC 3986 section 5.2).
 * Returns 0 and a malloc'd string in *out, or a negative code. */
int rf__url_resolve(const char *base, const char *ref, char **out);

#endif
