/*
 * sink_file.c - the file sink kind: a body saved under a final name, and
 * what makes that file trustworthy: the .part, resume, rename, fsync.
 *
 * File sink: the body is written into "<path>.part" at explicit offsets,
 * straight from the slot's receive buffers, with fallocate (KEEP_SIZE) first
 * when the length is known so a full disk fails at once.  Only when the
 * response is complete, every write has landed and the checksum (if any)
 * matched is the file (optionally fsynced,) closed and renamed to its final
 * name (and, with fsync, the directory synced).  A failed transfer closes and
 * unlinks the .part - unless it is worth resuming (interrupted, or a
 * retryable failure that will be retried with Range, or -c), in which case
 * the .part stays and never gets the final name.
 *
 * A complete body of at most UNNAMED_MAX bytes (length known, nothing to
 * resume, no name to replace, no .part of that name left by an earlier run,
 * which the .part way truncates and takes along) is not worth a resumable
 * .part where the client chose unnamed files (ext4, xfs, overlay: up to a
 * third cheaper than create + rename, docs/DESIGN-NOTES.md): it is written
 * to an unnamed file (O_TMPFILE in the target's directory), linked to its
 * final name (linkat of /proc/self/fd/N, which fails with EEXIST as
 * RENAME_NOREPLACE does) once complete and verified, then closed.  A failed
 * or interrupted one leaves nothing at all.  A file system without
 * O_TMPFILE gets the .part way from then on.
 *
 * Names are never overwritten unless the request says RF_REQ_OVERWRITE (or
 * RF_REQ_RESUME, which means "this path is mine to complete"): the rename
 * uses RENAME_NOREPLACE and, if the name exists, tries "<path>.1", ... .
 * Concurrent slots writing the same name get distinct .part files.
 *
 * Resume: the .part's length says where to continue; its validator (strong
 * ETag, else Last-Modified) is kept in the extended attribute
 * user.ringfetch.validator and sent as If-Range.  A 206 must start exactly
 * at the .part's length; a 200 means start again from zero (truncate).  When
 * a digest is wanted, the prefix already on disk is read once through the
 * ring to seed it, so the final digest covers the whole file.
 * The stat and xattr calls that decide this are plain syscalls on a local
 * path, made once per resumed attempt.
 *
 * The common body stage (buffers, digests, write completions) is sink.c's;
 * this file is reached through rf__sink_file_ops and the resume queries of
 * sink.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "sink_stage.h"
#include "origin.h"
#include "fields.h"
#include "group.h"

#define MAX_NAME_SUFFIX 9999
#define UNNAMED_MAX (256 * 1024)
#define VALIDATOR_XATTR "user.ringfetch.validator"
#define ETAG_XATTR "user.ringfetch.etag" /* RF_REQ_MIRROR: the final file's */

static bool part_in_use(const rf_client *c, const struct rf__slot *self, const char *part)
{
	for (unsigned i = 0; i < c->nslots; i++) {
		const struct rf__slot *o = &c->slots[i];
		if (o != self && o->state != RF__SLOT_FREE && o->sink.part && strcmp(o->sink.part, part) == 0)
			return true;
	}
	for (unsigned i = 0; i < c->ndelayed; i++) /* kept for a retry */
		if (c->delayed[i]->kept_part && strcmp(c->delayed[i]->kept_part, part) == 0)
			return true;
	return false;
}

static char *fmt_path(const char *base, unsigned n, const char *ext)
{
	size_t cap = strlen(base) + 24;
	char *p = rf__malloc(cap);
	if (!p)
		return NULL;
	if (n)
		snprintf(p, cap, "%s.%u%s", base, n, ext);
	else
		snprintf(p, cap, "%s%s", base, ext);
	return p;
}

static void sink_fail(struct rf__slot *s, int err)
{
	rf__slot_error(s, err, false, NULL);
}

/* ---- resume decisions ---- */

static void choose_part(rf_client *c, struct rf__slot *s);
static void segment_part(struct rf__slot *s);
static void mirror_prepare(struct rf__slot *s);

static void file_prepare(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	if (r->job)
		segment_part(s);
	else
		choose_part(c, s);
	if (!r->job && s->sink.part_on_disk && !s->err && rf__split_resume(c, s))
		segment_part(s); /* -c on a .part with segments left */
	if (r->flags & RF_REQ_MIRROR)
		mirror_prepare(s);
}

