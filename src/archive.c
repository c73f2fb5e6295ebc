/*
 * archive.c - the tar shards of --tar (see archive.h).
 */
#include "archive.h"

#include <errno.h>
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

static const struct rf__output_ops tar_output = {.kind = "tar", .trailer = tar_trailer};

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

int rf__archive_new(const char *pattern, uint64_t shard_samples, uint64_t shard_bytes, bool fsync,
                    struct rf__archive **out, char *why, size_t why_len)
{
	*out = NULL;
	char name[4096];
	if (!pattern || !*pattern || rf__archive_name(pattern, 0, name, sizeof(name))) {
		snprintf(why, why_len, "--tar %s: want a file name, with {shard} or {shard:05} once",
		         pattern ? pattern : "");
		return RF_EINVAL;
	}
	if ((shard_samples || shard_bytes) && !strstr(pattern, "{shard")) {
		snprintf(why, why_len, "--tar %s: shards rotate, so the name needs {shard} (e.g. {shard:05})",
		         pattern);
		return RF_EINVAL;
	}
	struct rf__archive *a = rf__calloc(1, sizeof(*a));
	if (!a || !(a->pattern = rf__strdup(pattern))) {
		free(a);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
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
		snprintf(why, why_len, "--tar %.300s: cannot make its directory: %s", pattern,
		         strerror(-merr));
		free(a->dir);
		free(a->pattern);
		free(a);
		return merr == -ENOMEM ? -ENOMEM : RF_EINVAL;
	}
	a->shard_samples = shard_samples;
	a->shard_bytes = shard_bytes;
	a->fsync = fsync;
	rf__list_init(&a->full);
	*out = a;
	return 0;
}

static int open_shard(struct rf__archive *a)
{
	char name[4096];
	rf__archive_name(a->pattern, a->next_index, name, sizeof(name)); /* checked in new */
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
	if ((err = rf__output_open(&tar_output, name, &sh->out, a->why, sizeof(a->why)))) {
		free(sh);
		return err;
	}
	sh->index = a->next_index++;
	a->current = sh;
	return 0;
}

int rf__archive_reserve(struct rf__archive *a, uint64_t len, struct rf__archive_member *m)
{
	m->shard = NULL;
	if (!a->current) {
		int err = open_shard(a);
		if (err) {
			if (!a->err)
				a->err = err;
			return err;
		}
	}
	struct rf__shard *sh = a->current;
	m->shard = sh;
	m->at = rf__output_reserve(sh->out, len);
	m->end = m->at + len;
	sh->samples++;
	sh->members_open++;
	a->samples++;
	if ((a->shard_samples && sh->samples >= a->shard_samples) ||
	    (a->shard_bytes && sh->out->pos >= a->shard_bytes)) {
		sh->full = true; /* the next sample opens the next shard */
		rf__list_push(&a->full, &sh->link);
		a->current = NULL;
	}
	return 0;
}

int rf__archive_fd(const struct rf__archive_member *m)
{
	return m->shard ? m->shard->out->fd : -1;
}

static int end_shard(struct rf__archive *a, struct rf__shard *sh)
{
	char why[512];
	if (sh->real_end < sh->out->pos) /* only voids after it: they go */
		sh->out->pos = sh->real_end;
	int err = rf__output_end(sh->out, a->fsync, why, sizeof(why));
	if (err && !a->err) {
		a->err = err;
		snprintf(a->why, sizeof(a->why), "%s", why);
	}
	a->shards_ended += !err;
	rf__output_free(sh->out);
	free(sh);
	return err;
}

int rf__archive_member_done(struct rf__archive *a, struct rf__archive_member *m, bool void_region)
{
	struct rf__shard *sh = m->shard;
	m->shard = NULL;
	if (!sh)
		return 0;
	sh->members_open--;
	if (!void_region && m->end > sh->real_end)
		sh->real_end = m->end;
	if (!sh->full || sh->members_open)
		return 0;
	rf__list_del(&sh->link);
	return end_shard(a, sh);
}

int rf__archive_end(struct rf__archive *a, bool ok)
{
	/* full shards still waiting had members that never finished: they
	 * keep their .part, as the current one of a failed run */
	while (!rf__list_empty(&a->full)) {
		struct rf__shard *sh = rf__container_of(a->full.next, struct rf__shard, link);
		rf__list_del(&sh->link);
		if (ok && !sh->members_open)
			end_shard(a, sh);
		else {
			rf__output_free(sh->out);
			free(sh);
		}
	}
	if (a->current) {
		struct rf__shard *sh = a->current;
		a->current = NULL;
		if (ok && !sh->members_open)
			end_shard(a, sh);
		else {
			rf__output_free(sh->out);
			free(sh);
		}
	}
	return a->err;
}

void rf__archive_free(struct rf__archive *a)
{
	if (!a)
		return;
	rf__archive_end(a, false);
	free(a->pattern);
	free(a->dir);
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
	int err = rf__archive_reserve(a, len, &m);
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
		int end = rf__archive_member_done(a, &m, err != 0);
		if (!err)
			err = end;
	}
	free(buf);
	return err;
}
