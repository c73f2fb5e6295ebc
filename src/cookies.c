/*
 * cookies.c - a cookie store by RFC 6265 (cookies.h).
 *
 * Cookies sit in one array, chained in buckets by their domain, so a
 * request's cookies are found by looking up each suffix of its host (a few
 * buckets), not by a scan: a bulk run over a million hosts pays a few hash
 * lookups per request.  Hostile servers are bounded: 4 KiB per cookie, 50
 * per domain, 3000 in all (the expired go first, then the least recently
 * used).  Public suffixes come from libpsl (Debian's publicsuffix list, its
 * built-in one otherwise), with the "*" rule: a cookie for ".test" from
 * "a.test" is refused, as for ".co.uk".
 */
#include "cookies.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libpsl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "ringfetch.h"

#define COOKIE_MAX 4096 /* name + value */
#define PER_DOMAIN_MAX 50
#define TOTAL_MAX 3000
#define NBUCKETS 4096 /* a power of two */

struct cookie {
	char *name, *value, *domain, *path; /* one allocation at name */
	int64_t expires;                    /* unix seconds; 0: a session cookie */
	int64_t created;                    /* order among equals (RFC 6265 5.4) */
	uint64_t used;                      /* last use, for eviction */
	bool host_only, secure, http_only, live;
	int next; /* the next in its bucket, -1: none */
};

struct rf__cookies {
	struct cookie *c;
	int n, cap, live;
	int bucket[NBUCKETS];
	uint64_t clock; /* a counter for `created` and `used` */
	const psl_ctx_t *psl;
	bool psl_owned;
};

static unsigned hash_of(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h & (NBUCKETS - 1);
}

struct rf__cookies *rf__cookies_new(void)
{
	struct rf__cookies *j = rf__calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	for (int i = 0; i < NBUCKETS; i++)
		j->bucket[i] = -1;
	psl_ctx_t *latest = psl_latest(NULL); /* the system's list, else built in */
	j->psl = latest ? latest : psl_builtin();
	j->psl_owned = latest != NULL;
	return j;
}

void rf__cookies_free(struct rf__cookies *j)
{
	if (!j)
		return;
	for (int i = 0; i < j->n; i++)
		if (j->c[i].name) {
			explicit_bzero(j->c[i].name, strlen(j->c[i].name));
			free(j->c[i].name);
		}
	free(j->c);
	if (j->psl_owned)
		psl_free((psl_ctx_t *)j->psl);
	free(j);
}

size_t rf__cookies_count(const struct rf__cookies *j)
{
	return (size_t)j->live;
}

static bool is_ip(const char *host)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* RFC 6265 5.1.3: host is domain, or ends in "." + domain (not an IP). */
static bool domain_match(const char *host, const char *domain)
{
	size_t h = strlen(host), d = strlen(domain);
	if (h == d)
		return strcmp(host, domain) == 0;
	return h > d && host[h - d - 1] == '.' && strcmp(host + h - d, domain) == 0 && !is_ip(host);
}

/* RFC 6265 5.1.4: the cookie path is the request path or a prefix of it
 * at a '/'. */
static bool path_match(const char *req, const char *path)
{
	size_t p = strlen(path);
	if (strncmp(req, path, p) != 0)
		return false;
	return req[p] == 0 || path[p - 1] == '/' || req[p] == '/';
}

/* RFC 6265 5.1.4: the directory of the request path. */
static void default_path(const char *req, char *out, size_t cap)
{
	size_t n = strcspn(req, "?#");
	const char *last = NULL;
	for (size_t i = 0; i < n; i++)
		if (req[i] == '/')
			last = req + i;
	if (req[0] != '/' || !last || last == req)
		snprintf(out, cap, "/");
	else
		snprintf(out, cap, "%.*s", (int)(last - req), req);
}

/* ---- RFC 6265 5.1.1: cookie dates ---- */

