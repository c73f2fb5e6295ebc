/*
 * loop_epoll.c - the epoll backend (see loop_epoll.h).
 *
 * Per descriptor: whether it is registered, whether the last try said it
 * would block for reading or writing (edge-triggered: only a new edge makes
 * it worth trying again), and at most one waiting op per direction (the
 * engine never has two receives or two sends on one socket).  A connect
 * waits on the write side and ends with getsockopt(SO_ERROR).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loop_epoll.h"
#include "bufring.h"

enum ep_kind { EP_NONE, EP_RECV, EP_READ, EP_SEND, EP_CONNECT, EP_POLL };

struct ep_op {
	enum ep_kind kind;
	rf__tag tag;
	void *buf;
	unsigned len;
};

struct ep_fd {
	bool registered, file; /* file: a regular file, read at once */
	bool rd_blocked, wr_blocked;
	struct ep_op rd, wr;
};

struct ep_done {
	rf__tag t;
	int res;
	unsigned flags; /* RF__F_POOL with the buffer id (loop.h) */
};

struct rf__ep {
	int epfd;
	struct ep_fd *fds;
	unsigned nfds;
	struct ep_done *done;
	unsigned ndone, cap_done;
	unsigned waiting;         /* ops waiting for an edge */
	uint64_t *sys;            /* the loop's syscall counters */
	struct rf__bufring *pool; /* receives without a buffer take from it */
};

#define COUNT(e, kind) ((e)->sys[RF__SYS_##kind]++)

int rf__ep_new(struct rf__ep **out, uint64_t *sys)
{
	struct rf__ep *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->sys = sys;
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		int err = -errno;
		free(e);
		return err;
	}
	*out = e;
	return 0;
}

void rf__ep_free(struct rf__ep *e)
{
	if (!e)
		return;
	close(e->epfd);
	free(e->fds);
	free(e->done);
	free(e);
}

static void post_flags(struct rf__ep *e, rf__tag t, int res, unsigned flags)
{
	if (e->ndone == e->cap_done) {
		unsigned cap = e->cap_done ? 2 * e->cap_done : 256;
		struct ep_done *d = realloc(e->done, cap * sizeof(*d));
		if (!d)
			abort(); /* a completion must never be lost; 16 bytes each */
		e->done = d;
		e->cap_done = cap;
	}
	e->done[e->ndone++] = (struct ep_done){t, res, flags};
}

void rf__ep_post(struct rf__ep *e, rf__tag t, int res)
{
	post_flags(e, t, res, 0);
}

void rf__ep_set_pool(struct rf__ep *e, struct rf__bufring *pool)
{
	e->pool = pool;
}

static struct ep_fd *fd_state(struct rf__ep *e, int fd)
{
	if ((unsigned)fd >= e->nfds) {
		unsigned n = e->nfds ? e->nfds : 64;
		while (n <= (unsigned)fd)
			n *= 2;
		struct ep_fd *f = realloc(e->fds, n * sizeof(*f));
		if (!f)
			return NULL;
		memset(f + e->nfds, 0, (n - e->nfds) * sizeof(*f));
		e->fds = f;
		e->nfds = n;
	}
	return &e->fds[fd];
}

/* Registered, nonblocking, edge-triggered; false for a regular file
 * (epoll refuses those: they are always "ready"). */
static struct ep_fd *watch(struct rf__ep *e, int fd, rf__tag t)
{
	struct ep_fd *f = fd >= 0 ? fd_state(e, fd) : NULL;
	if (!f) {
		rf__ep_post(e, t, fd < 0 ? -EBADF : -ENOMEM);
		return NULL;
	}
	if (f->registered)
		return f;
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.fd = fd};
	COUNT(e, EPOLL_CTL);
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		if (errno != EPERM) {
			rf__ep_post(e, t, -errno);
			return NULL;
		}
		f->file = true;
	} else {
		COUNT(e, OTHER);
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0 && !(fl & O_NONBLOCK) && (COUNT(e, OTHER), 1))
			fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	}
	f->registered = true;
	f->rd_blocked = f->wr_blocked = false;
	return f;
}

