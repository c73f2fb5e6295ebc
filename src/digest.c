/*
 * digest.c - streaming message digests (OpenSSL EVP) and checksum specs.
 *
 * Digests are updated with the body bytes in response order as they are
 * parsed, before they are written, so a file is never read back to be
 * checked; only a resumed prefix already on disk is read (once) to seed the
 * digest (see sink.c).
 */
#include "alloc.h"
#include "digest.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ringfetch.h"

struct rf__digest {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

static const struct {
	const char *name, *evp;
} algos[] = {
	{"sha-256", "SHA256"}, {"sha256", "SHA256"}, {"sha-512", "SHA512"}, {"sha512", "SHA512"},
	{"sha-1", "SHA1"},     {"sha1", "SHA1"},     {"md5", "MD5"},
};

const char *rf__digest_evp_name(const char *algo)
{
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (strcasecmp(algo, algos[i].name) == 0)
			return algos[i].evp;
	return NULL;
}

const char *rf__digest_canonical(const char *algo)
{
	const char *evp = rf__digest_evp_name(algo);
	if (!evp)
		return NULL;
	for (size_t i = 0; i < sizeof(algos) / sizeof(algos[0]); i++)
		if (strcmp(algos[i].evp, evp) == 0)
			return algos[i].name; /* first listed is canonical */
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int rf__checksum_parse(const char *spec, const char **algo, unsigned char *want, size_t *want_len,
                       const char **why)
{
	const char *eq = strchr(spec, '=');
	char name[16];
	if (!eq || (size_t)(eq - spec) >= sizeof(name)) {
		*why = "checksum must look like sha-256=HEX";
		return RF_EINVAL;
	}
	memcpy(name, spec, (size_t)(eq - spec));
	name[eq - spec] = 0;
	*algo = rf__digest_canonical(name);
	if (!*algo) {
		*why = "unknown checksum algorithm (sha-256, sha-512, sha-1, md5)";
		return RF_EINVAL;
	}
	const EVP_MD *md = EVP_get_digestbyname(rf__digest_evp_name(name));
	size_t need = md ? (size_t)EVP_MD_get_size(md) : 0;
	const char *hex = eq + 1;
	if (strlen(hex) != 2 * need) {
		*why = "checksum has the wrong length for its algorithm";
		return RF_EINVAL;
	}
	for (size_t i = 0; i < need; i++) {
		int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			*why = "checksum is not hexadecimal";
			return RF_EINVAL;
		}
		want[i] = (unsigned char)(hi * 16 + lo);
	}
	*want_len = need;
	return 0;
}

struct rf__digest *rf__digest_new(const char *algo)
{
	const char *evp = rf__digest_evp_name(algo);
	const EVP_MD *md = evp ? EVP_get_digestbyname(evp) : NULL;
	if (!md)
		return NULL;
	struct rf__digest *d = rf__calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->md = md;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, md, NULL)) {
		rf__digest_free(d);
		return NULL;
	}
	return d;
}

void rf__digest_free(struct rf__digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

void rf__digest_reset(struct rf__digest *d)
{
	EVP_DigestInit_ex(d->ctx, d->md, NULL);
}

void rf__digest_update(struct rf__digest *d, const void *p, size_t n)
{
	EVP_DigestUpdate(d->ctx, p, n);
}

size_t rf__digest_final(struct rf__digest *d, unsigned char *out)
{
	unsigned int n = 0;
	EVP_DigestFinal_ex(d->ctx, out, &n);
	return n;
}

void rf__hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}