/* May what is on disk at path be continued or compared for this request?
 * Only the URL's own file (origin record), or - when the caller named the
 * path itself (RF_REQ_OVERWRITE, curl's -o) - one without a record.  A file
 * recorded for another URL never is; under a name the engine chose, the
 * request then fails rather than replace it (the CLI never asks that: it
 * picks a name that is free or the URL's own). */
static bool usable_on_disk(struct rf__slot *s, const char *path)
{
	int who = rf__origin_of(path, s->req->url);
	bool named = s->req->flags & RF_REQ_OVERWRITE;
	if (who == RF_OWNER_SELF) {
		s->sink.owned = true;
		return true;
	}
	if (named && (who == RF_OWNER_UNRECORDED || who == RF_OWNER_UNKNOWN))
		return true;
	if (path == s->req->path && !named)
		rf__slot_error(s, RF_EOUTPUT_NAME, true, "%s exists and is not this URL's download (%s)",
		               path,
		               who == RF_OWNER_OTHER     ? "its origin record names another URL"
		               : who == RF_OWNER_UNKNOWN ? "its filesystem keeps no user xattrs"
		                                         : "it has no origin record");
	return false;
}

/* Mirroring: what we have under the final name makes the request
 * conditional (plain syscalls on the local path, as for resume). */
static void mirror_prepare(struct rf__slot *s)
{
	struct stat st;
	s->sink.mirror_have = false;
	s->sink.mirror_etag[0] = 0;
	if (lstat(s->req->path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (!usable_on_disk(s, s->req->path))
		return;
	s->sink.mirror_have = true;
	s->sink.mirror_mtime = st.st_mtim.tv_sec;
	ssize_t len =
		getxattr(s->req->path, ETAG_XATTR, s->sink.mirror_etag, sizeof(s->sink.mirror_etag) - 1);
	s->sink.mirror_etag[len > 0 ? len : 0] = 0;
	if (strpbrk(s->sink.mirror_etag, "\r\n"))
		s->sink.mirror_etag[0] = 0; /* never a header line of its own */
}

/* A mirrored file got its final name: the server's Last-Modified becomes
 * its mtime and its ETag is kept for the next run's If-None-Match. */
static void mirror_stamp(struct rf__slot *s)
{
	const char *name = s->sink.target;
	if (s->resp.etag[0])
		setxattr(name, ETAG_XATTR, s->resp.etag, strlen(s->resp.etag), 0);
	else
		removexattr(name, ETAG_XATTR);
	int64_t t;
	if (s->resp.last_modified[0] && rf__field_date(s->resp.last_modified, &t) == 0) {
		struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = (time_t)t}};
		utimensat(AT_FDCWD, name, ts, AT_SYMLINK_NOFOLLOW);
	}
}

int64_t rf__sink_landed(const struct rf__slot *s)
{
	if (s->next_off <= s->sink.resume_from)
		return s->sink.resume_from; /* nothing of this attempt landed */
	return s->next_off < s->sink.hole_at ? s->next_off : s->sink.hole_at;
}

/* A segment of a split job: the job's .part, from where the segment's
 * bytes on disk end. */
static void segment_part(struct rf__slot *s)
{
	struct rf__split *j = s->req->job;
	free(s->sink.part);
	s->sink.part = rf__strdup(j->part);
	if (!s->sink.part) {
		sink_fail(s, -ENOMEM);
		return;
	}
	s->sink.segment = true;
	s->sink.part_resumable = false;
	s->sink.part_on_disk = true;
	s->sink.resume_final = false;
	s->sink.resume_from = rf__split_from(s->req);
	snprintf(s->sink.validator, sizeof(s->sink.validator), "%s", j->validator);
}