static bool delimiter(unsigned char c)
{
	return c == 0x09 || (c >= 0x20 && c <= 0x2f) || (c >= 0x3b && c <= 0x40) ||
	       (c >= 0x5b && c <= 0x60) || (c >= 0x7b && c <= 0x7e);
}

static bool cookie_date(const char *s, int64_t *out)
{
	bool have_time = false, have_day = false, have_month = false, have_year = false;
	int hh = 0, mm = 0, ss = 0, day = 0, month = 0, year = 0;
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	while (*s) {
		while (*s && delimiter((unsigned char)*s))
			s++;
		const char *t = s;
		while (*s && !delimiter((unsigned char)*s))
			s++;
		size_t n = (size_t)(s - t);
		if (!n)
			continue;
		char tok[32];
		snprintf(tok, sizeof(tok), "%.*s", (int)(n < 31 ? n : 31), t);
		int a, b, c;
		size_t digits = strspn(tok, "0123456789");
		char m[4] = {(char)tolower((unsigned char)tok[0]), 0, 0, 0};
		if (n >= 3) {
			m[1] = (char)tolower((unsigned char)tok[1]);
			m[2] = (char)tolower((unsigned char)tok[2]);
		}
		const char *at = n >= 3 ? strstr(months, m) : NULL;
		if (!have_time && sscanf(tok, "%2d:%2d:%2d", &a, &b, &c) == 3) {
			have_time = true;
			hh = a, mm = b, ss = c;
		} else if (!have_day && digits >= 1 && digits <= 2) {
			have_day = true;
			day = atoi(tok);
		} else if (!have_month && at && (at - months) % 3 == 0) {
			have_month = true;
			month = (int)(at - months) / 3 + 1;
		} else if (!have_year && digits >= 2 && digits <= 4) {
			have_year = true;
			year = atoi(tok);
		}
	}
	if (have_year && year >= 70 && year <= 99)
		year += 1900;
	else if (have_year && year >= 0 && year <= 69)
		year += 2000;
	if (!have_time || !have_day || !have_month || !have_year || day < 1 || day > 31 || year < 1601 ||
	    hh > 23 || mm > 59 || ss > 59)
		return false;
	struct tm tm = {.tm_year = year - 1900,
	                .tm_mon = month - 1,
	                .tm_mday = day,
	                .tm_hour = hh,
	                .tm_min = mm,
	                .tm_sec = ss};
	*out = (int64_t)timegm(&tm);
	return true;
}

/* ---- the store ---- */

static void unlink_cookie(struct rf__cookies *j, int i)
{
	struct cookie *k = &j->c[i];
	int *p = &j->bucket[hash_of(k->domain)];
	while (*p != -1 && *p != i)
		p = &j->c[*p].next;
	if (*p == i)
		*p = k->next;
	explicit_bzero(k->name, strlen(k->name));
	free(k->name);
	k->name = NULL;
	k->live = false;
	j->live--;
}

static bool expired(const struct cookie *k, int64_t now)
{
	return k->expires && k->expires <= now;
}

/* Room for one more under domain: the expired go, then the least
 * recently used of the domain (or of all). */
static void make_room(struct rf__cookies *j, const char *domain, int64_t now)
{
	int in_domain = 0, oldest_d = -1, oldest = -1;
	for (int i = j->bucket[hash_of(domain)]; i != -1; i = j->c[i].next)
		if (strcmp(j->c[i].domain, domain) == 0) {
			in_domain++;
			if (oldest_d < 0 || j->c[i].used < j->c[oldest_d].used)
				oldest_d = i;
		}
	if (in_domain >= PER_DOMAIN_MAX) {
		unlink_cookie(j, oldest_d);
		return;
	}
	if (j->live < TOTAL_MAX)
		return;
	for (int i = 0; i < j->n; i++) {
		if (!j->c[i].live)
			continue;
		if (expired(&j->c[i], now)) {
			unlink_cookie(j, i);
			return;
		}
		if (oldest < 0 || j->c[i].used < j->c[oldest].used)
			oldest = i;
	}
	if (oldest >= 0)
		unlink_cookie(j, oldest);
}

