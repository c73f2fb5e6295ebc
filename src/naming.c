/*
 * naming.c - URL and checksum checks, and safe local file names for URLs.
 *
 * A name is taken from the last segment of the URL path (the query is not
 * part of it), percent-decoded, then made safe: '/' (from %2F), NUL and
 * control bytes become '_', ".", ".." and "" become "index.html", and the
 * result is cut to RF_NAME_MAX bytes (without splitting a UTF-8 sequence)
 * so that suffixes like ".1.part" still fit a 255-byte file name.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "digest.h"
#include "origin.h"
#include "ringfetch.h"
#include "url.h"

int rf_url_check(const char *url, const char **why)
{
	struct rf__url u;
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	int err = rf__url_parse(url, &u, why);
	if (!err)
		rf__url_free(&u);
	else if (!*why || !**why)
		*why = rf_strerror(err); /* out of memory says so */
	return err;
}

char *rf_url_redact(const char *url, char *out, size_t cap)
{
	return rf__url_redact(url, out, cap);
}

int rf_file_owner(const char *path, const char *url)
{
	return rf__origin_of(path, url);
}

int rf_checksum_check(const char *spec, const char **why)
{
	const char *algo, *dummy;
	unsigned char want[RF__DIGEST_MAX];
	size_t len;
	return rf__checksum_parse(spec, &algo, want, &len, why ? why : &dummy);
}

int rf_digest_known(const char *algo)
{
	return rf__digest_canonical(algo) != NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Bytes of the well-formed UTF-8 sequence at p (RFC 3629), or 0. */
static size_t utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n = c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
	unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	if (!n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* A name is valid UTF-8, so reports (JSON) can name it exactly: a byte
 * that is not part of well-formed UTF-8 stays percent-encoded ("%FF"),
 * within RF_NAME_MAX. */
static void keep_utf8(char *name, size_t cap)
{
	char tmp[RF_NAME_MAX + 1];
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p && w < RF_NAME_MAX;) {
		size_t n = utf8_len(p);
		if (!n) {
			if (w + 3 > RF_NAME_MAX)
				break;
			w += (size_t)snprintf(tmp + w, sizeof(tmp) - w, "%%%02X", *p++);
			continue;
		}
		if (w + n > RF_NAME_MAX)
			break;
		memcpy(tmp + w, p, n);
		w += n;
		p += n;
	}
	tmp[w] = 0;
	snprintf(name, cap, "%s", tmp);
}

/* One path segment, percent-decoded and made safe, into out (at least
 * RF_NAME_MAX + 1 bytes): '/' (from %2F), NUL and control bytes become '_';
 * cut to RF_NAME_MAX bytes without splitting a UTF-8 sequence, bytes that
 * are not UTF-8 kept as "%XX".  May be "", "." or "..": the caller decides. */
static void safe_segment(const char *seg, size_t slen, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < slen && w < RF_NAME_MAX; i++) {
		unsigned char c = (unsigned char)seg[i];
		if (c == '%' && i + 2 < slen && hexval(seg[i + 1]) >= 0 && hexval(seg[i + 2]) >= 0) {
			c = (unsigned char)(hexval(seg[i + 1]) * 16 + hexval(seg[i + 2]));
			i += 2;
		}
		if (c < 0x20 || c == 0x7f || c == '/')
			c = '_';
		out[w++] = (char)c;
	}
	/* do not end in the middle of a UTF-8 sequence */
	if (w == RF_NAME_MAX) {
		size_t k = w;
		while (k > 0 && ((unsigned char)out[k - 1] & 0xC0) == 0x80)
			k--;
		if (k > 0 && ((unsigned char)out[k - 1] & 0x80)) {
			unsigned char lead = (unsigned char)out[k - 1];
			size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
			if (w - (k - 1) < want)
				w = k - 1;
		}
	}
	out[w] = 0;
	keep_utf8(out, RF_NAME_MAX + 1);
}

