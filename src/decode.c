/*
 * decode.c - Content-Encoding decoders (gzip, deflate, br, zstd) behind one
 * streaming interface, for --compressed (decode.h).
 *
 * zlib takes gzip (several members in a row, as gzip(1) writes them when
 * files are concatenated) and deflate (the zlib format RFC 9110 names, or
 * the raw deflate some servers send, told apart by the first two bytes);
 * Brotli's and Zstandard's own decoders take br and zstd.  Input bytes
 * after the end of the stream are an error: a body is one stream.
 */
#include "decode.h"

#include <brotli/decode.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

#include "alloc.h"
#include "ringfetch.h"

enum coding { CODING_GZIP, CODING_DEFLATE, CODING_BR, CODING_ZSTD };

struct rf__decoder {
	enum coding coding;
	bool started;          /* first input seen (deflate's format decided) */
	unsigned char head[2]; /* deflate: the first byte, while the second is awaited */
	size_t nhead;
	bool ended; /* the stream's end was decoded */
	z_stream z;
	bool z_live;
	BrotliDecoderState *br;
	ZSTD_DStream *zs;
	char why[120];
};

const char *rf__decode_accept(void)
{
	return "gzip, deflate, br, zstd";
}

/* The one coding named by a Content-Encoding value ("gzip", " x-gzip "),
 * or -1: unknown, or several (stacked codings are not decoded). */
static int coding_of(const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strcspn(v, " \t,");
	const char *rest = v + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest)
		return -1;
	static const struct {
		const char *name;
		enum coding c;
	} names[] = {{"gzip", CODING_GZIP},
	             {"x-gzip", CODING_GZIP},
	             {"deflate", CODING_DEFLATE},
	             {"br", CODING_BR},
	             {"zstd", CODING_ZSTD}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].name) == n && strncasecmp(v, names[i].name, n) == 0)
			return (int)names[i].c;
	return -1;
}

bool rf__decode_identity(const char *content_encoding)
{
	const char *v = content_encoding;
	while (*v == ' ' || *v == '\t')
		v++;
	return !*v || strncasecmp(v, "identity", 8) == 0;
}

int rf__decoder_new(const char *content_encoding, struct rf__decoder **out)
{
	*out = NULL;
	int c = coding_of(content_encoding);
	if (c < 0)
		return RF_EDECODE;
	struct rf__decoder *d = rf__calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->coding = (enum coding)c;
	if (c == CODING_BR && !(d->br = BrotliDecoderCreateInstance(NULL, NULL, NULL))) {
		free(d);
		return -ENOMEM;
	}
	if (c == CODING_ZSTD && (!(d->zs = ZSTD_createDStream()) || ZSTD_isError(ZSTD_initDStream(d->zs)))) {
		ZSTD_freeDStream(d->zs);
		free(d);
		return -ENOMEM;
	}
	if (c == CODING_ZSTD) /* 128 MiB windows at most (zstd's default is 8) */
		ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
	*out = d;
	return 0;
}

void rf__decoder_free(struct rf__decoder *d)
{
	if (!d)
		return;
	if (d->z_live)
		inflateEnd(&d->z);
	if (d->br)
		BrotliDecoderDestroyInstance(d->br);
	ZSTD_freeDStream(d->zs);
	free(d);
}

bool rf__decoder_ended(const struct rf__decoder *d)
{
	return d->ended;
}

const char *rf__decoder_why(const struct rf__decoder *d)
{
	return d->why;
}

static int fail(struct rf__decoder *d, const char *what, const char *detail)
{
	static const char *const names[] = {"gzip", "deflate", "br", "zstd"};
	snprintf(d->why, sizeof(d->why), "%s body: %s%s%s", names[d->coding], what, detail ? ": " : "",
	         detail ? detail : "");
	return RF_EDECODE;
}

static int z_start(struct rf__decoder *d, const unsigned char *in, size_t len)
{
	int bits = 15 + 16; /* gzip */
	if (d->coding == CODING_DEFLATE) {
		/* the zlib format has a header whose 16-bit value is a multiple
		 * of 31 and says "deflate"; anything else is raw deflate */
		bool zlib_header = len >= 2 && (in[0] & 0x0f) == 8 && (in[0] >> 4) <= 7 &&
		                   ((in[0] << 8) | in[1]) % 31 == 0;
		bits = zlib_header ? 15 : -15;
	}
	memset(&d->z, 0, sizeof(d->z));
	if (inflateInit2(&d->z, bits) != Z_OK)
		return -ENOMEM;
	d->z_live = true;
	return 0;
}

