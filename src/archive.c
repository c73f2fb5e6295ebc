/*
 * archive.c - the files of an archive output (see archive.h), and the tar
 * format of --tar: its trailer, KEY.json, and how -c reads a shard back.
 */
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "output.h"
#include "ringfetch.h"
#include "tar.h"

static ssize_t tar_trailer(struct rf__output *o, char *buf, size_t cap)
{
	(void)o;
	if (cap < RF__TAR_END)
		return -1;
	memset(buf, 0, RF__TAR_END);
	return RF__TAR_END;
}

static const struct rf__output_ops tar_output = {
	.kind = "tar", .trailer = tar_trailer, .trailer_room = RF__TAR_END};
static int scan_shard(struct rf__archive *a, int fd, uint64_t size, const char *name, uint64_t *good);
const struct rf__archive_format rf__archive_tar = {
	.option = "--tar", .output = &tar_output, .scan = scan_shard};

static int file_name(const struct rf__archive *a, unsigned i, char *out, size_t cap)
{
	return a->format->name ? a->format->name(a, i, out, cap) : rf__archive_name(a->pattern, i, out, cap);
}

int rf__archive_name(const char *pattern, unsigned i, char *out, size_t cap)
{
	const char *p = strstr(pattern, "{shard");
	if (!p) {
		int n = snprintf(out, cap, "%s", pattern);
		return n < 0 || (size_t)n >= cap ? -1 : 0;
	}
	const char *close = strchr(p, '}');
	if (!close)
		return -1;
	unsigned width = 0;
	if (p[6] == ':') {
		char *end;
		unsigned long w = strtoul(p + 7, &end, 10);
		if (end != close || p[7] != '0' || w > 20)
			return -1;
		width = (unsigned)w;
	} else if (p + 6 != close) {
		return -1;
	}
	if (strstr(close, "{shard"))
		return -1; /* one place only */
	int n = snprintf(out, cap, "%.*s%0*u%s", (int)(p - pattern), pattern, (int)width, i, close + 1);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

/* The directories above path, made as needed (as -P makes its own). */
static int make_parents(char *path)
{
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = 0;
		int r = mkdir(path, 0755);
		int e = errno;
		*p = '/';
		if (r < 0 && e != EEXIST)
			return -e;
	}
	return 0;
}

