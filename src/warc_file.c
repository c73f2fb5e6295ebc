/*
 * warc_file.c - the WARC files of --warc-file (see warc_file.h).
 */
#include "warc_file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "alloc.h"
#include "digest.h"
#include "output.h"
#include "warc.h"

static const struct rf__output_ops warc_output = {.kind = "warc"};

/* NAME.warc.gz; NAME-00001.warc.gz after it (a file -c could not go on
 * with); with rotation every file numbered from NAME-00000.warc.gz. */
static int warc_name(const struct rf__archive *a, unsigned i, char *out, size_t cap)
{
	const struct rf__warc_files *w = a->format_arg;
	int n = i == 0 && !w->rotating ? snprintf(out, cap, "%s%s", w->base, w->ext)
	                               : snprintf(out, cap, "%s-%05u%s", w->base, i, w->ext);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* ---- --warc-cdx: a CDXJ index beside each file ---- */

/* Lines of an index, "\n"-ended, in the order records were written. */
struct warc_index {
	char *text;
	size_t len, cap, lines;
};

static void index_free(struct warc_index *x)
{
	if (x)
		free(x->text);
	free(x);
}

static int index_add(struct warc_index *x, const char *line, size_t n)
{
	if (x->len + n + 1 > x->cap) {
		size_t cap = x->cap ? x->cap : 4096;
		while (cap < x->len + n + 1)
			cap *= 2;
		char *t = realloc(x->text, cap);
		if (!t)
			return -ENOMEM;
		x->text = t;
		x->cap = cap;
	}
	memcpy(x->text + x->len, line, n);
	x->len += n;
	x->text[x->len++] = '\n';
	x->lines++;
	return 0;
}

static void json_string(char *out, size_t cap, size_t *o, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		int n = ch == '"' || ch == '\\' ? snprintf(out + *o, cap - *o, "\\%c", ch)
		        : ch < 0x20             ? snprintf(out + *o, cap - *o, "\\u%04x", ch)
		                                : snprintf(out + *o, cap - *o, "%c", ch);
		if (n < 0 || (size_t)n >= cap - *o)
			return;
		*o += (size_t)n;
	}
}

/* One index line (pywb's CDXJ, as warcio's cdx-index writes it): the SURT
 * key, the 14-digit time, then url, mime, status, digest (base32 only),
 * length and offset of the record's member, filename. */
static int index_line(struct warc_index *x, const char *uri, const char *ts14, const char *mime,
                      size_t mime_len, int status, const char *payload_digest, uint64_t length,
                      uint64_t offset, const char *filename)
{
	char line[4 * 8192], surt[8192 + 300];
	if (rf__warc_surt(uri, surt, sizeof(surt)) >= sizeof(surt))
		return 0; /* a key too long to index: the record is there all the same */
	size_t o = (size_t)snprintf(line, sizeof(line), "%s %.14s {\"url\":\"", surt, ts14);
	json_string(line, sizeof(line), &o, uri);
	if (mime_len) {
		char m[128];
		snprintf(m, sizeof(m), "%.*s", (int)(mime_len < sizeof(m) ? mime_len : sizeof(m) - 1), mime);
		o += (size_t)snprintf(line + o, sizeof(line) - o, "\",\"mime\":\"");
		json_string(line, sizeof(line), &o, m);
	}
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\",\"status\":\"%d\"", status);
	if (payload_digest && strncmp(payload_digest, "sha1:", 5) == 0)
		o += (size_t)snprintf(line + o, sizeof(line) - o, ",\"digest\":\"%s\"", payload_digest + 5);
	o += (size_t)snprintf(line + o, sizeof(line) - o,
	                      ",\"length\":\"%llu\",\"offset\":\"%llu\",\"filename\":\"",
	                      (unsigned long long)length, (unsigned long long)offset);
	json_string(line, sizeof(line), &o, filename);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\"}");
	return o < sizeof(line) ? index_add(x, line, o) : 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* A Content-Type's media type (no parameters) in an HTTP message's head. */