/* The .part this attempt writes, and what of it is continued. */
static void choose_part(rf_client *c, struct rf__slot *s)
{
	struct rf__req *r = s->req;
	char *part = NULL;
	unsigned n = 0;
	bool claimed = false;
	if (r->kept_part) { /* an earlier attempt kept it for this retry */
		part = r->kept_part;
		r->kept_part = NULL;
		claimed = c->group != NULL; /* and the claim on it */
	} else {
		/* with threads, a name another thread writes is in use too */
		for (n = 0; n <= MAX_NAME_SUFFIX; n++) {
			free(part);
			part = fmt_path(r->path, n, ".part");
			if (!part || (!part_in_use(c, s, part) &&
			              (!c->group || (claimed = rf__group_claim(c->group, part)))))
				break;
		}
	}
	if (s->sink.part_claimed && s->sink.part)
		rf__group_unclaim(c->group, s->sink.part);
	free(s->sink.part);
	s->sink.part = part;
	s->sink.part_claimed = claimed && part;
	s->sink.part_resumable = part && n == 0;
	if (!part) {
		sink_fail(s, -ENOMEM);
		return;
	}
	if (!r->resume || r->fresh || !s->sink.part_resumable)
		return;
	struct stat st;
	if (lstat(part, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 && usable_on_disk(s, part)) {
		s->sink.resume_from = st.st_size;
		s->sink.part_on_disk = true;
		ssize_t len =
			getxattr(part, VALIDATOR_XATTR, s->sink.validator, sizeof(s->sink.validator) - 1);
		s->sink.validator[len > 0 ? len : 0] = 0;
	} else if ((r->flags & RF_REQ_RESUME) && lstat(r->path, &st) == 0 && S_ISREG(st.st_mode) &&
	           st.st_size > 0 && usable_on_disk(s, r->path)) {
		s->sink.resume_from = st.st_size;
		s->sink.resume_final = true;
	}
}

bool rf__sink_need_prefix(const struct rf__slot *s)
{
	return s->sink.resume_from > 0 && !s->sink.segment && (s->sink.dg_check || s->sink.dg_print) &&
	       s->sink.pfx_off < s->sink.resume_from;
}

void rf__sink_range_headers(const struct rf__slot *s, char *buf, size_t cap)
{
	buf[0] = 0;
	if (s->req->range) { /* the range asked for, from its start every attempt */
		snprintf(buf, cap, "Range: bytes=%s\r\n", s->req->range);
		return;
	}
	if (s->sink.mirror_have) {
		char date[64];
		time_t t = (time_t)s->sink.mirror_mtime;
		struct tm tm;
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", gmtime_r(&t, &tm));
		int n = snprintf(buf, cap, "If-Modified-Since: %s\r\n", date);
		if (s->sink.mirror_etag[0] && n > 0 && (size_t)n < cap)
			snprintf(buf + n, cap - (size_t)n, "If-None-Match: %s\r\n", s->sink.mirror_etag);
		return;
	}
	if (s->sink.segment) {
		int n = snprintf(buf, cap, "Range: bytes=%lld-%lld\r\n", (long long)s->sink.resume_from,
		                 (long long)rf__split_end(s->req) - 1);
		if (n > 0 && (size_t)n < cap)
			snprintf(buf + n, cap - (size_t)n, "If-Range: %s\r\n", s->sink.validator);
		return;
	}
	if (s->sink.resume_from <= 0)
		return;
	int n = snprintf(buf, cap, "Range: bytes=%lld-\r\n", (long long)s->sink.resume_from);
	if (s->sink.validator[0] && n > 0 && (size_t)n < cap)
		snprintf(buf + n, cap - (size_t)n, "If-Range: %s\r\n", s->sink.validator);
}

/* Hash the prefix on disk through the ring, into buf[0]. */
void rf__sink_hash_prefix(rf_client *c, struct rf__slot *s)
{
	struct rf__buf *b = &s->rx.buf[0]; /* made ready by the slot */
	b->state = RF__BUF_RECV;           /* borrowed */
	s->sink.pfx_off = 0;
	rf__op_open(c->loop, rf__slot_op(s, RF__OP_PFX_OPEN, 0),
	            s->sink.resume_final ? s->req->path : s->sink.part, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
}

/* The prefix cannot be read: continue without it, from zero. */
static void prefix_abandon(struct rf__slot *s, const char *why)
{
	s->sink.resume_from = 0;
	s->sink.resume_final = false;
	s->sink.validator[0] = 0;
	rf__sink_digests_reset(s);
	rf__sink_note(s, why);
}

static void prefix_read_next(rf_client *c, struct rf__slot *s)
{
	int64_t left = s->sink.resume_from - s->sink.pfx_off;
	int64_t cap = (int64_t)s->rx.buf[0].cap;
	unsigned len = (unsigned)(left < cap ? left : cap);
	rf__op_read_at(c->loop, rf__slot_op(s, RF__OP_PFX_READ, 0), s->sink.pfx_fd, s->rx.buf[0].data, len,
	               (uint64_t)s->sink.pfx_off);
}

static void prefix_close(rf_client *c, struct rf__slot *s)
{
	rf__op_close(c->loop, rf__slot_op(s, RF__OP_PFX_CLOSE, 0), s->sink.pfx_fd);
	s->sink.pfx_fd = -1;
}

/* ---- headers: open the file ---- */

/* The name that messages about the open file show. */
static const char *file_shown(const struct rf__slot *s)
{
	return s->sink.unnamed ? s->req->path : s->sink.part;
}

/* A small whole body with nothing to resume or replace: no .part needed
 * (one lstat finds a .part left by an earlier run, symlinks included). */
static bool unnamed_ok(const rf_client *c, const struct rf__slot *s)
{
	struct stat st;
	return !c->tmpfile_off && s->resp.has_length && s->resp.content_length <= UNNAMED_MAX &&
	       s->sink.resume_from == 0 &&
	       !(s->req->flags & (RF_REQ_OVERWRITE | RF_REQ_RESUME | RF_REQ_MIRROR)) &&
	       lstat(s->sink.part, &st) != 0;
}

static void open_part(rf_client *c, struct rf__slot *s, bool append);

/* O_TMPFILE in the directory of the final name. */
static void open_unnamed(rf_client *c, struct rf__slot *s)
{
	free(s->sink.dirpath);
	s->sink.dirpath = rf__strdup(s->req->path);
	if (!s->sink.dirpath) {
		open_part(c, s, false);
		return;
	}
	s->sink.unnamed = true;
	s->sink.file = RF__FILE_OPENING;
	rf__op_open(c->loop, rf__slot_op(s, RF__OP_OPEN, 0), dirname(s->sink.dirpath),
	            O_WRONLY | O_TMPFILE | O_CLOEXEC, 0644);
}

static void open_part(rf_client *c, struct rf__slot *s, bool append)
{
	s->sink.file = RF__FILE_OPENING;
	/* O_NOFOLLOW: a .part planted as a symlink must not redirect our writes */
	int flags = O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (append ? 0 : O_CREAT | O_TRUNC);
	rf__op_open(c->loop, rf__slot_op(s, RF__OP_OPEN, 0), s->sink.part, flags, 0644);
}

bool rf__sink_same_version(const struct rf__slot *s)
{
	const char *v = s->sink.validator;
	if (!v[0])
		return true; /* nothing was recorded: by length only */
	if (v[0] == '"')
		return strcmp(s->resp.etag, v) == 0; /* strong: byte for byte */
	int64_t a, b;
	const char *lm = s->resp.last_modified;
	if (!lm[0])
		return false; /* a 206 must repeat it (RFC 9110 15.3.7) */
	if (rf__field_date(v, &a) == 0 && rf__field_date(lm, &b) == 0)
		return a == b;
	return strcmp(v, lm) == 0;
}

/* A segment's 206 covers exactly what was asked, of the job's file, and
 * of the same version as the segments before it. */
static bool segment_range_ok(const struct rf__slot *s)
{
	int64_t start, end, total;
	return rf__field_content_range(s->resp.content_range, &start, &end, &total) == 0 &&
	       start == s->sink.resume_from && total == s->req->job->total && end < total &&
	       rf__sink_same_version(s);
}

static void file_headers(rf_client *c, struct rf__slot *s)
{
	if (!s->sink.part) {
		sink_fail(s, -ENOMEM);
		return;
	}
	if (s->sink.segment && (s->resp.status != 206 || !segment_range_ok(s))) {
		/* the file changed (If-Range), or ranges stopped working: the
		 * job starts again (split.c) */
		rf__slot_error(s, RF_ERANGE, false, "a segment request was answered %d%s%.100s%s",
		               s->resp.status, s->resp.status == 206 ? " with Content-Range " : "",
		               s->resp.status == 206 ? s->resp.content_range : "",
		               s->resp.status == 206 && !rf__sink_same_version(s)
		                       ? " of another version (validator changed)"
		                       : "");
		return;
	}
	if (s->resp.status == 206 && !s->req->range) {
		int64_t start, end, total;
		if ((s->sink.resume_from <= 0 && !s->sink.segment) ||
		    rf__field_content_range(s->resp.content_range, &start, &end, &total) ||
		    start != s->sink.resume_from) {
			rf__slot_error(s, RF_ERANGE, false,
			               "206 with Content-Range '%.100s' for a request from byte %lld",
			               s->resp.content_range, (long long)s->sink.resume_from);
			return;
		}
		s->next_off = s->sink.resume_from;
		if (s->sink.resume_final) {
			/* a shorter file left by another tool becomes our .part */
			s->sink.file = RF__FILE_ADOPTING;
			rf__op_rename(c->loop, rf__slot_op(s, RF__OP_ADOPT, 0), s->req->path, s->sink.part,
			              0);
			rf__sink_note(
				s, "continued a file left by another tool: only its length could be checked");
			return;
		}
		open_part(c, s, true);
		return;
	}
	if (s->sink.resume_from > 0) {
		rf__sink_note(s, "the server sent the whole file (range ignored or file changed): "
		                 "restarted from zero");
		s->sink.resume_from = 0;
		s->sink.validator[0] = 0;
		rf__sink_digests_reset(s);
	}
	if (unnamed_ok(c, s))
		open_unnamed(c, s);
	else
		open_part(c, s, false);
}

/* The name to try now: NAME, or NAME.<suffix> after EEXIST.  false (the
 * slot failed) when it cannot be made. */
static bool next_target(struct rf__slot *s)
{
	free(s->sink.target);
	s->sink.target = fmt_path(s->req->path, s->sink.suffix, "");
	if (!s->sink.target)
		sink_fail(s, -ENOMEM);
	return s->sink.target != NULL;
}

/* The file has its final name: done, or (--fsync) make the name durable. */
static void named(rf_client *c, struct rf__slot *s)
{
	s->sink.file = RF__FILE_DONE;
	if (s->req->flags & RF_REQ_MIRROR)
		mirror_stamp(s);
	if (!c->opts.fsync)
		return;
	free(s->sink.dirpath);
	s->sink.dirpath = rf__strdup(s->sink.target);
	if (s->sink.dirpath) {
		s->sink.file = RF__FILE_DIRSYNC;
		rf__op_open(c->loop, rf__slot_op(s, RF__OP_DIR_OPEN, 0), dirname(s->sink.dirpath),
		            O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	}
}

/* The unnamed file, complete and verified, gets the final name (or the
 * first free NAME.N): it never replaces anything. */
/* A new name (not replacing one) starts where this run's last file of the
 * same name left off (namecache.h), not at NAME again; the name about to be
 * tried counts as taken at once, so files finishing together do not all
 * try it. */
static void skip_taken_names(rf_client *c, struct rf__slot *s)
{
	if (s->req->flags & (RF_REQ_OVERWRITE | RF_REQ_RESUME | RF_REQ_MIRROR))
		return;
	unsigned next = rf__namecache_next(c->names, s->req->path);
	if (next > s->sink.suffix)
		s->sink.suffix = next;
	rf__namecache_taken(c->names, s->req->path, s->sink.suffix);
}

static void start_link(rf_client *c, struct rf__slot *s)
{
	skip_taken_names(c, s);
	if (!next_target(s))
		return;
	snprintf(s->sink.fd_path, sizeof(s->sink.fd_path), "/proc/self/fd/%d", s->sink.ffd);
	s->sink.file = RF__FILE_LINKING;
	rf__op_link(c->loop, rf__slot_op(s, RF__OP_LINK, 0), s->sink.fd_path, s->sink.target);
}

static void start_rename(rf_client *c, struct rf__slot *s)
{
	skip_taken_names(c, s);
	if (!next_target(s))
		return;
	bool replace = s->req->flags & (RF_REQ_OVERWRITE | RF_REQ_RESUME | RF_REQ_MIRROR);
	struct stat st;
	if (replace && lstat(s->sink.target, &st) == 0 && !S_ISREG(st.st_mode)) {
		/* replacing means a regular file: never a device, FIFO, link or
		 * directory put there by someone (a plain lstat, once per file) */
		rf__slot_error(s, RF_EOUTPUT_NAME, true, "%s is not a regular file", s->sink.target);
		s->sink.file = RF__FILE_CLOSED;
		return;
	}
	if (replace && !(s->req->flags & RF_REQ_OVERWRITE)) {
		/* -c, -N: only the URL's own file is replaced (origin.h) */
		int who = rf__origin_of(s->sink.target, s->req->url);
		if (who != RF_OWNER_NONE && who != RF_OWNER_SELF) {
			rf__slot_error(s, RF_EOUTPUT_NAME, true,
			               "%s appeared meanwhile and is not this "
			               "URL's download: not replaced",
			               s->sink.target);
			s->sink.file = RF__FILE_CLOSED;
			return;
		}
	}
	s->sink.file = RF__FILE_RENAMING;
	rf__op_rename(c->loop, rf__slot_op(s, RF__OP_RENAME, 0), s->sink.part, s->sink.target,
	              replace ? 0 : RENAME_NOREPLACE);
}

/* A .part is kept: record the strong validator of the response it holds,
 * for If-Range next time (done only then, not for every file).  A file
 * system without user xattrs: resume then goes by length only. */
static void store_validator(struct rf__slot *s)
{
	const char *v = NULL;
	if (s->resp.status == 206 && s->sink.validator[0])
		return; /* unchanged: If-Range matched */
	if (s->resp.etag[0] && strncmp(s->resp.etag, "W/", 2) != 0)
		v = s->resp.etag;
	else if (s->resp.last_modified[0])
		v = s->resp.last_modified;
	if (v)
		setxattr(s->sink.part, VALIDATOR_XATTR, v, strlen(v), 0);
	else
		removexattr(s->sink.part, VALIDATOR_XATTR);
}

/* Resume: the prefix already on disk, hashed. */
static bool prefix_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	switch (op) {
	case RF__OP_PFX_OPEN:
		assert(s->rx.buf[0].state == RF__BUF_RECV && s->sink.pfx_fd < 0); /* borrowed for it */
		if (res < 0) {
			s->rx.buf[0].state = RF__BUF_FREE;
			prefix_abandon(s, "the partial file could not be read: restarted from zero");
			return true;
		}
		s->sink.pfx_fd = res;
		if (s->err) {
			prefix_close(c, s);
			return false;
		}
		prefix_read_next(c, s);
		return false;
	case RF__OP_PFX_READ:
		assert(s->sink.pfx_fd >= 0 && s->rx.buf[0].state == RF__BUF_RECV);
		if (res > 0)
			rf__sink_digest(s, s->rx.buf[0].data, (size_t)res);
		if (res < 0) {
			prefix_abandon(s, "the partial file could not be read: restarted from zero");
		} else if (res == 0) {
			s->sink.resume_from = s->sink.pfx_off; /* shrank under us: continue from here */
		} else {
			s->sink.pfx_off += res;
			if (s->sink.pfx_off < s->sink.resume_from && !s->err) {
				prefix_read_next(c, s);
				return false;
			}
		}
		prefix_close(c, s);
		return false;
	case RF__OP_PFX_CLOSE:
		s->rx.buf[0].state = RF__BUF_FREE;
		return !s->err;
	default:
		return false;
	}
}

/* The .part (or unnamed file) taken over, opened, its space reserved. */
static bool open_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	switch (op) {
	case RF__OP_ADOPT:
		assert(s->sink.file == RF__FILE_ADOPTING);
		if (res < 0) {
			s->sink.file = RF__FILE_NONE;
			rf__sink_fail_path(s, res, "rename to", s->sink.part);
			return false;
		}
		open_part(c, s, true);
		return false;
	case RF__OP_OPEN:
		assert(s->sink.file == RF__FILE_OPENING && s->sink.ffd < 0);
		if (res < 0 && s->sink.unnamed) {
			/* no O_TMPFILE here (or it failed): the .part way reports
			 * its own errors */
			s->sink.unnamed = false;
			if (res == -EOPNOTSUPP || res == -EISDIR || res == -EINVAL)
				c->tmpfile_off = true; /* the file system lacks it */
			if (!s->err) {
				open_part(c, s, false);
				return false;
			}
		}
		if (res < 0) {
			s->sink.file = RF__FILE_NONE;
			rf__sink_fail_path(s, res, "open", s->sink.part);
			return false;
		}
		s->sink.ffd = res;
		s->sink.file = RF__FILE_OPEN;
		/* the file says whose it is before it can get a final name (a
		 * filesystem without user xattrs: documented, not an error) */
		if (!s->sink.segment && !s->req->range)
			rf__origin_set(res, s->req->url); /* a range is not the URL's file */
		/* reserve the space of bodies larger than the receive buffers, so a
		 * full disk fails before the first write; smaller ones are written
		 * whole at once and fail just as early without it */
		if (s->req->split > 1 && !s->sink.segment && !s->err && !s->sink.dec) {
			if (rf__split_start(c, s))
				sink_fail(s, -ENOMEM);
			else if (s->req->job)
				s->sink.segment = true; /* from now on segment 0 of the job */
		}
		if (s->resp.has_length && s->resp.content_length > RF__SLOT_BUFS * c->opts.recv_buffer &&
		    !s->err && !s->sink.dec && (!s->sink.segment || s->resp.status == 200)) {
			s->sink.fallocating = true;
			rf__op_fallocate(c->loop, rf__slot_op(s, RF__OP_FALLOCATE, 0), s->sink.ffd,
			                 FALLOC_FL_KEEP_SIZE, (uint64_t)s->next_off, s->resp.content_length);
		}
		return false;
	case RF__OP_FALLOCATE:
		assert(s->sink.fallocating && s->sink.file == RF__FILE_OPEN);
		s->sink.fallocating = false;
		/* file systems without fallocate: carry on without the early check */
		if (res < 0 && res != -EOPNOTSUPP && res != -EINVAL)
			rf__sink_fail_path(s, res, "fallocate", file_shown(s));
		return false;
	default:
		return false;
	}
}

/* The data synced and the file closed. */
static bool close_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	(void)c;
	switch (op) {
	case RF__OP_FSYNC:
		assert(s->sink.file == RF__FILE_SYNCING);
		s->sink.file = RF__FILE_OPEN;
		s->sink.synced = true;
		if (res < 0)
			rf__sink_fail_path(s, res, "fsync", file_shown(s));
		return false;
	case RF__OP_FCLOSE:
		assert(s->sink.file == RF__FILE_CLOSING);
		s->sink.file = RF__FILE_CLOSED;
		s->sink.ffd = -1;
		if (res < 0)
			rf__sink_fail_path(s, res, "close", s->sink.linked ? s->sink.target : file_shown(s));
		return false;
	default:
		return false;
	}
}

