/*
 * warc.h - WARC 1.1 records (ISO 28500), for --warc-file: a record's
 * header section, digests in the form wget and Heritrix write them
 * ("sha1:" and the SHA-1 in base32), record IDs (<urn:uuid:...>), dates
 * (UTC, microseconds), a record compressed on its own (one gzip member,
 * or zstd frames) so a reader can start at any record's offset, and what
 * a CDXJ index needs (SURT keys).  A leaf: bytes in, bytes out.
 */
#ifndef RF_WARC_H
#define RF_WARC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RF__WARC_ID_LEN 48     /* "<urn:uuid:" 36 ">" and a NUL */
#define RF__WARC_DIGEST_LEN 40 /* "sha1:" 32 base32 and a NUL */

struct rf__warc_record {
	const char *type;           /* "warcinfo", "request", "response", "revisit" */
	const char *id;             /* WARC-Record-ID */
	int64_t date_us;            /* WARC-Date: microseconds since the epoch */
	const char *target_uri;     /* or NULL (warcinfo) */
	const char *ip;             /* WARC-IP-Address, or NULL */
	const char *concurrent_to;  /* WARC-Concurrent-To, or NULL */
	const char *warcinfo_id;    /* WARC-Warcinfo-ID, or NULL */
	const char *block_digest;   /* "sha1:...", or NULL */
	const char *payload_digest; /* "sha1:...", or NULL */
	const char *truncated;      /* WARC-Truncated reason ("length", "time",
	                               "disconnect", "unspecified"), or NULL */
	const char *filename;       /* WARC-Filename (warcinfo), or NULL */
	const char *profile;        /* WARC-Profile (revisit), or NULL */
	const char *refers_to_uri;  /* WARC-Refers-To-Target-URI (revisit), or NULL */
	const char *refers_to_date; /* WARC-Refers-To-Date (revisit), or NULL */
	const char *content_type;   /* "application/http;msgtype=response" ... */
	uint64_t length;            /* the block's length */
};

/* A revisit record's profile: its payload is one recorded before. */
#define RF__WARC_PROFILE_IDENTICAL "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
/* The header section (up to and with its empty line) into out[0..cap):
 * its length, or what it needs when that is cap or more (as snprintf). */
size_t rf__warc_head(char *out, size_t cap, const struct rf__warc_record *r);
/* What follows every block. */
#define RF__WARC_TAIL "\r\n\r\n"
/* WARC-Date's form of a time: "2026-12-04T06:04:00.123456Z". */
#define RF__WARC_DATE_LEN 40
void rf__warc_date(int64_t us, char out[RF__WARC_DATE_LEN]);
/* A new record ID from the kernel's random bytes (a version 4 UUID). */
void rf__warc_id(char out[RF__WARC_ID_LEN]);
/* "sha1:" and the base32 of a SHA-1. */
void rf__warc_sha1(const unsigned char sha1[20], char out[RF__WARC_DIGEST_LEN]);
/* How records are compressed: each record its own gzip member (WARC/1.1
 * annex D), or its own zstd frames (the IIPC's warc-zstd: frame content
 * size and checksum in each, no dictionary), or not at all. */
enum rf__warc_codec { RF__WARC_NONE, RF__WARC_GZIP, RF__WARC_ZSTD };
/* A compressor kept for every record (zlib's deflate state is about 270
 * KiB, zstd's context more: made once, reset per record); NULL for none. */
struct rf__warc_zip;
struct rf__warc_zip *rf__warc_zip_new(enum rf__warc_codec codec);
void rf__warc_zip_free(struct rf__warc_zip *zp);
enum rf__warc_codec rf__warc_codec(const struct rf__warc_zip *zp);
/* A whole record (head, block, tail), compressed as one member or frame
 * when zp is not NULL, appended to *out (malloc'd; *out_len bytes so far,
 * NULL and 0 for a new one): 0 or -ENOMEM (*out as it was). */
int rf__warc_record_bytes(struct rf__warc_zip *zp, const struct rf__warc_record *r, const void *block,
                          size_t len, unsigned char **out, size_t *out_len);
/* n bytes as one gzip member (libdeflate level 1; stored, level 0, when
 * the bytes look incompressible) or one zstd frame (level 3) into *out
 * (malloc'd, *out_len): 0 or -ENOMEM. */
int rf__warc_compress(struct rf__warc_zip *zp, const void *in, size_t n, unsigned char **out,
                      size_t *out_len);
/* A record too big to hold is compressed as it comes, piece by piece.
 * zstd: each piece is a frame of its own (a record may be several frames).
 * gzip: each piece is raw deflate on its own (no back-references into the
 * pieces before it), byte-aligned by a sync flush, the last one final, so
 * the gzip head, the pieces in order and the gzip trailer (the CRC-32 of
 * all the bytes, zlib's crc32_combine, and their count) are one gzip
 * member - the record's head can be compressed last and still go first.
 * n bytes into *out (malloc'd, *out_len): 0 or -ENOMEM. */
int rf__warc_piece(struct rf__warc_zip *zp, const void *in, size_t n, bool last, unsigned char **out,
                   size_t *out_len);
/* The entity body of an HTTP message as received (msg[0..n): header
 * section, body in its transfer coding), de-chunked, into *out (malloc'd,
 * *out_len): 0, -1 when it is not whole, or -ENOMEM. */
int rf__warc_entity(const char *msg, size_t n, char **out, size_t *out_len);
/* The value of header field `name` in an HTTP header section head[0..n)
 * (its length in *len, blanks trimmed), or NULL. */
const char *rf__warc_http_field(const char *head, size_t n, const char *name, size_t *len);
/* A URL's SURT key for a CDXJ index, as Webrecorder's warcio and pywb
 * write it: "http://www.Example.com:8080/a?b=1&a=2" is
 * "com,example:8080)/a?a=2&b=1" (scheme, www and a default port go,
 * host labels reversed, all lower case, query parameters sorted; other
 * schemes as they are).  Into out (cap bytes, NUL-ended); the length it
 * needs, as snprintf. */
size_t rf__warc_surt(const char *url, char *out, size_t cap);
#define RF__GZIP_HEAD 10
#define RF__GZIP_TRAILER 8
void rf__warc_gzip_head(unsigned char out[RF__GZIP_HEAD]);
void rf__warc_gzip_trailer(uint32_t crc, uint64_t len, unsigned char out[RF__GZIP_TRAILER]);

#endif
