/*
 * url.c - HTTP(S) URL parsing and RFC 3986 reference resolution.
 *
 * rf__url_parse() turns an absolute URL into what a request needs: scheme,
 * host (checked: a DNS-style name, an IPv4 or a bracketed IPv6 literal),
 * port, the Host header value and the request target.  It is strict where
 * a mistake would send a request somewhere unexpected (bad ports, bad host
 * characters, '@' tricks: the host is what follows the last '@' of the
 * authority) and lenient where a browser is (spaces and non-ASCII bytes in
 * the path are percent-encoded rather than refused).  Userinfo is
 * percent-decoded into user and password; where they may be sent is decided
 * by the engine (see auth.c), and rf__url_redact() keeps them out of every
 * message.
 *
 * rf__url_resolve() implements RFC 3986 section 5.2 (merge paths, remove
 * dot segments) for redirect Location values.
 */
#include "alloc.h"
#include "url.h"

#include <arpa/inet.h>
#include <idn2.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ringfetch.h"

static bool target_byte_ok(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return false;
	return strchr("\"<>\\^`{|}", c) == NULL;
}

static bool host_byte_ok(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool has_non_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return true;
	return false;
}

/* An internationalized host name (UTF-8) to its ASCII form ("bücher.example"
 * -> "xn--bcher-kva.example"), with IDNA2008 + UTS #46 as curl and wget2
 * use libidn2: non-transitional first, transitional if that refuses. */
static int idn_to_ascii(const char *name, size_t n, char *out, size_t cap, size_t *len, const char **why)
{
	char utf8[256];
	if (n >= sizeof(utf8)) {
		*why = "host name too long";
		return RF_EURL;
	}
	memcpy(utf8, name, n);
	utf8[n] = 0;
	char *ascii = NULL;
	int rc = idn2_to_ascii_8z(utf8, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK)
		rc = idn2_to_ascii_8z(utf8, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
	if (rc != IDN2_OK || !ascii) {
		idn2_free(ascii);
		*why = "host name is not a valid internationalized domain name";
		return RF_EURL;
	}
	size_t al = strlen(ascii);
	if (al == 0 || al >= cap) {
		idn2_free(ascii);
		*why = "host name too long";
		return RF_EURL;
	}
	memcpy(out, ascii, al + 1);
	*len = al;
	idn2_free(ascii);
	return 0;
}

void rf__url_free(struct rf__url *u)
{
	if (u->password)
		explicit_bzero((char *)u->password, strlen(u->password));
	free(u->mem);
	memset(u, 0, sizeof(*u));
}

char *rf__url_redact(const char *url, char *out, size_t cap)
{
	if (!cap)
		return out;
	const char *sep = strstr(url, "://");
	const char *auth = sep ? sep + 3 : url;
	size_t alen = strcspn(auth, "/?#");
	const char *at = NULL;
	for (const char *p = auth; p < auth + alen; p++)
		if (*p == '@')
			at = p;
	if (!at)
		snprintf(out, cap, "%s", url);
	else
		snprintf(out, cap, "%.*s***%s", (int)(auth - url), url, at);
	return out;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Percent-decode [p, p+n) into out (room for n+1).  false on a bad escape
 * or a decoded NUL. */
static bool pct_decode(const char *p, size_t n, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '%') {
			if (i + 2 >= n)
				return false;
			int h = hexval((unsigned char)p[i + 1]), l = hexval((unsigned char)p[i + 2]);
			if (h < 0 || l < 0 || (h == 0 && l == 0))
				return false;
			out[w++] = (char)(h * 16 + l);
			i += 2;
		} else {
			if (c < 0x20 || c == 0x7f)
				return false;
			out[w++] = (char)c;
		}
	}
	out[w] = 0;
	return true;
}

