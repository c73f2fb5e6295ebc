/*
 * output.c - a client-owned output many transfers append to (see
 * output.h): the write position, writes in flight, the end of the run.
 *
 * The end is plain syscalls, not ring ops: it runs once per output after
 * the ring's work is done (every slot finished, so no region write is in
 * flight), like the rename of a cookie file.
 */
#include "output.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"

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
	o->pos = pos;
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

uint64_t rf__output_reserve(struct rf__output *o, uint64_t len)
{
	uint64_t at = o->pos;
	o->pos += len;
	o->records++;
	return at;
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
	if (!err && ftruncate(o->fd, (off_t)(o->pos + (uint64_t)n)) < 0) /* nothing stale past the end */
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
	if (o->fd >= 0)
		close(o->fd);
	free(o->path);
	free(o->part);
	free(o);
}
