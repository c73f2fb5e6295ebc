/*
 * proxy.c - proxy URLs and no_proxy lists (see proxy.h).
 *
 * The rules follow curl's, which wget2, aria2 and Go's net/http share in
 * the main: a proxy without a scheme is http://, without a port it is on
 * 1080; a no_proxy domain covers itself and every name under it, "*"
 * covers all, IP entries and CIDR networks match IP-literal hosts.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "auth.h"
#include "proxy.h"
#include "ringfetch.h"
#include "url.h"

#define DEFAULT_PROXY_PORT 1080

/* Did the authority of spec (after "://") name a port? */
static bool port_given(const char *authority)
{
	size_t n = strcspn(authority, "/?#");
	const char *at = NULL;
	for (const char *p = authority; p < authority + n; p++)
		if (*p == '@')
			at = p;
	const char *h = at ? at + 1 : authority, *end = authority + n;
	if (h < end && *h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		return close && close + 1 < end && close[1] == ':';
	}
	return memchr(h, ':', (size_t)(end - h)) != NULL;
}

int rf__proxy_parse(const char *spec, struct rf__proxy *p, char *why, size_t why_len)
{
	memset(p, 0, sizeof(*p));
	const char *sep = strstr(spec, "://");
	const char *rest = sep ? sep + 3 : spec;
	if (sep && !((size_t)(sep - spec) == 4 && strncasecmp(spec, "http", 4) == 0)) {
		snprintf(why, why_len, "proxy scheme %.*s:// is not supported (only http:// proxies)",
		         (int)((sep - spec) < 16 ? sep - spec : 16), spec);
		return RF_EINVAL;
	}
	size_t len = strlen(rest);
	char *full = rf__malloc(len + 8);
	if (!full)
		return -ENOMEM;
	memcpy(full, "http://", 7);
	memcpy(full + 7, rest, len + 1);
	struct rf__url u;
	const char *url_why = NULL;
	int err = rf__url_parse(full, &u, &url_why);
	explicit_bzero(full, len + 7);
	free(full);
	if (err == -ENOMEM)
		return err;
	if (err) {
		snprintf(why, why_len, "bad proxy: %s", url_why ? url_why : "not a URL");
		return RF_EINVAL;
	}
	if (u.target[0] && strcmp(u.target, "/") != 0) {
		rf__url_free(&u);
		snprintf(why, why_len, "bad proxy: a proxy URL has no path");
		return RF_EINVAL;
	}
	p->port = port_given(rest) ? u.port : DEFAULT_PROXY_PORT;
	p->host = rf__strdup(u.host);
	p->hostport = rf__malloc(strlen(u.host) + 16);
	if (p->hostport)
		snprintf(p->hostport, strlen(u.host) + 16, strchr(u.host, ':') ? "[%s]:%u" : "%s:%u", u.host,
		         p->port);
	if (u.user)
		p->basic = rf__auth_basic_value(u.user, u.password);
	bool short_of_memory = !p->host || !p->hostport || (u.user && !p->basic);
	rf__url_free(&u);
	if (short_of_memory) {
		rf__proxy_free(p);
		return -ENOMEM;
	}
	return 0;
}

void rf__proxy_free(struct rf__proxy *p)
{
	free(p->host);
	free(p->hostport);
	if (p->basic) {
		explicit_bzero(p->basic, strlen(p->basic));
		free(p->basic);
	}
	memset(p, 0, sizeof(*p));
}

/* ---- no_proxy ---- */

/* An IP address (v4 or v6), in network order in out[16]; its bit count. */
static int parse_ip(const char *s, unsigned char out[16])
{
	if (inet_pton(AF_INET, s, out) == 1)
		return 32;
	if (inet_pton(AF_INET6, s, out) == 1)
		return 128;
	return 0;
}

static bool prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (!rest)
		return true;
	unsigned char mask = (unsigned char)(0xff00 >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

/* One entry (already trimmed) against host. */
static bool entry_matches(char *e, const char *host)
{
	size_t n = strlen(e);
	if (n && e[0] == '[') { /* [v6] or [v6]:port */
		char *close = strchr(e, ']');
		if (!close)
			return false;
		*close = '\0';
		memmove(e, e + 1, strlen(e + 1) + 1);
	} else {
		char *colon = strchr(e, ':');
		if (colon && !strchr(colon + 1, ':')) /* name:port, a.b.c.d:port */
			*colon = '\0';
	}
	n = strlen(e);
	while (n && e[n - 1] == '.')
		e[--n] = '\0';
	if (!n)
		return false;
	unsigned char host_ip[16], net[16];
	int host_bits = parse_ip(host, host_ip);
	char *slash = strchr(e, '/');
	if (slash) { /* CIDR */
		*slash = '\0';
		char *end;
		long bits = strtol(slash + 1, &end, 10);
		int net_bits = parse_ip(e, net);
		if (*end || slash[1] == '\0' || !net_bits || net_bits != host_bits || bits < 0 ||
		    bits > net_bits)
			return false;
		return prefix_equal(host_ip, net, (unsigned)bits);
	}
	int entry_bits = parse_ip(e, net);
	if (entry_bits || host_bits)
		return entry_bits == host_bits && memcmp(net, host_ip, (size_t)entry_bits / 8) == 0;
	const char *d = e[0] == '.' ? e + 1 : e;
	size_t dl = strlen(d), hl = strlen(host);
	if (hl == dl)
		return strcasecmp(host, d) == 0;
	return hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, d) == 0;
}

bool rf__noproxy_match(const char *list, const char *host)
{
	if (!list || !host)
		return false;
	const char *p = list;
	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		size_t n = strcspn(p, ", \t\r\n");
		if (!n)
			break;
		char e[300];
		if (n < sizeof(e)) {
			memcpy(e, p, n);
			e[n] = '\0';
			if (strcmp(e, "*") == 0 || entry_matches(e, host))
				return true;
		}
		p += n;
	}
	return false;
}
