/*
 * auth.c - a request's credentials and the one rule for where they may go.
 *
 * Sources, most specific first: the URL's userinfo, the client's user
 * option (--user), the netrc entry for the URL's host.  They become one
 * "Authorization: Basic" value.  The same rule covers that value and the
 * user's own Authorization, Cookie and Proxy-Authorization headers (-H):
 * they go only to the origin (scheme, host, port) of the URL they were
 * given with.  A redirect elsewhere drops them for the rest of the chain
 * (curl's CVE-2018-1000007 was the opposite), so A -> B -> A does not send
 * them again at A; --location-trusted keeps them across origins, but never
 * over http:// once a hop was https://.  Userinfo in a redirect's Location
 * is never used: the server does not get to choose credentials.
 */
#include "alloc.h"
#include "auth.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "netrc.h"

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

char *rf__auth_basic_value(const char *user, const char *password)
{
	size_t ul = strlen(user), pl = password ? strlen(password) : 0;
	size_t raw_len = ul + 1 + pl;
	unsigned char *raw = rf__malloc(raw_len + 1);
	char *out = rf__malloc(6 + 4 * ((raw_len + 2) / 3) + 1);
	if (!raw || !out) {
		free(raw);
		free(out);
		return NULL;
	}
	memcpy(raw, user, ul);
	raw[ul] = ':';
	if (pl)
		memcpy(raw + ul + 1, password, pl);
	memcpy(out, "Basic ", 6);
	EVP_EncodeBlock((unsigned char *)out + 6, raw, (int)raw_len);
	explicit_bzero(raw, raw_len);
	free(raw);
	return out;
}

int rf__auth_init(struct rf__auth *a, const struct rf__url *u, const char *user, const char *netrc,
                  size_t netrc_len, bool header_creds)
{
	memset(a, 0, sizeof(*a));
	if (!u->user && !user && !netrc && !header_creds)
		return 0; /* nothing to protect: no origin to remember */
	a->host = rf__strdup(u->host);
	if (!a->host)
		return -ENOMEM;
	a->port = u->port;
	a->tls = a->seen_tls = u->tls;
	if (u->user) {
		a->basic = rf__auth_basic_value(u->user, u->password);
	} else if (user) {
		const char *colon = strchr(user, ':');
		size_t ul = colon ? (size_t)(colon - user) : strlen(user);
		char *name = rf__strndup(user, ul);
		if (!name)
			return -ENOMEM;
		a->basic = rf__auth_basic_value(name, colon ? colon + 1 : "");
		wipe_free(name);
	} else if (netrc) {
		char *login = NULL, *password = NULL;
		int found = rf__netrc_lookup(netrc, netrc_len, u->host, &login, &password);
		if (found < 0)
			return found;
		if (found && (login || password))
			a->basic = rf__auth_basic_value(login ? login : "", password ? password : "");
		wipe_free(login);
		wipe_free(password);
		if (found && (login || password) && !a->basic)
			return -ENOMEM;
		return 0;
	} else {
		return 0;
	}
	return a->basic ? 0 : -ENOMEM;
}

void rf__auth_redirect(struct rf__auth *a, const struct rf__url *to, bool trusted)
{
	if (!a->host)
		return; /* nothing to protect */
	bool same_origin = to->tls == a->tls && to->port == a->port && strcmp(to->host, a->host) == 0;
	if (a->seen_tls && !to->tls)
		a->dropped = true;
	if (!same_origin && !trusted)
		a->dropped = true;
	a->seen_tls |= to->tls;
}

int rf__auth_copy(struct rf__auth *to, const struct rf__auth *from)
{
	*to = *from;
	to->basic = from->basic ? rf__strdup(from->basic) : NULL;
	to->host = from->host ? rf__strdup(from->host) : NULL;
	if ((from->basic && !to->basic) || (from->host && !to->host)) {
		rf__auth_free(to);
		return -ENOMEM;
	}
	return 0;
}

void rf__auth_free(struct rf__auth *a)
{
	wipe_free(a->basic);
	free(a->host);
	memset(a, 0, sizeof(*a));
}
