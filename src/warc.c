/*
 * warc.c - WARC 1.1 records (see warc.h).
 */
#include "warc.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <libdeflate.h>
#include <zlib.h>
#include <zstd.h>

/* bytes[0..n) at out[at] when they fit in cap: the position after them. */
static size_t put(char *out, size_t cap, size_t at, const char *bytes, size_t n)
{
	if (at + n <= cap)
		memcpy(out + at, bytes, n);
	return at + n;
}

static size_t field(char *out, size_t cap, size_t at, const char *name, const char *value)
{
	if (!value)
		return at;
	at = put(out, cap, at, name, strlen(name));
	at = put(out, cap, at, ": ", 2);
	at = put(out, cap, at, value, strlen(value));
	return put(out, cap, at, "\r\n", 2);
}

void rf__warc_date(int64_t us, char out[RF__WARC_DATE_LEN])
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	size_t d = strftime(out, RF__WARC_DATE_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + d, RF__WARC_DATE_LEN - d, ".%06dZ", (int)(us % 1000000));
}

size_t rf__warc_head(char *out, size_t cap, const struct rf__warc_record *r)
{
	char date[RF__WARC_DATE_LEN], len[32];
	rf__warc_date(r->date_us, date);
	snprintf(len, sizeof(len), "%llu", (unsigned long long)r->length);
	size_t at = field(out, cap, 0, "WARC/1.1\r\nWARC-Type", r->type);
	at = field(out, cap, at, "WARC-Record-ID", r->id);
	at = field(out, cap, at, "WARC-Date", date);
	at = field(out, cap, at, "WARC-Target-URI", r->target_uri);
	at = field(out, cap, at, "WARC-IP-Address", r->ip);
	at = field(out, cap, at, "WARC-Concurrent-To", r->concurrent_to);
	at = field(out, cap, at, "WARC-Warcinfo-ID", r->warcinfo_id);
	at = field(out, cap, at, "WARC-Filename", r->filename);
	at = field(out, cap, at, "WARC-Block-Digest", r->block_digest);
	at = field(out, cap, at, "WARC-Payload-Digest", r->payload_digest);
	at = field(out, cap, at, "WARC-Truncated", r->truncated);
	at = field(out, cap, at, "WARC-Profile", r->profile);
	at = field(out, cap, at, "WARC-Refers-To-Target-URI", r->refers_to_uri);
	at = field(out, cap, at, "WARC-Refers-To-Date", r->refers_to_date);
	at = field(out, cap, at, "Content-Type", r->content_type);
	at = field(out, cap, at, "Content-Length", len);
	if (at + 2 < cap)
		memcpy(out + at, "\r\n", 3);
	return at + 2;
}

void rf__warc_id(char out[RF__WARC_ID_LEN])
{
	/* the kernel's random bytes, 32 IDs' worth a call (each thread its own) */
	static __thread unsigned char pool[512];
	static __thread size_t have, at;
	if (have - at < 16) {
		have = at = 0;
		while (have < sizeof(pool)) {
			ssize_t n = getrandom(pool + have, sizeof(pool) - have, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* cannot be on Linux 3.17+ */
			have += (size_t)n;
		}
		if (have < 16) { /* then from the clock and the stack, still unique in practice */
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uintptr_t p = (uintptr_t)&ts;
			memcpy(pool, &ts, sizeof(ts));
			memcpy(pool + sizeof(ts), &p, sizeof(p));
			have = 16;
		}
	}
	unsigned char u[16];
	memcpy(u, pool + at, 16);
	explicit_bzero(pool + at, 16); /* used once */
	at += 16;
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	memcpy(o, "<urn:uuid:", 10);
	o += 10;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o++ = '>';
	*o = 0;
}

void rf__warc_sha1(const unsigned char sha1[20], char out[RF__WARC_DIGEST_LEN])
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	memcpy(out, "sha1:", 5);
	char *o = out + 5;
	for (int i = 0; i < 20; i += 5) { /* 5 bytes are 8 digits of 5 bits */
		uint64_t v = 0;
		for (int k = 0; k < 5; k++)
			v = v << 8 | sha1[i + k];
		for (int k = 7; k >= 0; k--)
			*o++ = alphabet[(v >> (5 * k)) & 31];
	}
	*o = 0;
}