static int find(const struct rf__cookies *j, const char *name, const char *domain, const char *path,
                bool host_only)
{
	for (int i = j->bucket[hash_of(domain)]; i != -1; i = j->c[i].next) {
		const struct cookie *k = &j->c[i];
		if (strcmp(k->name, name) == 0 && strcmp(k->domain, domain) == 0 &&
		    strcmp(k->path, path) == 0 && k->host_only == host_only)
			return i;
	}
	return -1;
}

/* Store (or replace, or with expires in the past delete) a cookie. */
static bool store(struct rf__cookies *j, const char *name, const char *value, const char *domain,
                  const char *path, bool host_only, bool secure, bool http_only, int64_t expires, int64_t now)
{
	int old = find(j, name, domain, path, host_only);
	int64_t created = old >= 0 ? j->c[old].created : (int64_t)++j->clock;
	if (old >= 0)
		unlink_cookie(j, old);
	if (expires && expires <= now)
		return true; /* an expiry in the past deletes it */
	make_room(j, domain, now);
	int slot = -1;
	for (int i = j->n - 1; i >= 0 && i >= j->n - 8; i--) /* reuse a hole near the end */
		if (!j->c[i].live) {
			slot = i;
			break;
		}
	if (slot < 0) {
		if (j->n == j->cap) {
			int cap = j->cap ? 2 * j->cap : 64;
			struct cookie *c = rf__realloc(j->c, (size_t)cap * sizeof(*c));
			if (!c)
				return false;
			j->c = c;
			j->cap = cap;
		}
		slot = j->n++;
	}
	size_t ln = strlen(name) + 1, lv = strlen(value) + 1, ld = strlen(domain) + 1, lp = strlen(path) + 1;
	char *mem = rf__malloc(ln + lv + ld + lp);
	if (!mem) {
		j->c[slot] = (struct cookie){.live = false, .next = -1};
		return false;
	}
	struct cookie *k = &j->c[slot];
	*k = (struct cookie){.name = mem,
	                     .value = mem + ln,
	                     .domain = mem + ln + lv,
	                     .path = mem + ln + lv + ld,
	                     .expires = expires,
	                     .created = created,
	                     .used = ++j->clock,
	                     .host_only = host_only,
	                     .secure = secure,
	                     .http_only = http_only,
	                     .live = true};
	memcpy(k->name, name, ln);
	memcpy(k->value, value, lv);
	memcpy(k->domain, domain, ld);
	memcpy(k->path, path, lp);
	unsigned b = hash_of(domain);
	k->next = j->bucket[b];
	j->bucket[b] = slot;
	j->live++;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return s;
}

static bool has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