/* The final name: link (unnamed file) or rename (.part). */
static bool name_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	switch (op) {
	case RF__OP_LINK:
		assert(s->sink.file == RF__FILE_LINKING && s->sink.unnamed);
		s->sink.file = RF__FILE_OPEN;
		if (res == 0) {
			s->sink.linked = true; /* closed next (rf__sink_finish) */
			return false;
		}
		if (res == -EEXIST && s->sink.suffix < MAX_NAME_SUFFIX && !s->err) {
			s->sink.suffix++;
			start_link(c, s);
			return false;
		}
		rf__sink_fail_path(s, res, "link to", s->sink.target ? s->sink.target : s->req->path);
		return false;
	case RF__OP_RENAME:
		assert(s->sink.file == RF__FILE_RENAMING && s->sink.target);
		if (res == 0) {
			named(c, s);
			return false;
		}
		s->sink.file = RF__FILE_CLOSED;
		if (res == -EEXIST && s->sink.suffix < MAX_NAME_SUFFIX && !s->err) {
			s->sink.suffix++;
			start_rename(c, s);
			return false;
		}
		rf__sink_fail_path(s, res, "rename to", s->sink.target ? s->sink.target : s->req->path);
		return false;
	default:
		return false;
	}
}

/* --fsync: the directory synced after the rename; a .part unlinked. */
static bool dir_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	switch (op) {
	case RF__OP_DIR_OPEN:
		assert(s->sink.file == RF__FILE_DIRSYNC && s->sink.dir_fd < 0);
		if (res < 0) {
			s->sink.file = RF__FILE_DONE;
			rf__sink_note(s, "the directory could not be synced after the rename");
			return false;
		}
		s->sink.dir_fd = res;
		rf__op_fsync(c->loop, rf__slot_op(s, RF__OP_DIR_FSYNC, 0), res);
		return false;
	case RF__OP_DIR_FSYNC:
		assert(s->sink.file == RF__FILE_DIRSYNC && s->sink.dir_fd >= 0);
		if (res < 0)
			rf__sink_note(s, "the directory could not be synced after the rename");
		rf__op_close(c->loop, rf__slot_op(s, RF__OP_DIR_CLOSE, 0), s->sink.dir_fd);
		s->sink.dir_fd = -1;
		return false;
	case RF__OP_DIR_CLOSE:
		s->sink.file = RF__FILE_DONE;
		return false;
	case RF__OP_UNLINK:
		assert(s->sink.file == RF__FILE_UNLINKING);
		s->sink.file = RF__FILE_DONE;
		return false;
	default:
		return false;
	}
}