/* Bytes that deflate would not shrink (compressed images, video, archives,
 * random data): the order-0 entropy of a sample of at most 4 KiB is near 8
 * bits a byte.  Such bytes are stored (deflate level 0, still one gzip
 * member) - level 1 would spend most of the time and save nothing.  As
 * btrfs decides whether to compress an extent. */
static bool incompressible(const unsigned char *p, size_t n)
{
	enum { SAMPLE = 4096 };
	if (n < 1024)
		return false;
	if (n > SAMPLE) { /* the end: past any header section */
		p += n - SAMPLE;
		n = SAMPLE;
	}
	unsigned counts[256] = {0};
	for (size_t i = 0; i < n; i++)
		counts[p[i]]++;
	double bits = 0;
	for (int i = 0; i < 256; i++)
		if (counts[i]) {
			double f = (double)counts[i] / (double)n;
			bits -= f * log2(f);
		}
	return bits > 7.5;
}

struct rf__warc_zip {
	enum rf__warc_codec codec;
	struct libdeflate_compressor *fast, *store; /* gzip: whole members, level 1 and 0 */
	z_stream raw;                               /* gzip: pieces of one (zlib's raw deflate) */
	bool raw_on;
	ZSTD_CCtx *zc; /* zstd: frames */
};

static bool zstd_new(struct rf__warc_zip *zp)
{
	return (zp->zc = ZSTD_createCCtx()) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(zp->zc, ZSTD_c_compressionLevel, 3)) &&
	       !ZSTD_isError(ZSTD_CCtx_setParameter(zp->zc, ZSTD_c_checksumFlag, 1));
}

struct rf__warc_zip *rf__warc_zip_new(enum rf__warc_codec codec)
{
	struct rf__warc_zip *zp = calloc(1, sizeof(*zp));
	if (!zp)
		return NULL;
	zp->codec = codec;
	bool ok = codec == RF__WARC_ZSTD ? zstd_new(zp)
	                                 : (zp->fast = libdeflate_alloc_compressor(1)) &&
	                                           (zp->store = libdeflate_alloc_compressor(0));
	if (!ok) {
		rf__warc_zip_free(zp);
		return NULL;
	}
	return zp;
}

void rf__warc_zip_free(struct rf__warc_zip *zp)
{
	if (!zp)
		return;
	ZSTD_freeCCtx(zp->zc);
	if (zp->fast)
		libdeflate_free_compressor(zp->fast);
	if (zp->store)
		libdeflate_free_compressor(zp->store);
	if (zp->raw_on)
		deflateEnd(&zp->raw);
	free(zp);
}

enum rf__warc_codec rf__warc_codec(const struct rf__warc_zip *zp)
{
	return zp ? zp->codec : RF__WARC_NONE;
}

/* n bytes as one zstd frame (its content size and checksum in it). */
static int zstd_frame(struct rf__warc_zip *zp, const void *in, size_t n, unsigned char **out, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(n);
	unsigned char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	size_t r = ZSTD_compress2(zp->zc, buf, cap, in, n);
	if (ZSTD_isError(r)) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	*out_len = r;
	return 0;
}