bool rf__cookies_set(struct rf__cookies *j, const char *host, const char *path, bool https,
                     const char *set_cookie, int64_t now, const char **why)
{
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	size_t len = strlen(set_cookie);
	if (len > 2 * COOKIE_MAX) {
		*why = "larger than 4 KiB";
		return false;
	}
	char buf[2 * COOKIE_MAX + 1];
	memcpy(buf, set_cookie, len + 1);
	char *save = NULL, *pair = strtok_r(buf, ";", &save);
	char *eq = pair ? strchr(pair, '=') : NULL;
	if (!eq) {
		*why = "no name=value";
		return false;
	}
	*eq = 0;
	char *name = trim(pair), *value = trim(eq + 1);
	if (!*name || has_ctl(name) || has_ctl(value) || strpbrk(name, " \t")) {
		*why = "a name or value that is not allowed";
		return false;
	}
	if (strlen(name) + strlen(value) > COOKIE_MAX) {
		*why = "larger than 4 KiB";
		return false;
	}
	char domain[256] = "", cpath[1024] = "";
	bool secure = false, http_only = false, have_max_age = false;
	int64_t expires = 0, max_age = 0;
	for (char *a; (a = strtok_r(NULL, ";", &save));) {
		char *v = strchr(a, '=');
		if (v)
			*v++ = 0;
		a = trim(a);
		v = v ? trim(v) : "";
		if (strcasecmp(a, "expires") == 0) {
			int64_t t;
			if (cookie_date(v, &t))
				expires = t <= 0 ? 1 : t;
		} else if (strcasecmp(a, "max-age") == 0) {
			char *end;
			long long d = strtoll(v, &end, 10);
			if (*v && (isdigit((unsigned char)*v) || *v == '-') && !*end) {
				have_max_age = true;
				max_age = d <= 0 ? 1 : (d > (1LL << 40) ? now + (1LL << 40) : now + d);
			}
		} else if (strcasecmp(a, "domain") == 0 && *v) {
			if (*v == '.')
				v++;
			snprintf(domain, sizeof(domain), "%s", v);
			for (char *p = domain; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (strcasecmp(a, "path") == 0) {
			if (*v == '/')
				snprintf(cpath, sizeof(cpath), "%s", v);
			else
				cpath[0] = 0; /* the default */
		} else if (strcasecmp(a, "secure") == 0) {
			secure = true;
		} else if (strcasecmp(a, "httponly") == 0) {
			http_only = true;
		}
	}
	if (have_max_age)
		expires = max_age; /* Max-Age wins over Expires */
	bool host_only = true;
	if (domain[0]) {
		if (psl_is_public_suffix(j->psl, domain)) {
			if (strcmp(domain, host) != 0) {
				*why = "its Domain is a public suffix";
				return false;
			}
		} else if (!domain_match(host, domain)) {
			*why = "its Domain does not cover the host that set it";
			return false;
		} else {
			host_only = false;
		}
	}
	const char *d = host_only ? host : domain;
	if (!cpath[0])
		default_path(path, cpath, sizeof(cpath));
	if (secure && !https) {
		*why = "Secure from a plain http:// response";
		return false;
	}
	if (strncmp(name, "__Secure-", 9) == 0 && !(secure && https)) {
		*why = "a __Secure- cookie without Secure over https";
		return false;
	}
	if (strncmp(name, "__Host-", 7) == 0 && !(secure && https && host_only && strcmp(cpath, "/") == 0)) {
		*why = "a __Host- cookie not Secure, host-only and for /";
		return false;
	}
	if (!https) { /* RFC 6265bis: http may not overwrite a Secure cookie */
		for (int i = j->bucket[hash_of(d)]; i != -1; i = j->c[i].next) {
			const struct cookie *k = &j->c[i];
			if (k->secure && strcmp(k->name, name) == 0 &&
			    (domain_match(d, k->domain) || domain_match(k->domain, d)) &&
			    path_match(cpath, k->path)) {
				*why = "it would replace a Secure cookie from http";
				return false;
			}
		}
	}
	if (!store(j, name, value, d, cpath, host_only, secure, http_only, expires, now)) {
		*why = "out of memory";
		return false;
	}
	return true;
}

struct pick {
	int i;
	size_t plen;
	int64_t created;
};

static int pick_order(const void *a, const void *b)
{
	const struct pick *x = a, *y = b;
	if (x->plen != y->plen)
		return x->plen > y->plen ? -1 : 1;                     /* longer paths first */
	return x->created < y->created ? -1 : x->created > y->created; /* then older */
}

size_t rf__cookies_header(struct rf__cookies *j, const char *host, const char *path, bool https, int64_t now,
                          char *out, size_t cap)
{
	out[0] = 0;
	if (!j->live)
		return 0;
	char req_path[1024];
	snprintf(req_path, sizeof(req_path), "%.*s", (int)strcspn(path, "?#"), path);
	struct pick picks[64];
	size_t n = 0;
	/* every suffix of host at a dot names a bucket to look in */
	for (const char *d = host; d && n < 64; d = strchr(d, '.'), d = d ? d + 1 : NULL) {
		for (int i = j->bucket[hash_of(d)]; i != -1 && n < 64; i = j->c[i].next) {
			struct cookie *k = &j->c[i];
			if (strcmp(k->domain, d) != 0 || expired(k, now) || (k->secure && !https) ||
			    (k->host_only ? strcmp(host, k->domain) != 0 : !domain_match(host, k->domain)) ||
			    !path_match(req_path, k->path))
				continue;
			picks[n++] = (struct pick){i, strlen(k->path), k->created};
		}
		if (is_ip(host))
			break; /* an address has no parent domains */
	}
	qsort(picks, n, sizeof(picks[0]), pick_order);
	size_t w = 0;
	for (size_t p = 0; p < n; p++) {
		struct cookie *k = &j->c[picks[p].i];
		size_t need = strlen(k->name) + 1 + strlen(k->value) + (w ? 2 : 0);
		if (w + need + 1 > cap)
			break;
		w += (size_t)snprintf(out + w, cap - w, "%s%s=%s", w ? "; " : "", k->name, k->value);
		k->used = ++j->clock;
	}
	return w;
}

int rf__cookies_load(struct rf__cookies *j, const char *path, int64_t now, unsigned *line)
{
	*line = 0;
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	char *text = NULL;
	size_t cap = 0;
	int err = 0;
	ssize_t len;
	while ((len = getline(&text, &cap, f)) >= 0) {
		(*line)++;
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			text[--len] = 0;
		char *p = text;
		bool http_only = false;
		if (strncmp(p, "#HttpOnly_", 10) == 0) {
			http_only = true;
			p += 10;
		} else if (*p == '#' || !*p) {
			continue;
		}
		char *f7[7] = {0};
		int nf = 0;
		for (char *q = p; nf < 7; nf++) {
			f7[nf] = q;
			char *tab = strchr(q, '\t');
			if (!tab) {
				nf++;
				break;
			}
			*tab = 0;
			q = tab + 1;
		}
		if (nf < 6) {
			err = RF_EINVAL;
			break;
		}
		char *domain = f7[0], *end;
		if (*domain == '.')
			domain++;
		for (char *q = domain; *q; q++)
			*q = (char)tolower((unsigned char)*q);
		long long expires = strtoll(f7[4], &end, 10);
		if (!*domain || *end || f7[2][0] != '/' || !f7[5][0] || has_ctl(f7[5]) ||
		    (f7[6] && has_ctl(f7[6]))) {
			err = RF_EINVAL;
			break;
		}
		bool subdomains = strcasecmp(f7[1], "TRUE") == 0;
		if (subdomains && psl_is_public_suffix(j->psl, domain))
			continue; /* never a cookie for every site under a public suffix */
		if (expires && expires <= now)
			continue;
		if (!store(j, f7[5], f7[6] ? f7[6] : "", domain, f7[2], !subdomains,
		           strcasecmp(f7[3], "TRUE") == 0, http_only, expires, now)) {
			err = -ENOMEM;
			break;
		}
	}
	if (text) {
		explicit_bzero(text, cap);
		free(text);
	}
	fclose(f);
	if (!err)
		*line = 0;
	return err;
}

int rf__cookies_save(const struct rf__cookies *j, const char *path, int64_t now)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return -e;
	}
	fputs("# Netscape HTTP Cookie File\n# Written by ringfetch. Holds secrets: keep it private.\n\n", f);
	for (int i = 0; i < j->n; i++) {
		const struct cookie *k = &j->c[i];
		if (!k->live || expired(k, now))
			continue;
		fprintf(f, "%s%s%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", k->http_only ? "#HttpOnly_" : "",
		        k->host_only ? "" : ".", k->domain, k->host_only ? "FALSE" : "TRUE", k->path,
		        k->secure ? "TRUE" : "FALSE", (long long)k->expires, k->name, k->value);
	}
	int err = ferror(f) ? -EIO : 0;
	if (fflush(f) && !err)
		err = -errno;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
