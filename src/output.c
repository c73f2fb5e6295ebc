/*
 * output.c - a client-owned output many transfers append to (see
 * output.h): the write position, writes in flight, the end of the run.
 *
 * The end is plain syscalls, not ring ops: it runs once per output after
 * the ring's work is done (every slot finished, so no region write is in
 * flight), like the rename of a cookie file.  So is the fallocate that
 * takes a region's blocks: once per HOLD_STEP of the file, under the
 * archive's lock, where the region's offset is decided.
 */
#include "output.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

#define HOLD_STEP (1u << 20) /* taken ahead of the regions handed out */

/* [0, need) taken on disk, and (ahead) up to HOLD_STEP more while there
 * is room for it, within hold_upto: 0, or a negative errno. */
static int hold(struct rf__output *o, uint64_t need, bool ahead)
{
	if (o->hold_off || need <= o->held)
		return 0;
	uint64_t want = ahead && !o->hold_no_more ? need + HOLD_STEP : need;
	if (o->hold_upto && want > o->hold_upto)
		want = need > o->hold_upto ? need : o->hold_upto;
	for (;;) {
		if (want > o->asked)
			o->asked = want; /* a failed call may have taken some: given back at the end */
		if (fallocate(o->fd, FALLOC_FL_KEEP_SIZE, (off_t)o->held, (off_t)(want - o->held)) == 0) {
			o->held = want;
			return 0;
		}
		int e = errno;
		if (e == EINTR)
			continue;
		if (e == EOPNOTSUPP || e == ENOSYS || e == ENODEV || e == ESPIPE) {
			o->hold_off = true; /* written as it comes, as without fallocate */
			return 0;
		}
		if ((e == ENOSPC || e == EDQUOT) && want > need) {
			want = need; /* no room ahead: only what this region needs */
			continue;
		}
		return -e;
	}
}

/* What was taken past from (and past the file's size) goes back: a hole
 * punched there, or (settled: no write in flight, the size is final) a
 * truncation to the size, which is what ext4 heeds past the end. */
static void give_back(struct rf__output *o, uint64_t from, bool settled)
{
	struct stat st;
	if (o->hold_off || o->asked <= from || fstat(o->fd, &st) < 0)
		return;
	if (from < (uint64_t)st.st_size)
		from = (uint64_t)st.st_size;
	if (from >= o->asked)
		return;
	if (settled) {
		if (ftruncate(o->fd, st.st_size) == 0)
			o->asked = o->held = from;
	} else if (fallocate(o->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from,
	                     (off_t)(o->asked - from)) == 0 &&
	           o->held > from) {
		o->held = from; /* asked stays: ext4 may have punched nothing */
	}
}

/* path.part opened with these flags (truncated to pos when continuing). */
static int output_new(const struct rf__output_ops *ops, const char *path, int flags, uint64_t pos,
                      struct rf__output **out, char *why, size_t why_len)
{
	*out = NULL;
	struct rf__output *o = rf__calloc(1, sizeof(*o));
	if (o)
		o->fd = -1;
	size_t n = strlen(path);
	if (!o || !(o->path = rf__strdup(path)) || !(o->part = rf__malloc(n + sizeof(".part")))) {
		rf__output_free(o);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	memcpy(o->part, path, n);
	memcpy(o->part + n, ".part", sizeof(".part"));
	o->ops = ops;
	o->fd = open(o->part, flags | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (o->fd < 0 || (pos && ftruncate(o->fd, (off_t)pos) < 0)) {
		int err = -errno;
		snprintf(why, why_len, "%s: %s", o->part, strerror(errno));
		rf__output_free(o);
		return err;
	}
	o->pos = o->held = o->asked = pos;
	int err = hold(o, pos + ops->trailer_room, false);
	if (err) {
		snprintf(why, why_len, "%s: %s", o->part, strerror(-err));
		if (flags & O_CREAT)
			unlink(o->part); /* nothing of it is whole */
		rf__output_free(o);
		return err;
	}
	*out = o;
	return 0;
}

int rf__output_open(const struct rf__output_ops *ops, const char *path, struct rf__output **out, char *why,
                    size_t why_len)
{
	return output_new(ops, path, O_CREAT | O_TRUNC, 0, out, why, why_len);
}

int rf__output_reopen(const struct rf__output_ops *ops, const char *path, uint64_t pos,
                      struct rf__output **out, char *why, size_t why_len)
{
	return output_new(ops, path, 0, pos, out, why, why_len);
}

int rf__output_reserve(struct rf__output *o, uint64_t len, uint64_t *at)
{
	int err = hold(o, o->pos + len + o->ops->trailer_room, true);
	if (err)
		return err;
	*at = o->pos;
	o->pos += len;
	o->records++;
	return 0;
}

void rf__output_hold_no_more(struct rf__output *o)
{
	o->hold_no_more = true; /* (the regions placed in it after this take what they need) */
	give_back(o, o->pos + o->ops->trailer_room, false); /* (ext4: at the end) */
}

void rf__output_write_begin(struct rf__output *o)
{
	o->writes++;
}

void rf__output_write_done(struct rf__output *o, int res, size_t want)
{
	assert(o->writes > 0);
	o->writes--;
	if (!o->err && (res < 0 || (size_t)res != want))
		o->err = res < 0 ? res : -EIO; /* a region is written whole */
}

static int write_all(int fd, const char *p, size_t len, uint64_t off)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

int rf__output_end(struct rf__output *o, bool fsync_it, char *why, size_t why_len)
{
	if (o->writes) {
		snprintf(why, why_len, "%s: %u writes still in flight", o->part, o->writes);
		return -EBUSY;
	}
	if (o->err) {
		snprintf(why, why_len, "%s: a record could not be written (%s); kept as .part", o->part,
		         strerror(-o->err));
		return o->err;
	}
	char tail[4096];
	ssize_t n = o->ops->trailer ? o->ops->trailer(o, tail, sizeof(tail)) : 0;
	int err = n < 0 ? -EOVERFLOW : write_all(o->fd, tail, (size_t)n, o->pos);
	if (!err &&
	    ftruncate(o->fd, (off_t)(o->pos + (uint64_t)n)) < 0) /* nothing stale or held past the end */
		err = -errno;
	if (!err && fsync_it && fsync(o->fd) < 0)
		err = -errno;
	if (!err && rename(o->part, o->path) < 0)
		err = -errno;
	if (err) {
		snprintf(why, why_len, "%s: %s", o->part, strerror(-err));
		return err;
	}
	o->pos += (uint64_t)n;
	free(o->part);
	o->part = NULL; /* ended: nothing left under the .part name */
	return 0;
}

void rf__output_free(struct rf__output *o)
{
	if (!o)
		return;
	if (o->fd >= 0 && o->part)
		give_back(o, 0, !o->writes); /* a .part that stays keeps only what was written */
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o->part);
	free(o);
}