/* Try the read-side op: true when it finished (result posted). */
/* A poll op (either side): ready now, or wait for the next edge. */
static bool try_poll(struct rf__ep *e, struct ep_op *op, bool *blocked, int fd)
{
	struct pollfd p = {.fd = fd, .events = (short)op->len};
	COUNT(e, OTHER);
	int n = poll(&p, 1, 0);
	if (n == 0 || (n < 0 && errno == EINTR)) {
		*blocked = true;
		return false;
	}
	rf__ep_post(e, op->tag, n < 0 ? -errno : p.revents);
	op->kind = EP_NONE;
	return true;
}

static bool try_read(struct rf__ep *e, struct ep_fd *f, int fd)
{
	struct ep_op *op = &f->rd;
	if (op->kind == EP_POLL)
		return try_poll(e, op, &f->rd_blocked, fd);
	void *buf = op->buf;
	unsigned len = op->len, bid = 0;
	bool pooled = op->kind == EP_RECV && !buf;
	if (pooled) { /* the pool's buffer, taken now that bytes may be there */
		if (!e->pool || !rf__bufring_take(e->pool, &bid)) {
			rf__ep_post(e, op->tag, -ENOBUFS);
			op->kind = EP_NONE;
			return true;
		}
		buf = rf__bufring_addr(e->pool, bid);
		len = rf__bufring_size(e->pool);
	}
	op->kind == EP_RECV ? COUNT(e, RECV) : COUNT(e, READ);
	ssize_t n = op->kind == EP_RECV ? recv(fd, buf, len, MSG_DONTWAIT) : read(fd, buf, len);
	if (pooled && n < 0)
		rf__bufring_put(e->pool, bid);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		f->rd_blocked = true;
		return false;
	}
	if (n < 0 && errno == EINTR)
		return false;
	post_flags(e, op->tag, n < 0 ? -errno : (int)n,
	           pooled && n >= 0 ? RF__F_POOL | bid << RF__F_BID_SHIFT : 0);
	op->kind = EP_NONE;
	return true;
}

static bool try_write(struct rf__ep *e, struct ep_fd *f, int fd)
{
	struct ep_op *op = &f->wr;
	int res;
	if (op->kind == EP_POLL)
		return try_poll(e, op, &f->wr_blocked, fd);
	if (op->kind == EP_CONNECT) {
		int err = 0;
		socklen_t len = sizeof(err);
		COUNT(e, OTHER);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		if (!err && (COUNT(e, OTHER), getpeername(fd, (struct sockaddr *)&peer, &plen) != 0))
			err = errno == ENOTCONN ? EINPROGRESS : errno; /* not yet */
		if (err == EINPROGRESS || err == EALREADY) {
			f->wr_blocked = true;
			return false;
		}
		res = -err;
	} else {
		COUNT(e, SEND);
		ssize_t n = send(fd, op->buf, op->len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			f->wr_blocked = true;
			return false;
		}
		if (n < 0 && errno == EINTR)
			return false;
		res = n < 0 ? -errno : (int)n;
	}
	rf__ep_post(e, op->tag, res);
	op->kind = EP_NONE;
	return true;
}

static void start(struct rf__ep *e, rf__tag t, int fd, enum ep_kind kind, void *buf, unsigned len)
{
	struct ep_fd *f = watch(e, fd, t);
	if (!f)
		return;
	bool rd = kind == EP_RECV || kind == EP_READ || (kind == EP_POLL && (len & POLLIN));
	if (f->file && kind == EP_POLL) {
		rf__ep_post(e, t, (int)len); /* a regular file is always ready */
		return;
	}
	if (f->file) { /* a regular file: never blocks for readiness */
		COUNT(e, READ);
		ssize_t n = read(fd, buf, len);
		rf__ep_post(e, t, n < 0 ? -errno : (int)n);
		return;
	}
	struct ep_op *op = rd ? &f->rd : &f->wr;
	if (op->kind != EP_NONE) {
		rf__ep_post(e, t, -EBUSY); /* the engine never does this */
		return;
	}
	*op = (struct ep_op){kind, t, buf, len};
	bool blocked = kind != EP_POLL && (rd ? f->rd_blocked : f->wr_blocked);
	bool done = !blocked && (rd ? try_read(e, f, fd) : try_write(e, f, fd));
	if (!done)
		e->waiting++;
}

void rf__ep_socket(struct rf__ep *e, rf__tag t, int domain)
{
	COUNT(e, SOCKET);
	int fd = socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rf__ep_post(e, t, fd < 0 ? -errno : fd);
}