int rf__url_parse(const char *s, struct rf__url *u, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	memset(u, 0, sizeof(*u));
	*why = "";

	const char *colon = strstr(s, "://");
	if (!colon || colon == s) {
		*why = "missing scheme (expected http:// or https://)";
		return RF_EURL;
	}
	size_t slen = (size_t)(colon - s);
	for (size_t i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!(isalpha(c) || (i > 0 && (isdigit(c) || c == '+' || c == '-' || c == '.')))) {
			*why = "invalid scheme";
			return RF_EURL;
		}
	}
	bool tls;
	if (slen == 4 && strncasecmp(s, "http", 4) == 0)
		tls = false;
	else if (slen == 5 && strncasecmp(s, "https", 5) == 0)
		tls = true;
	else {
		*why = "only http:// and https:// are supported";
		return RF_ESCHEME;
	}

	const char *auth = colon + 3;
	size_t alen = strcspn(auth, "/?#");
	const char *rest = auth + alen;
	/* userinfo: everything up to the last '@' of the authority */
	const char *info = NULL;
	size_t ilen = 0;
	const char *at = memrchr(auth, '@', alen);
	if (at)
		info = auth, ilen = (size_t)(at - auth);
	if (info) {
		auth += ilen + 1;
		alen -= ilen + 1;
	}
	size_t ulen = 0, plen = 0;
	if (ilen) {
		const char *pc = memchr(info, ':', ilen);
		ulen = pc ? (size_t)(pc - info) : ilen;
		plen = pc ? ilen - ulen - 1 : 0;
	}

	char host[256];
	size_t hlen;
	const char *portp = NULL;
	bool v6 = false;
	if (alen > 0 && auth[0] == '[') {
		const char *close = memchr(auth, ']', alen);
		if (!close) {
			*why = "unterminated IPv6 literal";
			return RF_EURL;
		}
		hlen = (size_t)(close - auth - 1);
		if (hlen == 0 || hlen >= sizeof(host)) {
			*why = "invalid IPv6 literal";
			return RF_EURL;
		}
		memcpy(host, auth + 1, hlen);
		host[hlen] = 0;
		struct in6_addr a6;
		if (inet_pton(AF_INET6, host, &a6) != 1) {
			*why = "invalid IPv6 literal";
			return RF_EURL;
		}
		v6 = true;
		const char *after = close + 1;
		if (after < auth + alen) {
			if (*after != ':') {
				*why = "garbage after IPv6 literal";
				return RF_EURL;
			}
			portp = after + 1;
		}
	} else {
		const char *pc = memchr(auth, ':', alen);
		hlen = pc ? (size_t)(pc - auth) : alen;
		if (hlen == 0) {
			*why = "empty host";
			return RF_EURL;
		}
		if (hlen >= sizeof(host)) {
			*why = "host name too long";
			return RF_EURL;
		}
		if (has_non_ascii(auth, hlen)) {
			int err = idn_to_ascii(auth, hlen, host, sizeof(host), &hlen, why);
			if (err)
				return err;
		} else {
			memcpy(host, auth, hlen);
			host[hlen] = 0;
		}
		for (size_t i = 0; i < hlen; i++) {
			unsigned char c = (unsigned char)host[i];
			if (!host_byte_ok(c)) {
				*why = "invalid character in host name";
				return RF_EURL;
			}
			host[i] = (char)tolower(c);
		}
		if (pc)
			portp = pc + 1;
	}

	unsigned long port = tls ? 443 : 80;
	if (portp && portp < auth + alen) {
		unsigned long p = 0;
		for (const char *q = portp; q < auth + alen; q++) {
			if (!isdigit((unsigned char)*q) || p > 65535) {
				*why = "invalid port";
				return RF_EURL;
			}
			p = p * 10 + (unsigned long)(*q - '0');
		}
		if (p == 0 || p > 65535) {
			*why = "port out of range";
			return RF_EURL;
		}
		port = p;
	}

	/* request target: up to '#', encoded */
	size_t tlen = strcspn(rest, "#");
	size_t need = 1; /* possible leading '/' */
	for (size_t i = 0; i < tlen; i++)
		need += target_byte_ok((unsigned char)rest[i]) ? 1 : 3;

	if (need + hlen > RF__URL_MAX) {
		*why = "URL too long (more than 8000 bytes)";
		return RF_EURL;
	}

	bool default_port = port == (tls ? 443u : 80u);
	size_t cap = 6 + hlen + 1 + need + 1 + hlen + 2 + 6 + 1 + ulen + 1 + plen + 1;
	char *mem = rf__malloc(cap);
	if (!mem)
		return -ENOMEM;
	char *w = mem;
	if (ilen) {
		char *user = w, *pass = w + ulen + 1;
		if (!pct_decode(info, ulen, user) || !pct_decode(info + ulen + (ulen < ilen), plen, pass)) {
			explicit_bzero(mem, cap);
			free(mem);
			*why = "bad percent-encoding or control character in the URL's user name or password";
			return RF_EURL;
		}
		if (strchr(user, ':')) {
			explicit_bzero(mem, cap);
			free(mem);
			*why = "a user name may not contain ':'";
			return RF_EURL;
		}
		u->user = user;
		u->password = pass;
		w = pass + plen + 1;
	}
	u->scheme = w;
	w += sprintf(w, "%s", tls ? "https" : "http") + 1;
	u->host = w;
	memcpy(w, host, hlen + 1);
	w += hlen + 1;
	u->target = w;
	if (tlen == 0 || rest[0] != '/')
		*w++ = '/';
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)rest[i];
		if (target_byte_ok(c)) {
			*w++ = (char)c;
		} else {
			static const char hex[] = "0123456789ABCDEF";
			*w++ = '%';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
	}
	*w++ = 0;
	u->hostport = w;
	if (default_port)
		sprintf(w, v6 ? "[%s]" : "%s", host);
	else
		sprintf(w, v6 ? "[%s]:%lu" : "%s:%lu", host, port);
	u->mem = mem;
	u->port = (uint16_t)port;
	u->tls = tls;
	struct in_addr a4;
	u->ip_literal = v6 || inet_pton(AF_INET, host, &a4) == 1;
	return 0;
}

