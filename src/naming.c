/*
 * naming.c - URL and checksum checks, and safe local file names for URLs.
 *
 * A name is taken from the last segment of the URL path (the query is not
 * part of it), percent-decoded, then made safe: '/' (from %2F), NUL and
 * control bytes become '_', ".", ".." and "" become "index.html", and the
 * result is cut to RF_NAME_MAX bytes (without splitting a UTF-8 sequence)
 * so that suffixes like ".1.part" still fit a 255-byte file name.
 */
#include <stdio.h>
#include <string.h>

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
	unsigned char want[RF_DIGEST_MAX];
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
	size_t slen = (size_t)(path + plen - seg);

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
	rf__url_free(&u);
	keep_utf8(out, cap);
	if (w == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		memcpy(out, fallback, sizeof(fallback));
	return 0;
}