int rf_url_filename(const char *url, char *out, size_t cap)
{
	static const char fallback[] = "index.html";
	if (cap < sizeof(fallback) || cap < RF_NAME_MAX + 1)
		return RF_EINVAL;
	struct rf__url u;
	int err = rf__url_parse(url, &u, NULL);
	if (err)
		return err;
	const char *path = u.target;
	size_t plen = strcspn(path, "?");
	const char *seg = path;
	for (size_t i = 0; i < plen; i++)
		if (path[i] == '/')
			seg = path + i + 1;
	safe_segment(seg, (size_t)(path + plen - seg), out);
	rf__url_free(&u);
	if (!*out || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		memcpy(out, fallback, sizeof(fallback));
	return 0;
}

int rf_url_dirs(const char *url, int with_host, unsigned cut_dirs, char *out, size_t cap)
{
	struct rf__url u;
	int err = rf__url_parse(url, &u, NULL);
	if (err)
		return err;
	/* the directory segments, dot segments resolved as the server
	 * resolves them (RFC 3986 5.2.4), also when percent-encoded */
	enum { MAX_SEGS = 256 };
	size_t starts[MAX_SEGS], n = 0, w = 0;
	out[0] = 0;
	if (with_host) {
		w = (size_t)snprintf(out, cap, "%s", u.hostport);
		for (char *p = out; *p; p++)
			if (*p == '/' || (unsigned char)*p < 0x20)
				*p = '_';
	}
	const char *path = u.target;
	size_t plen = strcspn(path, "?");
	size_t last = plen;
	while (last > 0 && path[last - 1] != '/')
		last--; /* the file name's segment is not a directory */
	char seg[RF_NAME_MAX + 1];
	for (size_t i = 0; i < last && w < cap;) {
		while (i < last && path[i] == '/')
			i++;
		size_t len = strcspn(path + i, "/");
		if (i + len > last)
			break;
		safe_segment(path + i, len, seg);
		i += len;
		if (!*seg || strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			if (n > 0)
				w = starts[--n];
			out[w] = 0;
			continue;
		}
		if (n == MAX_SEGS) {
			err = RF_EINVAL;
			break;
		}
		starts[n++] = w;
		w += (size_t)snprintf(out + w, cap - w, "%s%s", w ? "/" : "", seg);
	}
	if (!err && w >= cap)
		err = RF_EINVAL;
	if (!err && cut_dirs) {
		/* drop the first cut_dirs directories, never the host; starts[k]
		 * is where directory k begins, with its '/' after the host or an
		 * earlier directory */
		size_t keep = cut_dirs >= n ? w : starts[cut_dirs];
		size_t at = n ? starts[0] : w; /* where the directories begin */
		if (!with_host && keep < w && out[keep] == '/')
			keep++;
		memmove(out + at, out + keep, w - keep + 1);
	}
	rf__url_free(&u);
	return err;
}

/* The value of parameter name in a Content-Disposition header (RFC 6266
 * section 4.1: quoted-string or token), unquoted into out; false when
 * absent.  *p walks the parameters after the disposition type. */
static bool disposition_param(const char *v, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = strchr(v, ';');
	while (p && *p == ';') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t klen = strcspn(p, "=; \t");
		const char *key = p;
		p += klen;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=') {
			p = strchr(p, ';');
			continue;
		}
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		size_t w = 0;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (w + 1 < cap)
					out[w++] = *p;
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ';' && *p != ' ' && *p != '\t'; p++)
				if (w + 1 < cap)
					out[w++] = *p;
		}
		out[w] = 0;
		if (klen == nlen && strncasecmp(key, name, nlen) == 0)
			return true;
		p = strchr(p, ';');
	}
	return false;
}

/* RFC 8187 ext-value "charset'lang'pct-encoded" decoded to UTF-8 in place;
 * false for a charset other than UTF-8 and ISO-8859-1. */
static bool ext_value_decode(char *v)
{
	char *q1 = strchr(v, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q2)
		return false;
	bool latin1;
	size_t cl = (size_t)(q1 - v);
	if (cl == 5 && strncasecmp(v, "utf-8", 5) == 0)
		latin1 = false;
	else if (cl == 10 && strncasecmp(v, "iso-8859-1", 10) == 0)
		latin1 = true;
	else
		return false;
	char tmp[1024 * 2];
	size_t w = 0;
	for (const char *p = q2 + 1; *p && w + 2 < sizeof(tmp); p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
			c = (unsigned char)(hexval(p[1]) * 16 + hexval(p[2]));
			p += 2;
		}
		if (latin1 && c >= 0x80) {
			tmp[w++] = (char)(0xC0 | (c >> 6));
			tmp[w++] = (char)(0x80 | (c & 0x3F));
		} else {
			tmp[w++] = (char)c;
		}
	}
	tmp[w] = 0;
	strcpy(v, tmp); /* callers' buffers are at least as large */
	return true;
}

int rf_disposition_filename(const char *value, char *out, size_t cap)
{
	if (!value || cap < RF_NAME_MAX + 1)
		return RF_EINVAL;
	char v[1024 * 2];
	bool found = disposition_param(value, "filename*", v, sizeof(v) / 2) && ext_value_decode(v);
	if (!found && !disposition_param(value, "filename", v, sizeof(v)))
		return RF_EINVAL;
	/* only the last component of a path: never a directory of the server's */
	const char *base = v;
	for (const char *p = v; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	while (*base == ' ')
		base++;
	size_t w = 0;
	for (const char *p = base; *p && w < RF_NAME_MAX; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			c = '_';
		if (w == 0 && c == '.')
			c = '_'; /* no hidden file, never "." or ".." */
		out[w++] = (char)c;
	}
	while (w > 0 && out[w - 1] == ' ')
		w--;
	out[w] = 0;
	keep_utf8(out, cap); /* also ends on a whole UTF-8 sequence */
	return *out ? 0 : RF_EINVAL;
}
