/*
 * fake_loop.c - src/loop.c's interface over memory (see fake_loop.h).
 */
#include "fake_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"

#define MAX_OPS 4096
#define MAX_FDS 4096
#define FD_BASE 1000 /* fake descriptors never collide with real ones */
#define MAX_FILES 4096

enum fd_kind { FD_NONE, FD_SOCKET, FD_FILE, FD_DIR };

struct conn {
	char req[65536];
	size_t req_len;
	char *out; /* response bytes not yet received */
	size_t out_len, out_cap;
	bool close_after, eof;
};

struct fd {
	enum fd_kind kind;
	bool open;
	int file; /* FD_FILE: index in files */
	size_t pos;
	struct conn *conn;
};

struct op {
	rf__tag tag;
	enum rf__op_kind kind;
	int code; /* which rf__op_* queued it */
	int fd, flags;
	void *buf;
	const void *cbuf;
	unsigned len;
	int64_t off;
	char path[512], path2[512];
	bool canceled;
};

enum {
	C_SOCKET,
	C_CONNECT,
	C_SEND,
	C_RECV,
	C_READ,
	C_OPEN,
	C_FALLOCATE,
	C_WRITE,
	C_CLOSE,
	C_RENAME,
	C_UNLINK,
	C_FSYNC,
	C_SPLICE,
	C_LINK
};

struct rf__loop {
	int dummy;
};

static struct {
	struct fake_config cfg;
	uint64_t rng;
	struct op ops[MAX_OPS];
	unsigned nops;
	struct fd fds[MAX_FDS];
	struct fake_file files[MAX_FILES];
	unsigned nfiles;
	unsigned long completions, writes, recvs;
	unsigned idle_spins;
} F;

static uint64_t rnd(void)
{
	F.rng ^= F.rng << 13;
	F.rng ^= F.rng >> 7;
	F.rng ^= F.rng << 17;
	return F.rng;
}

void fake_setup(const struct fake_config *cfg)
{
	fake_reset();
	F.cfg = *cfg;
	F.rng = cfg->seed * 0x9E3779B97F4A7C15ull + 7;
}

void fake_reset(void)
{
	for (unsigned i = 0; i < MAX_FDS; i++) {
		if (F.fds[i].conn) {
			free(F.fds[i].conn->out);
			free(F.fds[i].conn);
		}
	}
	for (unsigned i = 0; i < F.nfiles; i++)
		free(F.files[i].data);
	memset(&F, 0, sizeof(F));
}

const struct fake_file *fake_file(const char *path)
{
	for (unsigned i = 0; i < F.nfiles; i++)
		if (F.files[i].exists && strcmp(F.files[i].path, path) == 0)
			return &F.files[i];
	return NULL;
}

unsigned fake_files(const struct fake_file **out)
{
	*out = F.files;
	return F.nfiles;
}

unsigned fake_open_files(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < MAX_FDS; i++)
		n += (F.fds[i].kind == FD_FILE || F.fds[i].kind == FD_DIR) && F.fds[i].open;
	return n;
}

/* Reads of the loop's own descriptors (resolver wake-ups, signals) never
 * complete here; fire-and-forget ops (RF__OP_NONE: closing a connection)
 * are nobody's to wait for. */
static bool background(const struct op *o)
{
	return (o->code == C_READ && (o->fd < FD_BASE || o->fd >= FD_BASE + MAX_FDS));
}

static bool counted(const struct op *o)
{
	return !background(o) && o->kind != RF__OP_NONE;
}

unsigned fake_pending_ops(void)
{
	unsigned n = 0;
	for (unsigned i = 0; i < F.nops; i++)
		n += counted(&F.ops[i]);
	return n;
}

unsigned long fake_completions(void)
{
	return F.completions;
}

/* ---- the loop interface ---- */