/* ---- RFC 3986 resolution ---- */

struct span {
	const char *p;
	size_t n;
	bool set;
};

struct uri_parts {
	struct span scheme, auth, path, query;
};

static void split_uri(const char *s, struct uri_parts *r)
{
	memset(r, 0, sizeof(*r));
	const char *p = s;
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (isalpha((unsigned char)*p)) {
		const char *q = p;
		while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
			q++;
		if (*q == ':') {
			r->scheme = (struct span){p, (size_t)(q - p), true};
			p = q + 1;
		}
	}
	if (p[0] == '/' && p[1] == '/') {
		p += 2;
		size_t n = strcspn(p, "/?#");
		r->auth = (struct span){p, n, true};
		p += n;
	}
	size_t n = strcspn(p, "?#");
	r->path = (struct span){p, n, true};
	p += n;
	if (*p == '?') {
		p++;
		n = strcspn(p, "#");
		r->query = (struct span){p, n, true};
	}
}

/* RFC 3986 5.2.4, in place on a NUL-terminated buffer. */
static void remove_dot_segments(char *path)
{
	char *in = path, *out = path;
	while (*in) {
		if (strncmp(in, "../", 3) == 0) {
			in += 3;
		} else if (strncmp(in, "./", 2) == 0) {
			in += 2;
		} else if (strncmp(in, "/./", 3) == 0) {
			in += 2;
		} else if (strcmp(in, "/.") == 0) {
			in[1] = 0; /* becomes "/" */
		} else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
			if (in[3] == 0) {
				in += 2;
				*in = '/';
			} else {
				in += 3;
			}
			while (out > path && *--out != '/')
				;
		} else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
			in += strlen(in);
		} else {
			/* move the first segment (with its leading '/') */
			do {
				*out++ = *in++;
			} while (*in && *in != '/');
		}
	}
	*out = 0;
}

int rf__url_resolve(const char *base, const char *ref, char **out)
{
	struct uri_parts b, r;
	split_uri(base, &b);
	split_uri(ref, &r);
	if (!b.scheme.set)
		return RF_EURL;

	size_t cap = strlen(base) + strlen(ref) + 8;
	char *path = rf__malloc(cap);
	char *res = rf__malloc(cap + 8);
	if (!path || !res) {
		free(path);
		free(res);
		return -ENOMEM;
	}
	struct span scheme = b.scheme, auth, query;
	if (r.scheme.set) {
		scheme = r.scheme;
		auth = r.auth;
		snprintf(path, cap, "%.*s", (int)r.path.n, r.path.p);
		remove_dot_segments(path);
		query = r.query;
	} else if (r.auth.set) {
		auth = r.auth;
		snprintf(path, cap, "%.*s", (int)r.path.n, r.path.p);
		remove_dot_segments(path);
		query = r.query;
	} else {
		auth = b.auth;
		if (r.path.n == 0) {
			snprintf(path, cap, "%.*s", (int)b.path.n, b.path.p);
			query = r.query.set ? r.query : b.query;
		} else {
			if (r.path.p[0] == '/') {
				snprintf(path, cap, "%.*s", (int)r.path.n, r.path.p);
			} else if (b.auth.set && b.path.n == 0) {
				snprintf(path, cap, "/%.*s", (int)r.path.n, r.path.p);
			} else {
				const char *slash = NULL;
				for (size_t i = 0; i < b.path.n; i++)
					if (b.path.p[i] == '/')
						slash = b.path.p + i;
				int keep = slash ? (int)(slash - b.path.p + 1) : 0;
				snprintf(path, cap, "%.*s%.*s", keep, b.path.p, (int)r.path.n, r.path.p);
			}
			remove_dot_segments(path);
			query = r.query;
		}
	}
	char *w = res;
	w += sprintf(w, "%.*s:", (int)scheme.n, scheme.p);
	if (auth.set)
		w += sprintf(w, "//%.*s", (int)auth.n, auth.p);
	w += sprintf(w, "%s", path);
	if (query.set)
		sprintf(w, "?%.*s", (int)query.n, query.p);
	free(path);
	*out = res;
	return 0;
}