/* One inflate call over in, into out: what it took and made, its result. */
static int z_run(struct rf__decoder *d, const unsigned char *in, size_t in_len, size_t *used,
                 unsigned char *out, size_t cap, size_t *made)
{
	d->z.next_in = (unsigned char *)in;
	d->z.avail_in = (uInt)(in_len > UINT32_MAX ? UINT32_MAX : in_len);
	d->z.next_out = out;
	d->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
	int r = inflate(&d->z, Z_NO_FLUSH);
	*used = (size_t)(d->z.next_in - in);
	*made = (size_t)(d->z.next_out - out);
	if (r == Z_STREAM_END) {
		d->ended = true;
		return 0;
	}
	if (r == Z_OK || r == Z_BUF_ERROR)
		return 0;
	return fail(d, "corrupt", d->z.msg ? d->z.msg : zError(r));
}

static int z_step(struct rf__decoder *d, const unsigned char *in, size_t in_len, size_t *used,
                  unsigned char *out, size_t cap, size_t *made)
{
	size_t made_before = 0;
	if (!d->started) {
		/* deflate's format is told by its first two bytes: a lone first
		 * byte waits for the next input */
		if (d->coding == CODING_DEFLATE && d->nhead + in_len < 2) {
			memcpy(d->head + d->nhead, in, in_len);
			d->nhead += in_len;
			*used = in_len;
			return 0;
		}
		unsigned char first[2] = {d->head[0], in_len ? in[0] : 0};
		if (!d->nhead && in_len > 1)
			first[1] = in[1];
		int err = z_start(d, d->nhead ? first : in, 2);
		if (err)
			return err;
		d->started = true;
		if (d->nhead) { /* the waiting byte goes in first */
			size_t u;
			d->nhead = 0;
			err = z_run(d, d->head, 1, &u, out, cap, &made_before);
			if (err)
				return err;
			out += made_before;
			cap -= made_before;
		}
	}
	if (d->ended && in_len) {
		/* gzip: another member may follow (concatenated files) */
		if (d->coding != CODING_GZIP || in[0] != 0x1f)
			return fail(d, "data after the end of the stream", NULL);
		inflateReset(&d->z);
		d->ended = false;
	}
	int err = z_run(d, in, in_len, used, out, cap, made);
	*made += made_before;
	return err;
}

static int br_step(struct rf__decoder *d, const unsigned char *in, size_t in_len, size_t *used,
                   unsigned char *out, size_t cap, size_t *made)
{
	if (d->ended)
		return in_len ? fail(d, "data after the end of the stream", NULL) : 0;
	size_t avail_in = in_len, avail_out = cap;
	const uint8_t *next_in = in;
	uint8_t *next_out = out;
	BrotliDecoderResult r =
		BrotliDecoderDecompressStream(d->br, &avail_in, &next_in, &avail_out, &next_out, NULL);
	*used = in_len - avail_in;
	*made = cap - avail_out;
	if (r == BROTLI_DECODER_RESULT_ERROR)
		return fail(d, "corrupt", BrotliDecoderErrorString(BrotliDecoderGetErrorCode(d->br)));
	if (r == BROTLI_DECODER_RESULT_SUCCESS) {
		d->ended = true;
		if (avail_in)
			return fail(d, "data after the end of the stream", NULL);
	}
	return 0;
}

static int zstd_step(struct rf__decoder *d, const unsigned char *in, size_t in_len, size_t *used,
                     unsigned char *out, size_t cap, size_t *made)
{
	ZSTD_inBuffer ib = {in, in_len, 0};
	ZSTD_outBuffer ob = {out, cap, 0};
	size_t r = ZSTD_decompressStream(d->zs, &ob, &ib);
	*used = ib.pos;
	*made = ob.pos;
	if (ZSTD_isError(r))
		return fail(d, "corrupt", ZSTD_getErrorName(r));
	/* 0: a frame ended and is all out; more frames may follow (zstd(1)
	 * concatenates).  A call that moved nothing says nothing new. */
	if (ib.pos || ob.pos)
		d->ended = r == 0;
	return 0;
}

int rf__decoder_step(struct rf__decoder *d, const void *in, size_t in_len, size_t *used, void *out,
                     size_t cap, size_t *made)
{
	*used = *made = 0;
	switch (d->coding) {
	case CODING_GZIP:
	case CODING_DEFLATE:
		return z_step(d, in, in_len, used, out, cap, made);
	case CODING_BR:
		return br_step(d, in, in_len, used, out, cap, made);
	case CODING_ZSTD:
		return zstd_step(d, in, in_len, used, out, cap, made);
	}
	return RF_EDECODE;
}

int rf__decoder_end(struct rf__decoder *d)
{
	if (!d->ended)
		return fail(d, "truncated", "the body ended before its compressed stream did");
	return 0;
}