int rf__archive_new(const struct rf__archive_format *format, void *format_arg, const char *pattern,
                    uint64_t shard_samples, uint64_t shard_bytes, bool fsync, struct rf__archive **out,
                    char *why, size_t why_len)
{
	*out = NULL;
	char name[4096];
	if (!pattern || !*pattern || (!format->name && rf__archive_name(pattern, 0, name, sizeof(name)))) {
		snprintf(why, why_len, "%s %s: want a file name, with {shard} or {shard:05} once",
		         format->option, pattern ? pattern : "");
		return RF_EINVAL;
	}
	if (!format->name && (shard_samples || shard_bytes) && !strstr(pattern, "{shard")) {
		snprintf(why, why_len, "%s %s: shards rotate, so the name needs {shard} (e.g. {shard:05})",
		         format->option, pattern);
		return RF_EINVAL;
	}
	struct rf__archive *a = rf__calloc(1, sizeof(*a));
	if (!a || !(a->pattern = rf__strdup(pattern))) {
		free(a);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	a->format = format;
	a->format_arg = format_arg;
	a->shard_samples = shard_samples;
	a->shard_bytes = shard_bytes;
	if (format->name && file_name(a, 0, name, sizeof(name))) {
		snprintf(why, why_len, "%s %.300s: the name is too long", format->option, pattern);
		free(a->pattern);
		free(a);
		return RF_EINVAL;
	}
	const char *slash = strrchr(pattern, '/');
	a->dir = slash ? strndup(pattern, slash == pattern ? 1 : (size_t)(slash - pattern)) : strdup(".");
	if (!a->dir) {
		free(a->pattern);
		free(a);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	char *made = rf__strdup(name);
	int merr = made ? make_parents(made) : -ENOMEM;
	free(made);
	if (merr) { /* the shards' directory exists from the start: staging goes there */
		snprintf(why, why_len, "%s %.300s: cannot make its directory: %s", format->option, pattern,
		         strerror(-merr));
		free(a->dir);
		free(a->pattern);
		free(a);
		return merr == -ENOMEM ? -ENOMEM : RF_EINVAL;
	}
	a->fsync = fsync;
	rf__list_init(&a->full);
	*out = a;
	return 0;
}

/* A file is let go: ended (renamed) or kept as its .part.  The format
 * hears of it first (its index of an ended file is written then). */
static int free_shard(struct rf__archive *a, struct rf__shard *sh, bool ended)
{
	int err = a->format->closed ? a->format->closed(a, sh, ended) : 0;
	rf__output_free(sh->out);
	free(sh);
	return err;
}

/* Taken on disk ahead of the regions, not past the file's size limit. */
static void hold_upto(struct rf__archive *a, struct rf__shard *sh)
{
	sh->out->hold_upto = a->shard_bytes ? a->shard_bytes + a->format->output->trailer_room : 0;
}

static int open_shard(struct rf__archive *a)
{
	char name[4096];
	file_name(a, a->next_index, name, sizeof(name)); /* checked in new */
	struct rf__shard *sh = rf__calloc(1, sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	int err = make_parents(name);
	if (err) {
		snprintf(a->why, sizeof(a->why), "%.400s: cannot make its directory: %s", name,
		         strerror(-err));
		free(sh);
		return err;
	}
	if ((err = rf__output_open(a->format->output, name, &sh->out, a->why, sizeof(a->why)))) {
		free(sh);
		return err;
	}
	hold_upto(a, sh);
	if (a->format->opened && (err = a->format->opened(a, sh))) {
		unlink(sh->out->part); /* nothing of it is whole: the next try takes its name */
		free_shard(a, sh, false);
		return err;
	}
	sh->index = a->next_index++;
	sh->real_end = sh->out->pos;
	a->current = sh;
	return 0;
}

int rf__archive_share(struct rf__archive *a)
{
	if (a->shared)
		return 0;
	if (pthread_mutex_init(&a->lock, NULL))
		return -ENOMEM;
	a->shared = true;
	return 0;
}

void rf__archive_lock(struct rf__archive *a)
{
	if (a->shared)
		pthread_mutex_lock(&a->lock);
}

void rf__archive_unlock(struct rf__archive *a)
{
	if (a->shared)
		pthread_mutex_unlock(&a->lock);
}

const char *rf__archive_why(struct rf__archive *a, char *out, size_t cap)
{
	rf__archive_lock(a);
	snprintf(out, cap, "%s", a->why);
	rf__archive_unlock(a);
	return out;
}

/* A shard at its limits takes no more members: the next opens the next. */
static void maybe_full(struct rf__archive *a, struct rf__shard *sh)
{
	if (sh->full || !((a->shard_samples && sh->samples >= a->shard_samples) ||
	                  (a->shard_bytes && sh->out->pos >= a->shard_bytes)))
		return;
	sh->full = true;
	rf__list_push(&a->full, &sh->link);
	if (a->current == sh)
		a->current = NULL;
	rf__output_hold_no_more(sh->out); /* the next file may need that room */
}

/* (the lock held) The file members go to, opened when there is none:
 * NULL when it cannot be (a->open_err; the member that wanted it fails,
 * the next one tries again). */
static struct rf__shard *current_file(struct rf__archive *a)
{
	if (!a->current && (a->open_err = open_shard(a)))
		return NULL;
	return a->current;
}

/* (the lock held) m is one of the file's members, open until done. */
static void count_in(struct rf__archive *a, struct rf__shard *sh, struct rf__archive_member *m)
{
	m->shard = sh;
	sh->samples++;
	sh->members_open++;
	a->samples++;
	maybe_full(a, sh);
}

/* (the lock held) len bytes at the file's end for m, taken on disk: 0,
 * or a negative errno with a->why (nothing is taken; the file stays
 * whole). */
static int take(struct rf__archive *a, struct rf__shard *sh, uint64_t len, struct rf__archive_member *m)
{
	int err = rf__output_reserve(sh->out, len, &m->at);
	if (err) {
		snprintf(a->why, sizeof(a->why), "%.400s: no room for %llu bytes: %s", sh->out->part,
		         (unsigned long long)len, strerror(-err));
		return err;
	}
	m->end = m->at + len;
	return 0;
}

static int join(struct rf__archive *a, struct rf__archive_member *m)
{
	m->shard = NULL;
	struct rf__shard *sh = current_file(a);
	if (!sh)
		return a->open_err;
	m->at = m->end = sh->out->pos;
	count_in(a, sh, m);
	return 0;
}

/* A failure leaves the member joined with no region, not counted. */
static int place(struct rf__archive *a, struct rf__archive_member *m, uint64_t len)
{
	struct rf__shard *sh = m->shard;
	int err = take(a, sh, len, m);
	if (err) {
		sh->samples--;
		a->samples--;
		return err;
	}
	maybe_full(a, sh);
	return 0;
}

int rf__archive_join(struct rf__archive *a, struct rf__archive_member *m)
{
	rf__archive_lock(a);
	int err = join(a, m);
	rf__archive_unlock(a);
	return err;
}

int rf__archive_place(struct rf__archive *a, struct rf__archive_member *m, uint64_t len)
{
	rf__archive_lock(a);
	int err = place(a, m, len);
	rf__archive_unlock(a);
	return err;
}

static int reserve(struct rf__archive *a, uint64_t len, struct rf__archive_member *m)
{
	m->shard = NULL;
	struct rf__shard *sh = current_file(a);
	if (!sh)
		return a->open_err;
	int err = take(a, sh, len, m);
	if (!err) /* (else not counted: the file goes on without it) */
		count_in(a, sh, m);
	return err;
}

int rf__archive_reserve(struct rf__archive *a, uint64_t len, struct rf__archive_member *m)
{
	rf__archive_lock(a);
	int err = reserve(a, len, m);
	rf__archive_unlock(a);
	return err;
}

void rf__archive_member_failed(struct rf__archive *a, struct rf__archive_member *m, int err)
{
	if (!m->shard)
		return;
	rf__archive_lock(a);
	if (!m->shard->out->err)
		m->shard->out->err = err < 0 ? err : -EIO;
	rf__archive_unlock(a);
}

int rf__archive_fd(const struct rf__archive_member *m)
{
	return m->shard ? m->shard->out->fd : -1;
}

static int end_shard(struct rf__archive *a, struct rf__shard *sh)
{
	char why[512];
	if (sh->out->err) /* a sample's write failed (and was reported with its URL): kept as .part */
		return free_shard(a, sh, false);
	if (sh->real_end < sh->out->pos) /* only voids after it: they go */
		sh->out->pos = sh->real_end;
	int err = rf__output_end(sh->out, a->fsync, why, sizeof(why));
	if (err && !a->err) {
		a->err = err;
		snprintf(a->why, sizeof(a->why), "%s", why);
	}
	a->shards_ended += !err;
	int closed = free_shard(a, sh, !err); /* a->why when it fails */
	if (closed && !a->err)
		a->err = closed;
	return err ? err : closed;
}

static int member_done(struct rf__archive *a, struct rf__archive_member *m, bool void_region)
{
	struct rf__shard *sh = m->shard;
	m->shard = NULL;
	if (!sh)
		return 0;
	sh->members_open--;
	if (!void_region && m->end > m->at && m->end > sh->real_end) /* (joined, never placed: none) */
		sh->real_end = m->end;
	if (!sh->full || sh->members_open)
		return 0;
	rf__list_del(&sh->link);
	return end_shard(a, sh);
}

int rf__archive_member_done(struct rf__archive *a, struct rf__archive_member *m, bool void_region)
{
	if (!m->shard)
		return 0;
	rf__archive_lock(a);
	int err = member_done(a, m, void_region);
	rf__archive_unlock(a);
	return err;
}

static int end_all(struct rf__archive *a, bool ok)
{
	/* full shards still waiting had members that never finished: they
	 * keep their .part, as the current one of a failed run */
	while (!rf__list_empty(&a->full)) {
		struct rf__shard *sh = rf__container_of(a->full.next, struct rf__shard, link);
		rf__list_del(&sh->link);
		if (ok && !sh->members_open)
			end_shard(a, sh);
		else
			free_shard(a, sh, false);
	}
	if (a->current) {
		struct rf__shard *sh = a->current;
		a->current = NULL;
		if (ok && !sh->members_open)
			end_shard(a, sh);
		else
			free_shard(a, sh, false);
	}
	return a->err;
}

int rf__archive_end(struct rf__archive *a, bool ok)
{
	rf__archive_lock(a);
	int err = end_all(a, ok);
	rf__archive_unlock(a);
	return err;
}

void rf__archive_free(struct rf__archive *a)
{
	if (!a)
		return;
	end_all(a, false);
	if (a->shared)
		pthread_mutex_destroy(&a->lock);
	free(a->pattern);
	free(a->dir);
	free(a->done);
	free(a->failed);
	free(a);
}

/* ---- KEY.json ---- */

static size_t put(char *out, size_t cap, size_t at, const char *text)
{
	size_t n = strlen(text);
	if (at < cap)
		memcpy(out + at, text, at + n <= cap ? n : cap - at);
	return at + n;
}

static size_t put_string(char *out, size_t cap, size_t at, const char *s)
{
	at = put(out, cap, at, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char e[8];
		if (*p == '"' || *p == '\\')
			snprintf(e, sizeof(e), "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f) /* bytes as \u00XX: valid JSON whatever they were */
			snprintf(e, sizeof(e), "\\u%04x", *p);
		else
			e[0] = (char)*p, e[1] = 0;
		at = put(out, cap, at, e);
	}
	return put(out, cap, at, "\"");
}

/* KEY.json's text: what the sample is, status and headers of interest,
 * size, digest, times; or the error. */
size_t rf__archive_json(char *out, size_t cap, const char *key, const char *url, const char *final_url,
                        int status, const char *content_type, const char *etag, const char *last_modified,
                        uint64_t size, const char *digest_algo, const char *digest, double seconds,
                        const char *error)
{
	char num[64];
	size_t at = put(out, cap, 0, "{\"key\": ");
	at = put_string(out, cap, at, key);
	at = put(out, cap, at, ", \"url\": ");
	at = put_string(out, cap, at, url);
	at = put(out, cap, at, ", \"final_url\": ");
	at = put_string(out, cap, at, final_url);
	snprintf(num, sizeof(num), ", \"status\": %d", status);
	at = put(out, cap, at, num);
	if (content_type && *content_type) {
		at = put(out, cap, at, ", \"content_type\": ");
		at = put_string(out, cap, at, content_type);
	}
	if (etag && *etag) {
		at = put(out, cap, at, ", \"etag\": ");
		at = put_string(out, cap, at, etag);
	}
	if (last_modified && *last_modified) {
		at = put(out, cap, at, ", \"last_modified\": ");
		at = put_string(out, cap, at, last_modified);
	}
	snprintf(num, sizeof(num), ", \"size\": %llu", (unsigned long long)size);
	at = put(out, cap, at, num);
	if (digest && *digest) {
		at = put(out, cap, at, ", \"digest\": ");
		char d[200];
		snprintf(d, sizeof(d), "%s:%s", digest_algo ? digest_algo : "", digest);
		at = put_string(out, cap, at, d);
	}
	snprintf(num, sizeof(num), ", \"seconds\": %.6f", seconds);
	at = put(out, cap, at, num);
	if (error) {
		at = put(out, cap, at, ", \"error\": ");
		at = put_string(out, cap, at, error);
	}
	return put(out, cap, at, "}");
}

const char *rf__archive_dir(const struct rf__archive *a)
{
	return a->dir;
}

const char *rf__archive_path(const struct rf__archive_member *m)
{
	return m->shard ? m->shard->out->path : "";
}

int rf__archive_write_now(struct rf__archive *a, const char *key, const char *text)
{
	char name[512];
	snprintf(name, sizeof(name), "%s.json", key);
	size_t n = strlen(text), head = rf__tar_member_head_len(strlen(name), n);
	uint64_t len = head + rf__tar_padded(n);
	char *buf = calloc(1, len);
	if (!buf)
		return -ENOMEM;
	rf__tar_member_head(buf, head, name, n, (int64_t)time(NULL));
	memcpy(buf + head, text, n);
	struct rf__archive_member m;
	rf__archive_lock(a); /* a few blocks, written at once */
	int err = reserve(a, len, &m);
	if (!err) {
		const char *p = buf;
		uint64_t off = m.at, left = len;
		while (left && !err) {
			ssize_t w = pwrite(m.shard->out->fd, p, left, (off_t)off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				err = w < 0 ? -errno : -EIO;
			else
				p += w, off += (uint64_t)w, left -= (uint64_t)w;
		}
		if (err && !m.shard->out->err)
			m.shard->out->err = err; /* the shard keeps its .part */
		int end = member_done(a, &m, err != 0);
		if (!err)
			err = end;
	}
	rf__archive_unlock(a);
	free(buf);
	return err;
}

/* ---- -c: what the shards on disk hold ---- */

static uint64_t url_hash(const char *url)
{
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)url; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	return h ? h : 1;
}

int rf__archive_done_add(struct rf__archive *a, const char *url)
{
	if (2 * (a->done_n + 1) > a->done_cap) { /* at most half full */
		size_t cap = a->done_cap ? 2 * a->done_cap : 1024;
		uint64_t *n = calloc(cap, sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < a->done_cap; i++)
			for (size_t j = a->done[i] % cap; a->done[i]; j = (j + 1) % cap)
				if (!n[j]) {
					n[j] = a->done[i];
					break;
				}
		free(a->done);
		a->done = n;
		a->done_cap = cap;
	}
	uint64_t h = url_hash(url);
	for (size_t j = h % a->done_cap;; j = (j + 1) % a->done_cap) {
		if (a->done[j] == h)
			return 0;
		if (!a->done[j]) {
			a->done[j] = h;
			a->done_n++;
			return 0;
		}
	}
}

bool rf__archive_has(const struct rf__archive *a, const char *url)
{
	if (!a->done_n)
		return false;
	uint64_t h = url_hash(url);
	for (size_t j = h % a->done_cap; a->done[j]; j = (j + 1) % a->done_cap)
		if (a->done[j] == h)
			return true;
	return false;
}

static uint64_t octal_field(const unsigned char *f, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v * 8 + (f[i] - '0');
	return v;
}

/* A header block this version wrote (or any ustar one): its checksum. */
static bool header_ok(const unsigned char *h)
{
	if (memcmp(h + 257, "ustar", 5) != 0)
		return false;
	unsigned sum = 0;
	for (int i = 0; i < RF__TAR_BLOCK; i++)
		sum += (i >= 148 && i < 156) ? ' ' : h[i];
	return octal_field(h + 148, 8) == sum;
}

/* The URL of a KEY.json text into out (*error: the sample is a failure's):
 * true. */
static bool json_url(const char *text, size_t n, char *out, size_t cap, bool *error)
{
	*error = memmem(text, n, "\"error\":", 8) != NULL;
	const char *p = memmem(text, n, "\"url\": \"", 8);
	if (!p)
		return false;
	p += 8;
	size_t o = 0;
	for (const char *end = text + n; p < end && *p != '"' && o + 1 < cap; p++) {
		if (*p == '\\' && p + 1 < end) {
			p++;
			if (*p == 'u' && p + 4 < end) { /* \u00XX: a byte */
				char hex[3] = {p[3], p[4], 0};
				out[o++] = (char)strtol(hex, NULL, 16);
				p += 4;
				continue;
			}
		}
		out[o++] = *p;
	}
	out[o] = 0;
	return p < text + n && *p == '"';
}

/* A failure's sample (KEY.json alone) of url at [at, end) in the shard
 * being scanned (a->next_index) - voided once the URL has a newer one. */
static int failed_add(struct rf__archive *a, const char *url, uint64_t at, uint64_t end)
{
	if (a->failed_n == a->failed_cap) {
		size_t cap = a->failed_cap ? 2 * a->failed_cap : 64;
		struct rf__archive_failed *n = realloc(a->failed, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		a->failed = n;
		a->failed_cap = cap;
	}
	a->failed[a->failed_n++] = (struct rf__archive_failed){url_hash(url), a->next_index, at, end, false};
	return 0;
}

/* A failure's sample at [at, end) of shard i (with the pax headers and
 * voids just before it) goes, in place: made one void when members follow
 * it, or, as the last of a finished shard, cut off (the end-of-archive
 * blocks move to its place; the member before it is the last now).  A
 * pax header must be followed by a member, so a last member is never made
 * a void, and a void goes with the failure's sample after it.  A shard
 * whose every sample went is an empty archive (its two zero blocks, which
 * GNU tar and tarfile read as one); the last of the shard being written
 * stays. */
static int void_in_place(struct rf__archive *a, struct rf__archive_failed *f)
{
	char name[4096], head[RF__TAR_BLOCK], start[64];
	size_t start_len = 0;
	bool current = a->current && a->current->index == f->index;
	if ((f->last && current) || rf__tar_void(f->end - f->at, head, start, sizeof(start), &start_len))
		return 0;
	file_name(a, f->index, name, sizeof(name));
	int fd = current ? a->current->out->fd : open(name, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno; /* a shard kept as .part: left as it is */
	int err = 0;
	static const char zeros[RF__TAR_END];
	if (f->last) {
		if (pwrite(fd, zeros, sizeof(zeros), (off_t)f->at) != (ssize_t)sizeof(zeros) ||
		    ftruncate(fd, (off_t)(f->at + sizeof(zeros))) < 0)
			err = errno ? -errno : -EIO;
		for (size_t i = 0; !err && i < a->failed_n; i++)
			if (a->failed[i].index == f->index && a->failed[i].end == f->at)
				a->failed[i].last = true;
	} else if (pwrite(fd, start, start_len, (off_t)(f->at + RF__TAR_BLOCK)) != (ssize_t)start_len ||
	           (f->end - f->at > RF__TAR_BLOCK && pwrite(fd, "\n", 1, (off_t)(f->end - 1)) != 1) ||
	           pwrite(fd, head, sizeof(head), (off_t)f->at) != (ssize_t)sizeof(head)) {
		err = errno ? -errno : -EIO; /* the comment's start and '\n' first: the header makes it one */
	}
	if (!err && !f->last) /* the void goes with the failure's sample after it, as -c reads it back */
		for (size_t i = 0; i < a->failed_n; i++)
			if (a->failed[i].index == f->index && a->failed[i].at == f->end)
				a->failed[i].at = f->at;
	if (!err && a->fsync && fsync(fd) < 0)
		err = -errno;
	if (!current)
		close(fd);
	return err;
}

bool rf__archive_failed_before(struct rf__archive *a, const char *url)
{
	uint64_t h = url_hash(url);
	bool found = false;
	rf__archive_lock(a);
	for (size_t i = 0; i < a->failed_n && !found; i++)
		found = a->failed[i].hash == h;
	rf__archive_unlock(a);
	return found;
}

int rf__archive_supersede(struct rf__archive *a, const char *url)
{
	rf__archive_lock(a);
	uint64_t h = url_hash(url);
	int err = 0;
	for (size_t i = 0; i < a->failed_n;) {
		if (a->failed[i].hash != h) {
			i++;
			continue;
		}
		int e = void_in_place(a, &a->failed[i]);
		if (e && !err)
			err = e;
		a->failed[i] = a->failed[--a->failed_n];
	}
	rf__archive_unlock(a);
	return err;
}

/* Walk one shard: the URLs of its samples, and the end of its last whole
 * sample (a KEY.json complete on disk) into *good. */
static int scan_shard(struct rf__archive *a, int fd, uint64_t size, const char *name, uint64_t *good)
{
	(void)name;
	unsigned char h[RF__TAR_BLOCK];
	char *text = NULL;
	uint64_t at = 0, pax_at = UINT64_MAX, last_real = 0;
	size_t failed_before = a->failed_n;
	int err = 0;
	*good = 0;
	while (at + RF__TAR_BLOCK <= size) {
		if (pread(fd, h, sizeof(h), (off_t)at) != (ssize_t)sizeof(h) || !header_ok(h))
			break; /* the end, a hole or a cut: nothing after it counts */
		uint64_t len = octal_field(h + 124, 12), end = at + RF__TAR_BLOCK + rf__tar_padded(len);
		if (end > size)
			break;
		uint64_t start = pax_at != UINT64_MAX ? pax_at : at; /* with the pax headers before it */
		pax_at = h[156] == 'x' ? (pax_at != UINT64_MAX ? pax_at : at) : UINT64_MAX;
		if (h[156] == '0')
			last_real = end;
		size_t nl = strnlen((const char *)h, 100);
		if (h[156] == '0' && nl > 5 && memcmp(h + nl - 5, ".json", 5) == 0 && len < (1u << 20)) {
			char *t = realloc(text, len + 1);
			if (!t) {
				err = -ENOMEM;
				break;
			}
			text = t;
			if (pread(fd, text, len, (off_t)(at + RF__TAR_BLOCK)) != (ssize_t)len)
				break;
			char url[8192 + 300];
			bool error;
			if (json_url(text, len, url, sizeof(url), &error) &&
			    (err = error ? failed_add(a, url, start, end) : rf__archive_done_add(a, url)))
				break;
			*good = end; /* a sample ends with its KEY.json */
		}
		at = end;
	}
	for (size_t i = failed_before; i < a->failed_n; i++)
		a->failed[i].last = a->failed[i].end >= last_real; /* stays: see void_in_place */
	free(text);
	return err;
}

int rf__archive_resume(struct rf__archive *a)
{
	char name[4096], part[4200];
	bool one_file = !a->format->name && !strstr(a->pattern, "{shard");
	for (unsigned i = 0; i < 1000000; i++) {
		file_name(a, i, name, sizeof(name));
		snprintf(part, sizeof(part), "%s.part", name);
		bool cut = access(name, F_OK) != 0;
		const char *path = cut ? part : name;
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			if (errno != ENOENT) {
				snprintf(a->why, sizeof(a->why), "%.400s: %s", path, strerror(errno));
				return -errno;
			}
			a->next_index = i;
			return 0;
		}
		struct stat st;
		uint64_t good = 0, before = a->done_n;
		a->next_index = i; /* the shard scanned: failures' samples name it */
		int err = fstat(fd, &st) < 0 ? -errno
		                             : a->format->scan(a, fd, (uint64_t)st.st_size, name, &good);
		close(fd);
		if (!err && one_file && !cut) {
			snprintf(a->why, sizeof(a->why),
			         "%.400s is complete: -c goes on only from a cut one (or "
			         "give {shard})",
			         name);
			return -EEXIST;
		}
		if (!err && cut) { /* cut by a crash or a kill: on from its last whole sample */
			struct rf__shard *sh = rf__calloc(1, sizeof(*sh));
			err = sh ? rf__output_reopen(a->format->output, name, good, &sh->out, a->why,
			                             sizeof(a->why))
			         : -ENOMEM;
			if (err) {
				free(sh);
				return err;
			}
			sh->index = i;
			hold_upto(a, sh);
			sh->samples = a->done_n - before;
			if (a->format->opened && (err = a->format->opened(a, sh))) {
				free_shard(a, sh, false); /* a new run's first records */
				return err;
			}
			sh->real_end = sh->out->pos;
			if (a->current) { /* an earlier cut one: it ends now, whole */
				sh->full = false;
				a->current->full = true;
				end_shard(a, a->current);
			}
			a->current = sh;
			if (one_file) {
				a->next_index = 1;
				return 0;
			}
		}
		if (err) {
			snprintf(a->why, sizeof(a->why), "%.400s: %s", path, strerror(-err));
			return err;
		}
	}
	return 0;
}