int rf__loop_new(unsigned depth, enum rf__io io, enum rf__setup setup, struct rf__loop **out,
                 const char **why)
{
	(void)depth, (void)io, (void)setup;
	if (why)
		*why = "";
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

void rf__loop_free(struct rf__loop *l)
{
	free(l);
}

void rf__loop_set_submit_batch(struct rf__loop *l, unsigned n)
{
	(void)l, (void)n;
}

bool rf__loop_is_epoll(const struct rf__loop *l)
{
	(void)l;
	return false;
}

int rf__loop_pin_workers(struct rf__loop *l, int cpu)
{
	(void)l;
	(void)cpu;
	return 0;
}

const char *rf__loop_mode(const struct rf__loop *l)
{
	(void)l;
	return "fake";
}

/* The fake completes every op in an order the test picks: inline or not
 * makes no difference to it. */
void rf__loop_set_file_inline(struct rf__loop *l, bool on)
{
	(void)l, (void)on;
}

static struct op *queue(rf__tag t, int code)
{
	if (F.nops == MAX_OPS) {
		fprintf(stderr, "fake: too many ops\n");
		abort();
	}
	struct op *o = &F.ops[F.nops++];
	memset(o, 0, sizeof(*o));
	o->tag = t;
	o->kind = rf__tag_op(t);
	o->code = code;
	o->fd = -1;
	return o;
}

static struct fd *fd_of(int fd)
{
	if (fd < FD_BASE || fd >= FD_BASE + MAX_FDS)
		return NULL;
	return &F.fds[fd - FD_BASE];
}

static int new_fd(enum fd_kind kind)
{
	for (unsigned i = 0; i < MAX_FDS; i++) {
		if (F.fds[i].kind == FD_NONE || !F.fds[i].open) {
			if (F.fds[i].conn) {
				free(F.fds[i].conn->out);
				free(F.fds[i].conn);
			}
			memset(&F.fds[i], 0, sizeof(F.fds[i]));
			F.fds[i].kind = kind;
			F.fds[i].open = true;
			return (int)i + FD_BASE;
		}
	}
	return -EMFILE;
}

static unsigned maybe_short(unsigned len)
{
	if (len > 1 && rnd() % 100 < F.cfg.short_percent)
		return 1 + (unsigned)(rnd() % (len - 1));
	return len;
}

void rf__op_socket(struct rf__loop *l, rf__tag t, int domain)
{
	(void)l, (void)domain;
	queue(t, C_SOCKET);
}

void rf__op_connect(struct rf__loop *l, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len)
{
	(void)l, (void)sa, (void)len;
	queue(t, C_CONNECT)->fd = fd;
}

void rf__op_send(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len)
{
	(void)l;
	struct op *o = queue(t, C_SEND);
	o->fd = fd, o->cbuf = buf, o->len = len;
}

void rf__op_recv(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len)
{
	(void)l;
	struct op *o = queue(t, C_RECV);
	o->fd = fd, o->buf = buf, o->len = len;
}

void rf__op_read(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len)
{
	(void)l;
	struct op *o = queue(t, C_READ);
	o->fd = fd, o->buf = buf, o->len = len, o->off = -1;
}

void rf__op_read_at(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len, uint64_t off)
{
	(void)l;
	struct op *o = queue(t, C_READ);
	o->fd = fd, o->buf = buf, o->len = len, o->off = (int64_t)off;
}

void rf__op_open(struct rf__loop *l, rf__tag t, const char *path, int flags, unsigned mode)
{
	(void)l, (void)mode;
	struct op *o = queue(t, C_OPEN);
	snprintf(o->path, sizeof(o->path), "%s", path);
	o->flags = flags;
}

void rf__op_fallocate(struct rf__loop *l, rf__tag t, int fd, int mode, uint64_t off, uint64_t len)
{
	(void)l, (void)mode, (void)off, (void)len;
	queue(t, C_FALLOCATE)->fd = fd;
}

void rf__op_write(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len, int64_t off)
{
	(void)l;
	struct op *o = queue(t, C_WRITE);
	o->fd = fd, o->cbuf = buf, o->len = len, o->off = off;
}

void rf__op_close(struct rf__loop *l, rf__tag t, int fd)
{
	(void)l;
	queue(t, C_CLOSE)->fd = fd;
}

void rf__op_rename(struct rf__loop *l, rf__tag t, const char *from, const char *to, unsigned flags)
{
	(void)l;
	struct op *o = queue(t, C_RENAME);
	snprintf(o->path, sizeof(o->path), "%s", from);
	snprintf(o->path2, sizeof(o->path2), "%s", to);
	o->flags = (int)flags;
}

void rf__op_unlink(struct rf__loop *l, rf__tag t, const char *path)
{
	(void)l;
	snprintf(queue(t, C_UNLINK)->path, sizeof(F.ops[0].path), "%s", path);
}

void rf__op_link(struct rf__loop *l, rf__tag t, const char *from, const char *to)
{
	(void)l;
	struct op *o = queue(t, C_LINK);
	snprintf(o->path, sizeof(o->path), "%s", from);
	snprintf(o->path2, sizeof(o->path2), "%s", to);
}

void rf__op_fsync(struct rf__loop *l, rf__tag t, int fd)
{
	(void)l;
	queue(t, C_FSYNC)->fd = fd;
}

void rf__op_splice(struct rf__loop *l, rf__tag t, int fd_in, int64_t off_in, int fd_out, int64_t off_out,
                   unsigned len, unsigned flags, bool hardlink)
{
	(void)l, (void)fd_in, (void)off_in, (void)fd_out, (void)off_out, (void)len, (void)flags;
	(void)hardlink;
	queue(t, C_SPLICE);
}

/* The state machine tests use IP literals: no resolver socket is polled. */
void rf__op_poll(struct rf__loop *l, rf__tag t, int fd, unsigned events)
{
	(void)l, (void)t, (void)fd, (void)events;
}

void rf__loop_forget_fd(struct rf__loop *l, int fd, rf__tag rd_tag, rf__tag wr_tag)
{
	(void)l, (void)fd, (void)rd_tag, (void)wr_tag;
}

void rf__op_cancel(struct rf__loop *l, rf__tag victim)
{
	(void)l;
	for (unsigned i = 0; i < F.nops; i++)
		if (F.ops[i].tag == victim)
			F.ops[i].canceled = true;
}

/* ---- completing ops ---- */

static struct fake_file *file_named(const char *path, bool create)
{
	for (unsigned i = 0; i < F.nfiles; i++)
		if (F.files[i].exists && strcmp(F.files[i].path, path) == 0)
			return &F.files[i];
	if (!create || F.nfiles == MAX_FILES)
		return NULL;
	struct fake_file *f = &F.files[F.nfiles++];
	memset(f, 0, sizeof(*f));
	snprintf(f->path, sizeof(f->path), "%s", path);
	f->exists = 1;
	return f;
}

static void conn_take_requests(struct conn *c)
{
	char *end;
	while ((end = memmem(c->req, c->req_len, "\r\n\r\n", 4))) {
		size_t used = (size_t)(end + 4 - c->req);
		char path[1024] = "";
		sscanf(c->req, "%*s %1023s", path);
		size_t n = 0;
		int close_after = 0;
		const char *resp = F.cfg.respond(path, &n, &close_after);
		if (c->out_len + n > c->out_cap) {
			c->out_cap = (c->out_len + n) * 2 + 1;
			c->out = realloc(c->out, c->out_cap);
		}
		memcpy(c->out + c->out_len, resp, n);
		c->out_len += n;
		c->close_after |= close_after != 0;
		memmove(c->req, c->req + used, c->req_len - used);
		c->req_len -= used;
	}
}

static bool completable(const struct op *o)
{
	if (background(o))
		return false;
	if (o->canceled || o->code != C_RECV)
		return true;
	struct fd *f = fd_of(o->fd);
	return !f || !f->conn || f->conn->out_len > 0 || f->conn->close_after || f->conn->eof;
}

static int complete(struct op *o)
{
	if (o->canceled)
		return -ECANCELED;
	struct fd *f = fd_of(o->fd);
	switch (o->code) {
	case C_SOCKET: {
		int fd = new_fd(FD_SOCKET);
		if (fd >= 0)
			fd_of(fd)->conn = calloc(1, sizeof(struct conn));
		return fd;
	}
	case C_CONNECT:
		return f && f->kind == FD_SOCKET ? 0 : -EBADF;
	case C_SEND: {
		if (!f || !f->conn)
			return -EBADF;
		unsigned n = maybe_short(o->len);
		if (f->conn->req_len + n > sizeof(f->conn->req))
			return -EMSGSIZE;
		memcpy(f->conn->req + f->conn->req_len, o->cbuf, n);
		f->conn->req_len += n;
		conn_take_requests(f->conn);
		return (int)n;
	}
	case C_RECV: {
		if (!f || !f->conn)
			return -EBADF;
		if (F.cfg.reset_recv_at && ++F.recvs == (unsigned long)F.cfg.reset_recv_at)
			return -ECONNRESET;
		struct conn *c = f->conn;
		if (c->out_len == 0) {
			c->eof = true;
			return 0;
		}
		unsigned n = maybe_short(o->len);
		if (n > c->out_len)
			n = (unsigned)c->out_len;
		memcpy(o->buf, c->out, n);
		memmove(c->out, c->out + n, c->out_len - n);
		c->out_len -= n;
		return (int)n;
	}
	case C_OPEN: {
		/* a file system without O_TMPFILE: the sink falls back to .part */
		if ((o->flags & O_TMPFILE) == O_TMPFILE)
			return -EOPNOTSUPP;
		struct fake_file *file = file_named(o->path, false);
		if (o->flags & O_DIRECTORY)
			return new_fd(FD_DIR);
		if (!file && !(o->flags & O_CREAT))
			return -ENOENT;
		if (!file && !(file = file_named(o->path, true)))
			return -ENOSPC;
		if (o->flags & O_TRUNC)
			file->len = 0;
		int fd = new_fd(FD_FILE);
		if (fd >= 0)
			fd_of(fd)->file = (int)(file - F.files);
		return fd;
	}
	case C_WRITE: {
		if (!f || f->kind != FD_FILE)
			return -EBADF;
		if (F.cfg.fail_write_at && ++F.writes == (unsigned long)F.cfg.fail_write_at)
			return -EIO;
		struct fake_file *file = &F.files[f->file];
		unsigned n = maybe_short(o->len);
		size_t at = o->off < 0 ? f->pos : (size_t)o->off;
		if (at + n > file->len) {
			file->data = realloc(file->data, at + n);
			memset(file->data + file->len, 0, at + n - file->len);
			file->len = at + n;
		}
		memcpy(file->data + at, o->cbuf, n);
		if (o->off < 0)
			f->pos = at + n;
		return (int)n;
	}
	case C_READ: {
		if (!f || f->kind != FD_FILE)
			return -EBADF;
		struct fake_file *file = &F.files[f->file];
		size_t at = (size_t)o->off;
		size_t n = at >= file->len ? 0 : file->len - at;
		if (n > o->len)
			n = o->len;
		memcpy(o->buf, file->data + at, n);
		return (int)n;
	}
	case C_CLOSE:
		if (!f || !f->open)
			return -EBADF;
		f->open = false;
		return 0;
	case C_FALLOCATE:
	case C_FSYNC:
		return f && f->open ? 0 : -EBADF;
	case C_RENAME: {
		struct fake_file *from = file_named(o->path, false);
		if (!from)
			return -ENOENT;
		struct fake_file *to = file_named(o->path2, false);
		if (to && (o->flags & 1 /* RENAME_NOREPLACE */))
			return -EEXIST;
		if (to)
			to->exists = 0;
		snprintf(from->path, sizeof(from->path), "%s", o->path2);
		return 0;
	}
	case C_UNLINK: {
		struct fake_file *file = file_named(o->path, false);
		if (!file)
			return -ENOENT;
		file->exists = 0;
		return 0;
	}
	case C_LINK:
		return -EOPNOTSUPP; /* never reached: no O_TMPFILE here */
	default:
		return -EINVAL; /* splice: the tests run without it */
	}
}

int rf__loop_run_once(struct rf__loop *l, int64_t timeout_ns, rf__completion_fn fn, void *arg)
{
	(void)l, (void)timeout_ns;
	unsigned idx[MAX_OPS], n = 0;
	for (unsigned i = 0; i < F.nops; i++)
		if (completable(&F.ops[i]))
			idx[n++] = i;
	if (n == 0) {
		if (++F.idle_spins > 100000) {
			fprintf(stderr, "fake: stuck: %u ops pending, none can complete\n", F.nops);
			abort();
		}
		return 0;
	}
	F.idle_spins = 0;
	unsigned pick = idx[rnd() % n];
	struct op o = F.ops[pick];
	F.ops[pick] = F.ops[--F.nops]; /* order does not matter: picks are random */
	int res = complete(&o);
	F.completions++;
	if (o.kind != RF__OP_NONE)
		fn(arg, o.tag, res, 0);
	return 0;
}

void fake_dump_pending(void)
{
	static const char *const names[] = {"socket", "connect",   "send",  "recv",  "read",
	                                    "open",   "fallocate", "write", "close", "rename",
	                                    "unlink", "fsync",     "splice"};
	for (unsigned i = 0; i < F.nops; i++)
		if (counted(&F.ops[i]))
			fprintf(stderr, "fake: pending %s (op kind %d, slot %u) fd %d%s\n",
			        names[F.ops[i].code], (int)F.ops[i].kind,
			        rf__tag_idx(F.ops[i].tag) & 0x7fffffff, F.ops[i].fd,
			        completable(&F.ops[i]) ? "" : " (cannot complete)");
}

void rf__loop_add_stats(const struct rf__loop *l, struct rf_io_stats *out)
{
	(void)l, (void)out; /* no kernel here */
}

/* No receive pool here: the engine keeps its own buffers (the pool runs
 * against the real ring and epoll in the integration suites). */
int rf__loop_pool_setup(struct rf__loop *l, unsigned n, unsigned size, bool incremental)
{
	(void)l, (void)n, (void)size, (void)incremental;
	return -EOPNOTSUPP;
}

char *rf__loop_pool_piece(const struct rf__loop *l, unsigned flags, unsigned *room)
{
	(void)l, (void)flags;
	*room = 0;
	return NULL;
}

unsigned rf__loop_pool_size(const struct rf__loop *l)
{
	(void)l;
	return 0;
}

unsigned rf__loop_pool_avail(const struct rf__loop *l)
{
	(void)l;
	return 0;
}

void rf__loop_pool_put(struct rf__loop *l, unsigned bid)
{
	(void)l, (void)bid;
}

bool rf__loop_pool_multishot(const struct rf__loop *l)
{
	(void)l;
	return false;
}

void rf__op_recv_multishot(struct rf__loop *l, rf__tag t, int fd)
{
	(void)l, (void)t, (void)fd;
	abort(); /* never asked for without a pool */
}

int rf__loop_use_fixed_files(struct rf__loop *l, int mode, unsigned n, char *detail, size_t len)
{
	(void)l, (void)mode, (void)n, (void)detail, (void)len;
	return 0; /* no kernel table here */
}

int rf__loop_pool_register(struct rf__loop *l)
{
	(void)l;
	return -EOPNOTSUPP; /* never asked: there is no pool here */
}

bool rf__loop_send_zc_ok(struct rf__loop *l)
{
	(void)l;
	return false;
}

void rf__op_send_zc(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len)
{
	(void)l, (void)t, (void)fd, (void)buf, (void)len;
	abort(); /* never asked for without the kernel's SEND_ZC */
}

void rf__loop_describe(const struct rf__loop *l, char *buf, size_t len)
{
	(void)l;
	snprintf(buf, len, "fake loop");
}
