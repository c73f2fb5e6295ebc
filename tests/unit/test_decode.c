/* test_decode.c - the Content-Encoding decoders (src/decode.c) fed in
 * every piece size, one byte included, into outputs as small as one byte:
 * the same body comes out; a stream cut anywhere is truncated, never
 * complete; bytes after its end are refused. */
#include <brotli/encode.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "decode.h"
#include "ringfetch.h"
#include "tap.h"

static unsigned char plain[200000];
static unsigned char enc[300000];

static size_t encode(const char *coding, size_t n)
{
	if (strcmp(coding, "br") == 0) {
		size_t len = sizeof(enc);
		return BrotliEncoderCompress(5, 22, BROTLI_MODE_GENERIC, n, plain, &len, enc) ? len : 0;
	}
	if (strcmp(coding, "zstd") == 0) {
		size_t len = ZSTD_compress(enc, sizeof(enc), plain, n, 3);
		return ZSTD_isError(len) ? 0 : len;
	}
	int bits = strcmp(coding, "gzip") == 0 ? 31 : strcmp(coding, "deflate") == 0 ? 15 : -15;
	z_stream z = {0};
	deflateInit2(&z, 6, Z_DEFLATED, bits, 8, Z_DEFAULT_STRATEGY);
	z.next_in = plain;
	z.avail_in = (uInt)n;
	z.next_out = enc;
	z.avail_out = sizeof(enc);
	deflate(&z, Z_FINISH);
	size_t len = z.total_out;
	deflateEnd(&z);
	return len;
}

/* Decode enc[0..len) in pieces of `in_step` into outputs of `out_cap`:
 * 0 and the output length in *out_len, or the error. */
static int decode(const char *ce, size_t len, size_t in_step, size_t out_cap, unsigned char out[],
                  size_t *out_len)
{
	struct rf__decoder *d;
	int err = rf__decoder_new(ce, &d);
	if (err)
		return err;
	size_t w = 0, at = 0;
	for (int guard = 0; guard < 10000000 && !err; guard++) {
		size_t piece = len - at < in_step ? len - at : in_step, used, made;
		if (!piece && w > sizeof(plain))
			break;
		size_t room = sizeof(plain) + 1024 - w;
		err = rf__decoder_step(d, enc + at, piece, &used, out + w, out_cap < room ? out_cap : room,
		                       &made);
		at += used;
		w += made;
		if (!piece && !made)
			break; /* everything taken, nothing more comes out */
	}
	if (!err)
		err = rf__decoder_end(d);
	rf__decoder_free(d);
	*out_len = w;
	return err;
}

int main(void)
{
	for (size_t i = 0; i < sizeof(plain); i++) /* compressible, not trivially */
		plain[i] = (unsigned char)((i * 7) % 251 ^ (i >> 9));
	static unsigned char out[sizeof(plain) + 1024];
	const char *codings[] = {"gzip", "deflate", "rawdeflate", "br", "zstd"};
	for (size_t c = 0; c < 5; c++) {
		const char *ce = strcmp(codings[c], "rawdeflate") == 0 ? "deflate" : codings[c];
		size_t len = encode(codings[c], sizeof(plain));
		CHECK(len > 0 && len < sizeof(plain), "%s encodes (%zu bytes)", codings[c], len);
		size_t steps[][2] = {{1, 65536}, {2, 1}, {7, 13}, {4096, 4096}, {len, 1 << 20}};
		for (size_t s = 0; s < 5; s++) {
			size_t got = 0;
			memset(out, 0, sizeof(out));
			int err = decode(ce, len, steps[s][0], steps[s][1], out, &got);
			CHECK(err == 0 && got == sizeof(plain) && memcmp(out, plain, got) == 0,
			      "%s in pieces of %zu, out %zu: %s, %zu bytes", codings[c], steps[s][0], steps[s][1],
			      err ? rf_strerror(err) : "ok", got);
		}
		size_t got;
		int err = decode(ce, len - 1, 4096, 4096, out, &got);
		CHECK(err == RF_EDECODE, "%s cut by one byte: %s", codings[c], rf_strerror(err));
		err = decode(ce, len / 2, 1000, 4096, out, &got);
		CHECK(err == RF_EDECODE, "%s cut in half: %s", codings[c], rf_strerror(err));
		enc[len] = 0x42; /* a byte after the end: not the start of a gzip member */
		err = decode(ce, len + 1, 4096, 4096, out, &got);
		CHECK(err == RF_EDECODE, "%s with a byte after its end: %s", codings[c], rf_strerror(err));
	}
	struct rf__decoder *d;
	CHECK(rf__decoder_new("compress", &d) == RF_EDECODE, "compress is not decoded");
	CHECK(rf__decoder_new("gzip, br", &d) == RF_EDECODE, "stacked codings are not decoded");
	CHECK(rf__decoder_new(" GZIP ", &d) == 0, "names are case-insensitive, blanks around");
	rf__decoder_free(d);
	CHECK(rf__decoder_new("x-gzip", &d) == 0, "x-gzip is gzip");
	rf__decoder_free(d);
	CHECK(rf__decode_identity("") && rf__decode_identity("identity") && !rf__decode_identity("br"),
	      "identity and none need no decoder");
	return tap_done();
}
