/*
 * proxy.h - where a request's connection goes: straight to its origin, or
 * to an HTTP proxy (absolute-form requests for http://, a CONNECT tunnel
 * for https://).  Parses a proxy URL and matches a no_proxy list; knows
 * nothing of sockets (the slot and conn.c carry the route out).
 */
#ifndef RF_PROXY_H
#define RF_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rf__proxy {
	char *host;     /* lower-case; IPv6 literal without brackets */
	char *hostport; /* host:port for messages, brackets kept */
	uint16_t port;
	char *basic; /* "Basic <base64 user:password>" from the proxy
	                URL's userinfo, or NULL */
};

/* Parse a proxy given as http://[USER[:PASS]@]HOST[:PORT][/] or
 * HOST[:PORT] (http:// is assumed; the default port is 1080, as curl's).
 * Other schemes (https://, socks5://) are refused.  0, or RF_EINVAL with
 * why[] naming what is wrong (never the password), or -ENOMEM. */
int rf__proxy_parse(const char *spec, struct rf__proxy *p, char *why, size_t why_len);
void rf__proxy_free(struct rf__proxy *p);

/* Does a no_proxy list exempt host (lower-case; IPv6 without brackets)?
 * Entries are separated by commas or spaces: "*" (everything), a domain
 * ("example.com" or ".example.com": that name and every name under it),
 * an IP address, or an IP network in CIDR form ("10.0.0.0/8", "fd00::/8",
 * matched against IP-literal hosts only; names are not resolved).
 * A trailing dot and a ":PORT" suffix on an entry are ignored. */
bool rf__noproxy_match(const char *list, const char *host);

#endif
