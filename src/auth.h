/*
 * auth.h - a request's credentials and the one rule for where they may go.
 */
#ifndef RF_AUTH_H
#define RF_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "url.h"

/* Credentials travel with one request along its redirect chain. */
struct rf__auth {
	char *basic; /* "Basic <base64 user:password>", or NULL */
	char *host;  /* the origin they were given for ... */
	uint16_t port;
	bool tls;
	bool seen_tls; /* some hop of the chain was https */
	bool dropped;  /* the chain left that origin (untrusted) or went from
	                  https to http: never sent again on this chain */
};

/* Set up the credentials of a request to u: u's userinfo, else user
 * ("USER[:PASS]", a missing password is empty), else the netrc entry for
 * u's host (netrc may be NULL).  The origin is u's whatever the source,
 * since -H credential headers follow the same rule; it is only recorded
 * when there is something to protect (credentials, or header_creds: the
 * client sends -H credential headers).  0 or -ENOMEM. */
int rf__auth_init(struct rf__auth *a, const struct rf__url *u, const char *user, const char *netrc,
                  size_t netrc_len, bool header_creds);

/* The chain goes on to `to`.  Leaving the origin drops the credentials for
 * good unless trusted (--location-trusted); an https -> http hop drops them
 * for good even then. */
void rf__auth_redirect(struct rf__auth *a, const struct rf__url *to, bool trusted);
/* (Without anything to protect, redirects change nothing.) */

/* "Basic " + base64(user ":" password) (password NULL: empty), or NULL
 * when out of memory; free with free() after explicit_bzero. */
char *rf__auth_basic_value(const char *user, const char *password);

/* May Authorization, Cookie and Proxy-Authorization go to the current hop? */
static inline bool rf__auth_allowed(const struct rf__auth *a)
{
	return !a->dropped;
}

/* Free (and wipe) the credentials. */
/* A copy of from (the same rule applies to both): 0 or -ENOMEM. */
int rf__auth_copy(struct rf__auth *to, const struct rf__auth *from);
void rf__auth_free(struct rf__auth *a);

#endif