static bool file_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, int res)
{
	switch (op) {
	case RF__OP_PFX_OPEN:
	case RF__OP_PFX_READ:
	case RF__OP_PFX_CLOSE:
		return prefix_on_completion(c, s, op, res);
	case RF__OP_ADOPT:
	case RF__OP_OPEN:
	case RF__OP_FALLOCATE:
		return open_on_completion(c, s, op, res);
	case RF__OP_FSYNC:
	case RF__OP_FCLOSE:
		return close_on_completion(c, s, op, res);
	case RF__OP_LINK:
	case RF__OP_RENAME:
		return name_on_completion(c, s, op, res);
	case RF__OP_DIR_OPEN:
	case RF__OP_DIR_FSYNC:
	case RF__OP_DIR_CLOSE:
	case RF__OP_UNLINK:
		return dir_on_completion(c, s, op, res);
	default:
		return false;
	}
}

/* A failed transfer: is its .part worth keeping for a later resume? */
static bool keep_part(rf_client *c, struct rf__slot *s)
{
	return rf__outcome(c, s)->keep_part;
}

/* Writes land out of order: a kept .part is cut at the first byte that
 * never landed, so a resume cannot take a hole for data.  (A plain truncate
 * on a closed local file.)  False if that failed: then it is not kept. */