void rf__ep_connect(struct rf__ep *e, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len)
{
	/* connect first, then register: an unconnected socket reads as
	 * writable (and hung up), which is not the edge a connect waits for */
	COUNT(e, CONNECT);
	int r = connect(fd, sa, len);
	int err = r == 0 ? 0 : errno;
	struct ep_fd *f = watch(e, fd, t);
	if (!f)
		return;
	if (err != EINPROGRESS) {
		rf__ep_post(e, t, -err);
		return;
	}
	f->wr = (struct ep_op){EP_CONNECT, t, NULL, 0};
	f->wr_blocked = true; /* the edge says it is done */
	e->waiting++;
}

void rf__ep_send(struct rf__ep *e, rf__tag t, int fd, const void *buf, unsigned len)
{
	start(e, t, fd, EP_SEND, (void *)buf, len);
}

void rf__ep_recv(struct rf__ep *e, rf__tag t, int fd, void *buf, unsigned len)
{
	start(e, t, fd, EP_RECV, buf, len);
}

void rf__ep_read(struct rf__ep *e, rf__tag t, int fd, void *buf, unsigned len)
{
	start(e, t, fd, EP_READ, buf, len);
}

void rf__ep_poll(struct rf__ep *e, rf__tag t, int fd, unsigned events)
{
	start(e, t, fd, EP_POLL, NULL, events & (POLLIN | POLLOUT));
}

static void cancel_op(struct rf__ep *e, struct ep_op *op)
{
	if (op->kind == EP_NONE)
		return;
	rf__ep_post(e, op->tag, -ECANCELED);
	op->kind = EP_NONE;
	e->waiting--;
}

void rf__ep_forget(struct rf__ep *e, int fd)
{
	if (fd < 0 || (unsigned)fd >= e->nfds || !e->fds[fd].registered)
		return;
	struct ep_fd *f = &e->fds[fd];
	cancel_op(e, &f->rd);
	cancel_op(e, &f->wr);
	if (!f->file) {
		COUNT(e, EPOLL_CTL);
		epoll_ctl(e->epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	memset(f, 0, sizeof(*f));
}

void rf__ep_close(struct rf__ep *e, rf__tag t, int fd)
{
	if (fd >= 0 && (unsigned)fd < e->nfds) {
		struct ep_fd *f = &e->fds[fd];
		cancel_op(e, &f->rd);
		cancel_op(e, &f->wr);
		memset(f, 0, sizeof(*f));
	}
	COUNT(e, CLOSE);
	rf__ep_post(e, t, close(fd) == 0 ? 0 : -errno);
}

void rf__ep_cancel(struct rf__ep *e, rf__tag victim)
{
	for (unsigned i = 0; i < e->nfds && e->waiting; i++) {
		struct ep_fd *f = &e->fds[i];
		if (f->rd.kind != EP_NONE && f->rd.tag == victim)
			cancel_op(e, &f->rd);
		if (f->wr.kind != EP_NONE && f->wr.tag == victim)
			cancel_op(e, &f->wr);
	}
}

static void ready(struct rf__ep *e, int fd, uint32_t events)
{
	struct ep_fd *f = (unsigned)fd < e->nfds ? &e->fds[fd] : NULL;
	if (!f || !f->registered)
		return;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		f->rd_blocked = false;
		if (f->rd.kind != EP_NONE && try_read(e, f, fd))
			e->waiting--;
	}
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) {
		f->wr_blocked = false;
		if (f->wr.kind != EP_NONE && try_write(e, f, fd))
			e->waiting--;
	}
}

int rf__ep_run(struct rf__ep *e, int64_t timeout_ns, rf__completion_fn fn, void *arg)
{
	struct epoll_event evs[256];
	struct timespec ts, *tsp = NULL;
	if (e->ndone)
		timeout_ns = 0; /* results are waiting: only look */
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	COUNT(e, EPOLL_WAIT);
	int n = epoll_pwait2(e->epfd, evs, sizeof(evs) / sizeof(evs[0]), tsp, NULL);
	if (n < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < n; i++)
		ready(e, evs[i].data.fd, evs[i].events);
	/* hand out what is queued now; fn may queue more, for the next call */
	unsigned count = e->ndone;
	for (unsigned i = 0; i < count; i++) {
		struct ep_done d = e->done[i];
		fn(arg, d.t, d.res, d.flags);
	}
	if (count) {
		memmove(e->done, e->done + count, (e->ndone - count) * sizeof(*e->done));
		e->ndone -= count;
	}
	return 0;
}