static const char *media_type(const char *msg, size_t n, size_t *len)
{
	const char *end = memmem(msg, n, "\r\n\r\n", 4);
	const char *v = end ? rf__warc_http_field(msg, (size_t)(end - msg) + 2, "Content-Type", len) : NULL;
	if (!v)
		*len = 0;
	else
		*len = strcspn(v, ";\r\n") < *len ? strcspn(v, ";\r\n") : *len;
	while (v && *len && v[*len - 1] == ' ')
		(*len)--;
	return v;
}

int rf__warc_files_index(struct rf__warc_files *w, struct rf__shard *sh, const char *uri, int64_t date_us,
                         const char *content_type, int status, const char *payload_digest, uint64_t length,
                         uint64_t offset)
{
	if (!w->cdx)
		return 0;
	char ts[32];
	time_t secs = (time_t)(date_us / 1000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
	size_t mime_len = strcspn(content_type, ";");
	while (mime_len && content_type[mime_len - 1] == ' ')
		mime_len--;
	rf__archive_lock(w->set);
	if (!sh->state)
		sh->state = calloc(1, sizeof(struct warc_index));
	int err = sh->state ? index_line(sh->state, uri, ts, content_type, mime_len, status, payload_digest,
	                                 length, offset, base_name(sh->out->path))
	                    : -ENOMEM;
	rf__archive_unlock(w->set);
	return err;
}

static int by_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The index of an ended file: its lines sorted (pywb looks keys up by
 * binary search), as NAME.cdxj beside NAME.warc.gz, written whole then
 * renamed. */
static int index_write(struct rf__archive *a, struct rf__shard *sh, struct warc_index *x)
{
	const struct rf__warc_files *w = a->format_arg;
	char path[4200], part[4300];
	size_t n = strlen(sh->out->path), e = strlen(w->ext);
	snprintf(path, sizeof(path), "%.*s.cdxj", (int)(n >= e ? n - e : n), sh->out->path);
	snprintf(part, sizeof(part), "%s.part", path);
	char **lines = malloc((x->lines ? x->lines : 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	size_t k = 0;
	for (char *p = x->text, *end = x->text + x->len; p < end && k < x->lines;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		*nl = 0;
		lines[k++] = p;
		p = nl + 1;
	}
	qsort(lines, k, sizeof(*lines), by_line);
	FILE *f = fopen(part, "we");
	int err = f ? 0 : -errno;
	for (size_t i = 0; f && i < k; i++)
		fprintf(f, "%s\n", lines[i]);
	if (f && (fflush(f) || ferror(f) || (a->fsync && fsync(fileno(f)))))
		err = -errno ? -errno : -EIO;
	if (f && fclose(f) && !err)
		err = -errno;
	if (!err && rename(part, path) < 0)
		err = -errno;
	if (err) {
		unlink(part);
		snprintf(a->why, sizeof(a->why), "%.400s: %s", path, strerror(-err));
	}
	free(lines);
	return err;
}

static int warc_closed(struct rf__archive *a, struct rf__shard *sh, bool ended)
{
	struct warc_index *x = sh->state;
	sh->state = NULL;
	int err = 0;
	if (ended && ((const struct rf__warc_files *)a->format_arg)->cdx) {
		struct warc_index none = {0};
		err = index_write(a, sh, x ? x : &none);
	}
	index_free(x);
	return err;
}

/* A file's first record: who wrote it, how. */
static int warc_opened(struct rf__archive *a, struct rf__shard *sh)
{
	struct rf__warc_files *w = a->format_arg;
	if (w->scanned && sh->out->pos) /* a cut file goes on: the index of what it holds */
		sh->state = w->scanned;
	else /* a whole file's, read before: its index is written */
		index_free(w->scanned);
	w->scanned = NULL;
	char fields[4096];
	int n = snprintf(fields, sizeof(fields),
	                 "software: ringfetch/%s\r\nformat: WARC File Format 1.1\r\n"
	                 "conformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/"
	                 "warc-1.1/\r\n%s%.3000s%s",
	                 RF_VERSION_STRING, w->command ? "command: " : "", w->command ? w->command : "",
	                 w->command ? "\r\n" : "");
	size_t len = n > 0 && (size_t)n < sizeof(fields) ? (size_t)n : 0;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	const char *slash = strrchr(sh->out->path, '/');
	rf__warc_id(sh->first_id);
	char digest[RF__WARC_DIGEST_LEN];
	unsigned char sha[64];
	struct rf__digest *d = rf__digest_new("sha-1");
	if (!d)
		return -ENOMEM;
	rf__digest_update(d, fields, len);
	rf__digest_final(d, sha);
	rf__digest_free(d);
	rf__warc_sha1(sha, digest);
	struct rf__warc_record r = {.type = "warcinfo",
	                            .block_digest = digest,
	                            .id = sh->first_id,
	                            .date_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
	                            .filename = slash ? slash + 1 : sh->out->path,
	                            .content_type = "application/warc-fields",
	                            .length = len};
	unsigned char *bytes = NULL;
	size_t bytes_len = 0;
	if (rf__warc_record_bytes(w->zip, &r, fields, len, &bytes, &bytes_len))
		return -ENOMEM;
	uint64_t at;
	int err = rf__output_reserve(sh->out, bytes_len, &at);
	ssize_t wr = err ? 0 : pwrite(sh->out->fd, bytes, bytes_len, (off_t)at);
	if (!err)
		err = wr == (ssize_t)bytes_len ? 0 : wr < 0 ? -errno : -ENOSPC;
	free(bytes);
	if (err)
		snprintf(a->why, sizeof(a->why), "%.400s: %s", sh->out->part, strerror(-err));
	return err;
}

/* ---- -c: what a file on disk holds ---- */

static const struct rf__warc_seen *seen(const struct rf__warc_files *w, const char *digest);
static int remember(struct rf__warc_files *w, const char *digest, const char *uri, const char *date);

#define SCAN_HEAD 16384 /* a record's head and its HTTP status line are in this */
#define SCAN_CHUNK (256 * 1024)

/* A field's value in a WARC head (up to its CRLF), or NULL. */
static const char *head_field(const char *head, size_t n, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = head; p && p + nl + 1 < head + n;) {
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			const char *end = memmem(v, (size_t)(head + n - v), "\r\n", 2);
			*len = end ? (size_t)(end - v) : 0;
			return end ? v : NULL;
		}
		const char *next = memmem(p, (size_t)(head + n - p), "\r\n", 2);
		p = next ? next + 2 : NULL;
	}
	return NULL;
}

/* One record read back (its first SCAN_HEAD bytes, its whole length; at
 * offset `at`, `stored` bytes in the file): true when it is whole; a final
 * response's URL is remembered, and indexed (--warc-cdx) as the file
 * goes on. */
static bool scan_record(struct rf__archive *a, const char *rec, size_t have, uint64_t total, uint64_t at,
                        uint64_t stored, const char *file, int *err)
{
	struct rf__warc_files *w = a->format_arg;
	if (have < 12 || memcmp(rec, "WARC/1.", 7) != 0)
		return false;
	const char *end = memmem(rec, have, "\r\n\r\n", 4);
	if (!end)
		return false;
	size_t head = (size_t)(end - rec) + 4, n;
	const char *cl = head_field(rec, head, "Content-Length", &n);
	if (!cl)
		return false;
	uint64_t len = strtoull(cl, NULL, 10);
	if (total != head + len + 4)
		return false;
	const char *type = head_field(rec, head, "WARC-Type", &n);
	if (!type || n != 8 || memcmp(type, "response", 8) != 0)
		return true;
	const char *uri = head_field(rec, head, "WARC-Target-URI", &n);
	const char *block = rec + head;
	if (!uri || n >= 8192 + 300 || have < head + 12 || memcmp(block, "HTTP/1.", 7) != 0)
		return true;
	int status = atoi(block + 9);
	char url[8192 + 300];
	memcpy(url, uri, n);
	url[n] = 0;
	if (w->cdx) {
		size_t dn, pn, mime_len;
		const char *date = head_field(rec, head, "WARC-Date", &dn);
		const char *pd = head_field(rec, head, "WARC-Payload-Digest", &pn);
		char ts[15] = "", digest[64] = "";
		for (size_t i = 0, k = 0; date && i < dn && k < 14; i++)
			if (date[i] >= '0' && date[i] <= '9')
				ts[k++] = date[i];
		if (pd && pn < sizeof(digest))
			memcpy(digest, pd, pn);
		const char *mime = media_type(block, have - head, &mime_len);
		if (!w->scanned && !(w->scanned = calloc(1, sizeof(struct warc_index))))
			*err = -ENOMEM;
		else
			*err = index_line(w->scanned, url, ts, mime, mime_len, status, digest, stored, at,
			                  file);
		if (*err)
			return true;
	}
	if (status >= 200 && status < 300 && w->dedup) {
		size_t dn, pn;
		const char *date = head_field(rec, head, "WARC-Date", &dn);
		const char *pd = head_field(rec, head, "WARC-Payload-Digest", &pn);
		char d[RF__WARC_DATE_LEN], p[64];
		if (date && pd && dn < sizeof(d) && pn < sizeof(p)) {
			snprintf(d, sizeof(d), "%.*s", (int)dn, date);
			snprintf(p, sizeof(p), "%.*s", (int)pn, pd);
			if (!seen(w, p) && (*err = remember(w, p, url, d)))
				return true;
		}
	}
	if (status >= 300 && status < 400)
		return true; /* a hop: its URL was not kept by it */
	*err = rf__archive_done_add(a, url);
	return true;
}

/* Records of their own gzip members, one after another. */
static int scan_gzip(struct rf__archive *a, int fd, uint64_t size, const char *file, uint64_t *good)
{
	unsigned char *in = malloc(SCAN_CHUNK), *out = malloc(SCAN_CHUNK);
	char *rec = malloc(SCAN_HEAD);
	z_stream z = {0};
	int err = in && out && rec && inflateInit2(&z, 15 + 16) == Z_OK ? 0 : -ENOMEM;
	uint64_t in_at = 0; /* file offset of in[0] */
	size_t have = 0;
	uint64_t total = 0;
	z.avail_in = 0;
	while (!err) {
		if (!z.avail_in) {
			in_at += (uint64_t)(z.next_in - in) * (z.next_in != NULL);
			ssize_t r = in_at < size ? pread(fd, in, SCAN_CHUNK, (off_t)in_at) : 0;
			if (r <= 0)
				break; /* the end, or a member cut short */
			z.next_in = in;
			z.avail_in = (uInt)r;
		}
		z.next_out = out;
		z.avail_out = SCAN_CHUNK;
		int r = inflate(&z, Z_NO_FLUSH);
		size_t got = SCAN_CHUNK - z.avail_out;
		if (have < SCAN_HEAD) {
			size_t take = got < SCAN_HEAD - have ? got : SCAN_HEAD - have;
			memcpy(rec + have, out, take);
			have += take;
		}
		total += got;
		if (r == Z_STREAM_END) {
			uint64_t end = in_at + (uint64_t)(z.next_in - in);
			if (!scan_record(a, rec, have, total, *good, end - *good, file, &err))
				break;
			*good = end;
			have = 0;
			total = 0;
			inflateReset(&z);
		} else if (r != Z_OK && r != Z_BUF_ERROR) {
			break; /* not gzip: nothing after it counts */
		}
	}
	inflateEnd(&z);
	free(in);
	free(out);
	free(rec);
	return err;
}

/* Records as zstd frames, one or more each (a big record's pieces): a
 * record ends where a frame ends and its bytes are all there. */
static int scan_zstd(struct rf__archive *a, int fd, uint64_t size, const char *file, uint64_t *good)
{
	unsigned char *in = malloc(SCAN_CHUNK), *out = malloc(SCAN_CHUNK);
	char *rec = malloc(SCAN_HEAD);
	ZSTD_DCtx *dz = ZSTD_createDCtx();
	int err = in && out && rec && dz ? 0 : -ENOMEM;
	uint64_t in_at = 0, total = 0, want = 0;
	size_t have = 0;
	ZSTD_inBuffer ib = {in, 0, 0};
	while (!err) {
		if (ib.pos == ib.size) {
			in_at += ib.size;
			ssize_t r = in_at < size ? pread(fd, in, SCAN_CHUNK, (off_t)in_at) : 0;
			if (r <= 0)
				break; /* the end, or a frame cut short */
			ib = (ZSTD_inBuffer){in, (size_t)r, 0};
		}
		ZSTD_outBuffer ob = {out, SCAN_CHUNK, 0};
		size_t r = ZSTD_decompressStream(dz, &ob, &ib);
		if (ZSTD_isError(r))
			break; /* not zstd: nothing after it counts */
		if (have < SCAN_HEAD) {
			size_t take = ob.pos < SCAN_HEAD - have ? ob.pos : SCAN_HEAD - have;
			memcpy(rec + have, out, take);
			have += take;
		}
		total += ob.pos;
		if (!want && have) { /* the record's length, once its head is in */
			const char *end = memmem(rec, have, "\r\n\r\n", 4);
			size_t n;
			const char *cl =
				end ? head_field(rec, (size_t)(end - rec) + 4, "Content-Length", &n) : NULL;
			if (cl)
				want = (uint64_t)(end - rec) + 4 + strtoull(cl, NULL, 10) + 4;
			else if (have == SCAN_HEAD || (!end && r == 0))
				break;
		}
		if (r == 0) { /* a frame ended */
			if (!want || total > want)
				break;
			if (total == want) {
				uint64_t end = in_at + ib.pos;
				if (!scan_record(a, rec, have, total, *good, end - *good, file, &err))
					break;
				*good = end;
				have = 0;
				total = want = 0;
			}
		}
	}
	ZSTD_freeDCtx(dz);
	free(in);
	free(out);
	free(rec);
	return err;
}

/* Plain records, one after another. */
static int scan_plain(struct rf__archive *a, int fd, uint64_t size, const char *file, uint64_t *good)
{
	char *rec = malloc(SCAN_HEAD);
	int err = rec ? 0 : -ENOMEM;
	uint64_t at = 0;
	while (!err && at < size) {
		ssize_t r = pread(fd, rec, SCAN_HEAD, (off_t)at);
		if (r <= 0)
			break;
		const char *end = memmem(rec, (size_t)r, "\r\n\r\n", 4);
		size_t n;
		const char *cl = end ? head_field(rec, (size_t)(end - rec) + 4, "Content-Length", &n) : NULL;
		if (!cl)
			break;
		uint64_t total = (uint64_t)(end - rec) + 4 + strtoull(cl, NULL, 10) + 4;
		char tail[4];
		if (at + total > size || pread(fd, tail, 4, (off_t)(at + total - 4)) != 4 ||
		    memcmp(tail, RF__WARC_TAIL, 4) != 0 ||
		    !scan_record(a, rec, (size_t)r, total, at, total - 4, file, &err))
			break;
		at += total;
		*good = at;
	}
	free(rec);
	return err;
}

static int warc_scan(struct rf__archive *a, int fd, uint64_t size, const char *name, uint64_t *good)
{
	struct rf__warc_files *w = a->format_arg;
	*good = 0;
	index_free(w->scanned); /* the lines of a file scanned before: it needed no index */
	w->scanned = NULL;
	switch (rf__warc_codec(w->zip)) {
	case RF__WARC_GZIP:
		return scan_gzip(a, fd, size, base_name(name), good);
	case RF__WARC_ZSTD:
		return scan_zstd(a, fd, size, base_name(name), good);
	default:
		return scan_plain(a, fd, size, base_name(name), good);
	}
}

static const struct rf__archive_format warc_format = {
	.option = "--warc-file",
	.output = &warc_output,
	.name = warc_name,
	.opened = warc_opened,
	.scan = warc_scan,
	.closed = warc_closed,
};

void rf__warc_files_free(struct rf__warc_files *w)
{
	if (!w)
		return;
	rf__archive_free(w->set);
	index_free(w->scanned);
	for (size_t i = 0; i < w->seen_cap; i++)
		free(w->seen[i].uri);
	free(w->seen);
	rf__warc_zip_free(w->zip);
	free(w->base);
	free(w->ext);
	free(w->command);
	free(w);
}

int rf__warc_files_new(const rf_warc_opts *o, bool fsync, struct rf__warc_files **out, char *why,
                       size_t why_len)
{
	*out = NULL;
	if (!o->path || !*o->path || o->reserved[0] || o->reserved[1] ||
	    (o->compression && strcmp(o->compression, "gzip") != 0 && strcmp(o->compression, "zstd") != 0 &&
	     strcmp(o->compression, "none") != 0)) {
		snprintf(why, why_len, "a WARC file needs a path, and compression gzip, zstd or none");
		return RF_EINVAL;
	}
	struct rf__warc_files *w = rf__calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	enum rf__warc_codec codec = !o->compression || strcmp(o->compression, "gzip") == 0 ? RF__WARC_GZIP
	                            : strcmp(o->compression, "zstd") == 0                  ? RF__WARC_ZSTD
	                                                                                   : RF__WARC_NONE;
	w->keep_credentials = o->keep_credentials != 0;
	w->rotating = o->max_size > 0;
	w->cdx = o->cdx != 0;
	w->dedup = o->dedup != 0;
	size_t n = strlen(o->path), cut = n;
	static const char *const exts[] = {".warc.gz", ".warc.zst", ".warc"};
	for (size_t i = 0; i < 3 && cut == n; i++) {
		size_t e = strlen(exts[i]);
		if (n > e && strcmp(o->path + n - e, exts[i]) == 0)
			cut = n - e;
	}
	w->base = strndup(o->path, cut);
	w->ext = strdup(o->path + cut);
	if (!w->base || !w->ext || (o->command && !(w->command = strdup(o->command))) ||
	    (codec != RF__WARC_NONE && !(w->zip = rf__warc_zip_new(codec)))) {
		rf__warc_files_free(w);
		return -ENOMEM;
	}
	int err = rf__archive_new(&warc_format, w, o->path, 0, o->max_size, fsync, &w->set, why, why_len);
	if (!err && o->resume && (err = rf__archive_resume(w->set))) {
		snprintf(why, why_len, "--warc-file -c: %s", w->set->why);
		err = err == -ENOMEM ? err : RF_EINVAL;
	}
	if (err) {
		rf__warc_files_free(w);
		return err;
	}
	*out = w;
	return 0;
}

/* ---- -N: payloads seen before ---- */

static uint64_t text_hash(const char *t)
{
	uint64_t h = 1469598103934665603ull;
	for (; *t; t++)
		h = (h ^ (unsigned char)*t) * 1099511628211ull;
	return h ? h : 1;
}

static const struct rf__warc_seen *seen(const struct rf__warc_files *w, const char *digest)
{
	if (!w->seen_n)
		return NULL;
	uint64_t h = text_hash(digest);
	for (size_t j = h % w->seen_cap; w->seen[j].h; j = (j + 1) % w->seen_cap)
		if (w->seen[j].h == h && strcmp(w->seen[j].digest, digest) == 0)
			return &w->seen[j];
	return NULL;
}

static int remember(struct rf__warc_files *w, const char *digest, const char *uri, const char *date)
{
	if (strlen(digest) >= sizeof(w->seen[0].digest))
		return 0;                        /* not a digest this version writes */
	if (2 * (w->seen_n + 1) > w->seen_cap) { /* at most half full */
		size_t cap = w->seen_cap ? 2 * w->seen_cap : 1024;
		struct rf__warc_seen *n = calloc(cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < w->seen_cap; i++)
			for (size_t j = w->seen[i].h % cap; w->seen[i].h; j = (j + 1) % cap)
				if (!n[j].h) {
					n[j] = w->seen[i];
					break;
				}
		free(w->seen);
		w->seen = n;
		w->seen_cap = cap;
	}
	char *copy = strdup(uri);
	if (!copy)
		return -ENOMEM;
	uint64_t h = text_hash(digest);
	size_t j = h % w->seen_cap;
	while (w->seen[j].h)
		j = (j + 1) % w->seen_cap;
	w->seen[j].h = h;
	w->seen[j].uri = copy;
	snprintf(w->seen[j].digest, sizeof(w->seen[j].digest), "%s", digest);
	snprintf(w->seen[j].date, sizeof(w->seen[j].date), "%s", date);
	w->seen_n++;
	return 0;
}

int rf__warc_files_revisit(struct rf__warc_files *w, const char *digest, const char *uri, const char *date,
                           char **ref_uri, char ref_date[40])
{
	*ref_uri = NULL;
	if (!w->dedup || strlen(digest) >= sizeof(w->seen[0].digest))
		return 0;
	rf__archive_lock(w->set);
	const struct rf__warc_seen *e = seen(w, digest);
	int r = 0;
	if (e && (*ref_uri = strdup(e->uri))) {
		snprintf(ref_date, 40, "%s", e->date);
		r = 1;
	} else {
		r = e ? -ENOMEM : remember(w, digest, uri, date);
	}
	rf__archive_unlock(w->set);
	return r;
}

void rf__warc_files_forget(struct rf__warc_files *w, const char *digest, const char *uri, const char *date)
{
	rf__archive_lock(w->set);
	struct rf__warc_seen *e = (struct rf__warc_seen *)seen(w, digest);
	if (e && strcmp(e->uri, uri) == 0 && strcmp(e->date, date) == 0) {
		free(e->uri);
		/* out of the table, and the entries after it in its run back
		 * where a lookup finds them (linear probing's deletion) */
		size_t i = (size_t)(e - w->seen), cap = w->seen_cap;
		w->seen[i] = (struct rf__warc_seen){0};
		for (size_t j = (i + 1) % cap; w->seen[j].h; j = (j + 1) % cap) {
			size_t home = w->seen[j].h % cap;
			bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
			if (stays)
				continue;
			w->seen[i] = w->seen[j];
			w->seen[j] = (struct rf__warc_seen){0};
			i = j;
		}
		w->seen_n--;
	}
	rf__archive_unlock(w->set);
}

int rf__warc_files_share(struct rf__warc_files *w)
{
	return rf__archive_share(w->set);
}

int rf__warc_files_zip_new(const struct rf__warc_files *w, struct rf__warc_zip **out)
{
	*out = NULL;
	enum rf__warc_codec codec = rf__warc_codec(w->zip);
	return codec == RF__WARC_NONE || (*out = rf__warc_zip_new(codec)) ? 0 : -ENOMEM;
}

bool rf__warc_files_has(const struct rf__warc_files *w, const char *url)
{
	return rf__archive_has(w->set, url);
}