static bool cut_at_hole(struct rf__slot *s)
{
	return s->sink.hole_at == INT64_MAX || truncate(s->sink.part, s->sink.hole_at) == 0;
}

/* Finishing: the rename started (false: wait for it), or it could not
 * start and the file is finished as a failure instead. */
static bool file_finish(rf_client *c, struct rf__slot *s, bool failed);

static bool rename_or_fail(rf_client *c, struct rf__slot *s)
{
	start_rename(c, s);
	return s->sink.file == RF__FILE_RENAMING ? false : file_finish(c, s, rf__slot_abandoned(s));
}

static bool file_finish(rf_client *c, struct rf__slot *s, bool failed)
{
	/* nothing of the file is in flight: the stage waited for every op */
	assert(s->sink.file != RF__FILE_ADOPTING && s->sink.file != RF__FILE_OPENING &&
	       !s->sink.fallocating && s->sink.pfx_fd < 0 && !s->sink.writes);
	if (s->sink.segment && (s->sink.file == RF__FILE_NONE || s->sink.file == RF__FILE_CLOSED)) {
		s->sink.file = RF__FILE_DONE; /* the shared .part stays as it is */
		s->sink.keep_part = true;
		return true;
	}
	switch (s->sink.file) {
	case RF__FILE_NONE:
		if (!failed && s->sink.range_complete && !s->sink.resume_final) {
			/* 416 on a complete .part: it only needs its final name */
			return rename_or_fail(c, s);
		}
		if (s->err && s->sink.part && s->sink.part_on_disk && !s->sink.resume_final) {
			/* this attempt failed before touching the .part an earlier one
			 * kept: keep it for the user's -c or a retry, else it goes */
			s->sink.keep_part = (s->req->flags & RF_REQ_RESUME) || keep_part(c, s);
			if (s->sink.keep_part)
				return true;
			s->sink.file = RF__FILE_UNLINKING;
			rf__op_unlink(c->loop, rf__slot_op(s, RF__OP_UNLINK, 0), s->sink.part);
			return false;
		}
		return true;
	case RF__FILE_DONE:
		return true;
	case RF__FILE_OPEN:
		if (!failed && c->opts.fsync && !s->sink.synced) {
			s->sink.file = RF__FILE_SYNCING;
			rf__op_fsync(c->loop, rf__slot_op(s, RF__OP_FSYNC, 0), s->sink.ffd);
			return false;
		}
		if (!failed && s->sink.unnamed && !s->sink.linked) {
			start_link(c, s);
			if (s->sink.file == RF__FILE_LINKING)
				return false;
		}
		s->sink.file = RF__FILE_CLOSING;
		rf__op_close(c->loop, rf__slot_op(s, RF__OP_FCLOSE, 0), s->sink.ffd);
		return false;
	case RF__FILE_CLOSED:
		if (s->sink.linked) {
			named(c, s);
			return file_finish(c, s, failed);
		}
		if (s->sink.unnamed) { /* failed: nothing of it is on disk */
			s->sink.file = RF__FILE_DONE;
			return true;
		}
		if (!failed)
			return rename_or_fail(c, s);
		s->sink.keep_part = keep_part(c, s) && cut_at_hole(s);
		if (s->sink.keep_part) {
			if (s->resp.headers_done)
				store_validator(s);
			s->sink.file = RF__FILE_DONE;
			return true;
		}
		s->sink.file = RF__FILE_UNLINKING;
		rf__op_unlink(c->loop, rf__slot_op(s, RF__OP_UNLINK, 0), s->sink.part);
		return false;
	default:
		return false;
	}
}

static int file_target(const struct rf__slot *s, bool *positional)
{
	*positional = true;
	return s->sink.file == RF__FILE_OPEN && !s->sink.fallocating ? s->sink.ffd : -1;
}

static int file_check(const rf_request *rq, const char **why)
{
	if (!rq->path || !*rq->path) {
		*why = "file sink without a path";
		return RF_EINVAL;
	}
	return 0;
}

static const char *file_final_path(const struct rf__slot *s, const char *path)
{
	if (s->sink.target)
		return s->sink.target;
	return s->sink.skipped ? path : NULL;
}

const struct rf__sink_ops rf__sink_file_ops = {
	.kind = "file",
	.makes_files = true,
	.check = file_check,
	.prepare = file_prepare,
	.headers = file_headers,
	.target = file_target,
	.on_completion = file_on_completion,
	.finish = file_finish,
	.shown = file_shown,
	.final_path = file_final_path,
};