int rf__warc_piece(struct rf__warc_zip *zp, const void *in, size_t n, bool last, unsigned char **out,
                   size_t *out_len)
{
	if (zp->codec == RF__WARC_ZSTD)
		return zstd_frame(zp, in, n, out, out_len);
	z_stream *z = &zp->raw;
	if (!zp->raw_on) { /* made on first use: only spilled records need it */
		if (deflateInit2(z, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		zp->raw_on = true;
	}
	if (deflateReset(z) != Z_OK ||
	    deflateParams(z, incompressible(in, n) ? 0 : Z_BEST_SPEED, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	size_t cap = deflateBound(z, (uLong)n) + 16; /* and the sync flush's marker */
	unsigned char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	z->next_in = (unsigned char *)(uintptr_t)in;
	z->avail_in = (uInt)n;
	z->next_out = buf;
	z->avail_out = (uInt)cap;
	int r = deflate(z, last ? Z_FINISH : Z_SYNC_FLUSH);
	if ((last && r != Z_STREAM_END) || (!last && (r != Z_OK || z->avail_in || !z->avail_out))) {
		free(buf);
		return -ENOMEM;
	}
	*out_len = cap - z->avail_out;
	*out = buf;
	return 0;
}

void rf__warc_gzip_head(unsigned char out[RF__GZIP_HEAD])
{
	static const unsigned char head[RF__GZIP_HEAD] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
	memcpy(out, head, sizeof(head));
}

void rf__warc_gzip_trailer(uint32_t crc, uint64_t len, unsigned char out[RF__GZIP_TRAILER])
{
	for (int i = 0; i < 4; i++) {
		out[i] = (unsigned char)(crc >> (8 * i));
		out[4 + i] = (unsigned char)(len >> (8 * i));
	}
}

int rf__warc_compress(struct rf__warc_zip *zp, const void *in, size_t n, unsigned char **out, size_t *out_len)
{
	if (zp->codec == RF__WARC_ZSTD)
		return zstd_frame(zp, in, n, out, out_len);
	/* a whole member: libdeflate, about twice zlib's speed at level 1 */
	struct libdeflate_compressor *dc = incompressible(in, n) ? zp->store : zp->fast;
	size_t cap = libdeflate_gzip_compress_bound(dc, n);
	unsigned char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	*out_len = libdeflate_gzip_compress(dc, in, n, buf, cap);
	if (!*out_len) {
		free(buf);
		return -ENOMEM;
	}
	*out = buf;
	return 0;
}

int rf__warc_record_bytes(struct rf__warc_zip *zp, const struct rf__warc_record *r, const void *block,
                          size_t len, unsigned char **out, size_t *out_len)
{
	char small[2048], *head = small;
	size_t head_len = rf__warc_head(small, sizeof(small), r);
	if (head_len >= sizeof(small)) { /* a long URI */
		if (!(head = malloc(head_len + 1)))
			return -ENOMEM;
		rf__warc_head(head, head_len + 1, r);
	}
	size_t total = head_len + len + 4;
	unsigned char *rec = NULL, *bytes = NULL;
	size_t n = total;
	int err = 0;
	if (zp) { /* the record whole, then compressed */
		if (!(rec = malloc(total)))
			err = -ENOMEM;
		else {
			memcpy(rec, head, head_len);
			memcpy(rec + head_len, block, len);
			memcpy(rec + head_len + len, RF__WARC_TAIL, 4);
			err = rf__warc_compress(zp, rec, total, &bytes, &n);
		}
	}
	unsigned char *grown = err ? NULL : realloc(*out, *out_len + n);
	if (grown && zp) {
		memcpy(grown + *out_len, bytes, n);
	} else if (grown) { /* plain: straight into place */
		memcpy(grown + *out_len, head, head_len);
		memcpy(grown + *out_len + head_len, block, len);
		memcpy(grown + *out_len + head_len + len, RF__WARC_TAIL, 4);
	}
	if (grown) {
		*out = grown;
		*out_len += n;
	}
	free(rec);
	free(bytes);
	if (head != small)
		free(head);
	return err ? err : grown ? 0 : -ENOMEM;
}

const char *rf__warc_http_field(const char *head, size_t n, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = head; p && p + nl + 1 < head + n;) {
		const char *eol = memchr(p, '\n', (size_t)(head + n - p));
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (v < head + n && (*v == ' ' || *v == '\t'))
				v++;
			const char *e = eol ? eol : head + n;
			while (e > v && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
				e--;
			*len = (size_t)(e - v);
			return v;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

int rf__warc_entity(const char *msg, size_t n, char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	const char *end = memmem(msg, n, "\r\n\r\n", 4);
	if (!end)
		return -1;
	size_t head = (size_t)(end - msg) + 4, te_len;
	const char *te = rf__warc_http_field(msg, head, "Transfer-Encoding", &te_len);
	bool chunked = te && te_len >= 7 && strncasecmp(te + te_len - 7, "chunked", 7) == 0;
	char *body = malloc(n - head + 1);
	if (!body)
		return -ENOMEM;
	if (!chunked) {
		memcpy(body, msg + head, n - head);
		*out = body;
		*out_len = n - head;
		return 0;
	}
	size_t o = 0;
	for (const char *p = msg + head, *stop = msg + n; p < stop;) {
		char *after;
		unsigned long long size = strtoull(p, &after, 16);
		const char *eol = memmem(p, (size_t)(stop - p), "\r\n", 2);
		if (after == p || !eol || size > (size_t)(stop - eol - 2)) {
			free(body);
			return -1;
		}
		if (!size) {
			*out = body;
			*out_len = o;
			return 0;
		}
		memcpy(body + o, eol + 2, size);
		o += size;
		p = eol + 2 + size + 2;
	}
	free(body);
	return -1;
}

size_t rf__warc_surt(const char *url, char *out, size_t cap)
{
	size_t o = 0;
#define PUT(ch)                                                                                              \
	do {                                                                                                 \
		if (o + 1 < cap)                                                                             \
			out[o] = (char)(ch);                                                                 \
		o++;                                                                                         \
	} while (0)
	const char *p = url;
	bool https = strncasecmp(p, "https://", 8) == 0;
	if (!https && strncasecmp(p, "http://", 7) != 0) {
		for (; *p; p++)
			PUT(*p);
	} else {
		p += https ? 8 : 7;
		const char *auth_end = p + strcspn(p, "/?#");
		const char *at = memchr(p, '@', (size_t)(auth_end - p));
		if (at)
			p = at + 1; /* no user information */
		const char *host = p, *host_end = auth_end, *port = NULL;
		if (*host == '[') { /* an IPv6 literal: as it is */
			const char *close = memchr(host, ']', (size_t)(auth_end - host));
			host_end = close ? close + 1 : auth_end;
		} else {
			const char *colon = memchr(host, ':', (size_t)(auth_end - host));
			if (colon)
				host_end = colon;
		}
		if (host_end < auth_end && *host_end == ':')
			port = host_end + 1;
		if (!at && *host != '[' && strncasecmp(host, "www", 3) == 0) { /* www., www2. ... go */
			const char *d = host + 3;
			while (d < host_end && *d >= '0' && *d <= '9')
				d++;
			if (d < host_end && *d == '.')
				host = d + 1;
		}
		if (*host == '[') {
			for (const char *c = host; c < host_end; c++)
				PUT(tolower((unsigned char)*c));
		} else { /* labels in reverse, joined by commas */
			const char *end = host_end;
			while (end > host) {
				const char *dot = end;
				while (dot > host && dot[-1] != '.')
					dot--;
				if (end != host_end)
					PUT(',');
				for (const char *c = dot; c < end; c++)
					PUT(tolower((unsigned char)*c));
				end = dot > host ? dot - 1 : host;
			}
		}
		size_t port_len = port ? (size_t)(auth_end - port) : 0;
		bool default_port =
			port_len == (https ? 3u : 2u) && strncmp(port, https ? "443" : "80", port_len) == 0;
		if (port_len && !default_port) {
			PUT(':');
			for (size_t i = 0; i < port_len; i++)
				PUT(port[i]);
		}
		PUT(')');
		p = auth_end;
		const char *path_end = p + strcspn(p, "?#");
		if (p == path_end)
			PUT('/');
		for (; p < path_end; p++)
			PUT(tolower((unsigned char)*p));
		if (*p == '?') { /* the query's parameters, sorted */
			p++;
			const char *q_end = p + strcspn(p, "#");
			const char *params[256];
			size_t lens[256], n = 0;
			for (const char *a = p; a <= q_end && n < 256;) {
				const char *amp = memchr(a, '&', (size_t)(q_end - a));
				const char *e = amp ? amp : q_end;
				params[n] = a;
				lens[n++] = (size_t)(e - a);
				a = e + 1;
			}
			for (size_t i = 1; i < n; i++) /* insertion sort: few */
				for (size_t j = i; j > 0; j--) {
					size_t m = lens[j - 1] < lens[j] ? lens[j - 1] : lens[j];
					int c = strncasecmp(params[j - 1], params[j], m);
					if (c < 0 || (c == 0 && lens[j - 1] <= lens[j]))
						break;
					const char *tp = params[j];
					size_t tl = lens[j];
					params[j] = params[j - 1], lens[j] = lens[j - 1];
					params[j - 1] = tp, lens[j - 1] = tl;
				}
			PUT('?');
			for (size_t i = 0; i < n; i++) {
				if (i)
					PUT('&');
				for (size_t k = 0; k < lens[i]; k++)
					PUT(tolower((unsigned char)params[i][k]));
			}
		}
	}
#undef PUT
	if (cap)
		out[o < cap ? o : cap - 1] = 0;
	return o;
}
