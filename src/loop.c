/*
 * loop.c - the ring: setup with fallbacks, op submission, completion batches.
 *
 * Setup tries SINGLE_ISSUER | DEFER_TASKRUN (completions are only processed
 * when this thread waits, which suits a single-threaded event loop), then
 * COOP_TASKRUN, then plain flags, so older kernels still work.  The CQ is
 * sized at four times the SQ so bursts of completions do not overflow.
 *
 * Completions are walked in batches with io_uring_for_each_cqe and retired
 * with one io_uring_cq_advance; new SQEs from the handlers go out with the
 * next io_uring_submit_and_wait_timeout, whose timeout is the next timer.
 *
 * File ops inline (rf__loop_set_file_inline, --file-io inline): opens,
 * fallocates, renames, links, unlinks, closes of files, prefix reads and writes
 * within a file's first INLINE_WRITE_MAX bytes become plain syscalls on the
 * loop thread.  On ext4 and xfs an O_CREAT open, a rename and a buffered
 * write never complete inside io_uring, so each would cost a hand-off to an
 * io-wq worker (and the workers contend on the directory's lock); done here
 * they cost the syscall alone.  Their results wait in `done` and are handed
 * out at the next rf__loop_run_once, before the CQEs, never from inside the
 * call that asked: the state machines see a completion as from the ring.
 * fsync, splices, writes to pipes and large writes stay on the ring.
 *
 * Fault injection (builds without NDEBUG, RINGFETCH_FAULTS, fault.h): PERCENT %
 * of the ops misbehave the way a real kernel may: kind s, reads, receives,
 * sends, writes and splices cut short (a random length from 1 byte); e,
 * socket and file ops failing instead of running (-EINTR, -EAGAIN,
 * -ECONNRESET on sockets, -EIO, -ENOSPC on files, -EMFILE on socket
 * creation), delivered as the op's completion through a NOP; q, the SQ
 * flushed early, as when it is full.  Closes, cancels, unlinks and the
 * loop's own reads are never touched: a fault must look like the kernel,
 * not leak a descriptor.
 */
#include "loop.h"
#include "bufring.h"
#include "fault.h"
#include "fixtab.h"
#include "loop_epoll.h"
#include "ringfetch.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <liburing.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

/* liburing 2.3's copy of the uapi lacks these; the values are the kernel's
 * (include/uapi/linux/io_uring.h, Linux 6.2) */
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3)
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

_Static_assert(RF__F_POOL == IORING_CQE_F_BUFFER && RF__F_MORE == IORING_CQE_F_MORE &&
                       RF__F_BID_SHIFT == IORING_CQE_BUFFER_SHIFT,
               "completion flags are the CQE's");

struct rf__loop {
	struct rf__ep *ep;        /* --io epoll: every op goes there, no ring */
	struct rf__loop_stats st; /* rf__loop_stats */
	bool sqpoll;              /* a kernel thread submits: no enter to submit */
	unsigned submit_batch;    /* > 0: submit as soon as this many SQEs wait */
	struct io_uring ring;
	const char *mode;
	struct rf__faults faults; /* injection (fault.h); percent 0: off */
	bool file_inline;         /* file ops as syscalls here (see above) */
	struct inline_done {
		rf__tag t;
		int res;
	} * done; /* their completions, in order */
	unsigned ndone, cap_done;
	struct rf__bufring *pool;         /* the receive pool, or NULL */
	char *piece;                      /* the pool bytes of the completion being */
	unsigned piece_room;              /* handed out (rf__loop_pool_piece) */
	bool pool_registered;             /* the pool's memory is fixed buffer 0 */
	uint64_t fixed_writes;            /* writes from it as WRITE_FIXED */
	uint64_t send_zc, send_zc_copied; /* zero-copy sends; the kernel copied */
	struct rf__fixtab *fixed;         /* sockets in the registered file table, or NULL */
	uint64_t fixed_added;
	int submit_err;              /* a submit failed for good: the run ends */
	struct io_uring_sqe scratch; /* what such an op's caller fills */
};

#define POOL_GROUP 1

static struct io_uring_sqe *get_sqe(struct rf__loop *l, rf__tag t);
static bool sq_room(struct rf__loop *l);
static void submit_due(struct rf__loop *l);
#define FIXED_FILES_DEFAULT true /* measured: README, bench/PATHS.md */

#define INLINE_WRITE_MAX (256u * 1024)

/* Injected failures ride in the top three bits of the NOP's user_data (op
 * kinds use bits 56..60), as an index into this table. */
#define FAULT_SHIFT 61
static const int fault_errno[8] = {0, EINTR, EAGAIN, ECONNRESET, EIO, ENOSPC, EMFILE, 0};
enum { F_EINTR = 1, F_EAGAIN, F_ECONNRESET, F_EIO, F_ENOSPC, F_EMFILE };

/* The ops the engine submits, with the kernel that brought the newest. */
static const struct {
	int op;
	const char *name;
} needed_ops[] = {
	{IORING_OP_NOP, "NOP"},
	{IORING_OP_SOCKET, "SOCKET (Linux 5.19)"},
	{IORING_OP_CONNECT, "CONNECT"},
	{IORING_OP_SEND, "SEND"},
	{IORING_OP_RECV, "RECV"},
	{IORING_OP_OPENAT, "OPENAT"},
	{IORING_OP_FALLOCATE, "FALLOCATE"},
	{IORING_OP_WRITE, "WRITE"},
	{IORING_OP_READ, "READ"},
	{IORING_OP_CLOSE, "CLOSE"},
	{IORING_OP_RENAMEAT, "RENAMEAT (Linux 5.11)"},
	{IORING_OP_UNLINKAT, "UNLINKAT (Linux 5.11)"},
	{IORING_OP_LINKAT, "LINKAT (Linux 5.15)"},
	{IORING_OP_FSYNC, "FSYNC"},
	{IORING_OP_SPLICE, "SPLICE"},
	{IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL"},
};

/* Does the ring support every op we submit?  NULL, or the missing op. */
static const char *missing_op(struct io_uring *ring)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	if (!p)
		return "the op probe (Linux 5.6)";
	const char *missing = NULL;
	for (size_t i = 0; i < sizeof(needed_ops) / sizeof(needed_ops[0]) && !missing; i++)
		if (!io_uring_opcode_supported(p, needed_ops[i].op))
			missing = needed_ops[i].name;
	io_uring_free_probe(p);
	return missing;
}

static int ring_new(unsigned depth, enum rf__setup setup, struct rf__loop **out, const char **why)
{
	static __thread char reason[200];
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	struct rf__loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	unsigned entries = 64;
	while (entries < depth && entries < 4096)
		entries <<= 1;
	/* by enum rf__setup; AUTO tries the first three in turn */
	static const struct {
		unsigned flags;
		const char *name;
	} modes[] = {
		{IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, "single-issuer+defer-taskrun"},
		{IORING_SETUP_COOP_TASKRUN, "coop-taskrun"},
		{0, "plain"},
		{IORING_SETUP_SQPOLL, "sqpoll"},
	};
	size_t first = setup == RF__SETUP_AUTO ? 0 : (size_t)setup - 1;
	size_t last = setup == RF__SETUP_AUTO ? 2 : first;
	int ret = -EINVAL;
	for (size_t i = first; i <= last; i++) {
		struct io_uring_params p;
		memset(&p, 0, sizeof(p));
		p.flags = modes[i].flags | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL;
		p.cq_entries = entries * 4;
		p.sq_thread_idle = 1000; /* sqpoll: the kernel thread sleeps after 1 s idle */
		ret = io_uring_queue_init_params(entries, &l->ring, &p);
		if (ret == 0) {
			const char *missing = missing_op(&l->ring);
			if (missing) {
				snprintf(reason, sizeof(reason),
				         "this kernel's io_uring lacks %s; ringfetch needs Linux 5.19 or "
				         "later",
				         missing);
				*why = reason;
				io_uring_queue_exit(&l->ring);
				free(l);
				return RF_EKERNEL;
			}
			l->mode = modes[i].name;
			l->sqpoll = (modes[i].flags & IORING_SETUP_SQPOLL) != 0;
			rf__faults_setup(&l->faults, 0);
			*out = l;
			return 0;
		}
		if (ret != -EINVAL)
			break;
	}
	free(l);
	if (ret == -EINVAL && setup != RF__SETUP_AUTO) {
		snprintf(reason, sizeof(reason), "this kernel cannot set up an io_uring as %s",
		         modes[first].name);
		*why = reason;
		return RF_EKERNEL;
	}
	if (ret == -EPERM || ret == -ENOSYS || ret == -EACCES) {
		snprintf(reason, sizeof(reason),
		         "io_uring cannot be set up here (%s): it is disabled "
		         "(sysctl kernel.io_uring_disabled, a seccomp profile as in Docker, gVisor) "
		         "or missing",
		         strerror(-ret));
		*why = reason;
	}
	return ret;
}

int rf__loop_new(unsigned depth, enum rf__io io, enum rf__setup setup, struct rf__loop **out,
                 const char **why)
{
	static __thread char note[300];
	const char *dummy;
	if (!why)
		why = &dummy;
	*why = "";
	bool fell_back = false;
	if (io != RF__IO_EPOLL) {
		int ret = ring_new(depth, setup, out, why);
		if (ret == 0 || io == RF__IO_URING)
			return ret;
		/* auto: whatever kept the ring from being set up, epoll will do */
		snprintf(note, sizeof(note), "%s; using epoll instead",
		         **why            ? *why
		         : ret == -ENOMEM ? "io_uring could not be set up (no memory for the ring)"
		                          : "io_uring could not be set up");
		fell_back = true;
	}
	struct rf__loop *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int err = rf__ep_new(&l->ep, l->st.sys);
	if (err) {
		free(l);
		*why = "epoll could not be set up";
		return err;
	}
	l->mode = "epoll";
	rf__faults_setup(&l->faults, 0);
	*out = l;
	*why = fell_back ? note : "";
	return 0;
}

bool rf__loop_is_epoll(const struct rf__loop *l)
{
	return l->ep != NULL;
}

int rf__loop_pin_workers(struct rf__loop *l, int cpu)
{
	if (l->ep || cpu < 0)
		return 0; /* epoll has no workers of its own */
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return io_uring_register_iowq_aff(&l->ring, sizeof(set), &set);
}

const struct rf__loop_stats *rf__loop_stats(const struct rf__loop *l)
{
	return &l->st;
}

void rf__loop_add_stats(const struct rf__loop *l, struct rf_io_stats *o)
{
	const uint64_t *s = l->st.sys;
	o->io_uring_enter += s[RF__SYS_IO_URING_ENTER];
	o->epoll_wait += s[RF__SYS_EPOLL_WAIT];
	o->epoll_ctl += s[RF__SYS_EPOLL_CTL];
	o->socket += s[RF__SYS_SOCKET];
	o->connect += s[RF__SYS_CONNECT];
	o->send += s[RF__SYS_SEND];
	o->recv += s[RF__SYS_RECV];
	o->read += s[RF__SYS_READ];
	o->write += s[RF__SYS_WRITE];
	o->open += s[RF__SYS_OPEN];
	o->close += s[RF__SYS_CLOSE];
	o->rename += s[RF__SYS_RENAME];
	o->link += s[RF__SYS_LINK];
	o->unlink += s[RF__SYS_UNLINK];
	o->fallocate += s[RF__SYS_FALLOCATE];
	o->fsync += s[RF__SYS_FSYNC];
	o->other += s[RF__SYS_OTHER];
	o->sqes += l->st.sqes;
	o->cqes += l->st.cqes;
	o->fixed_files += l->fixed_added;
	o->fixed_writes += l->fixed_writes;
	o->send_zc += l->send_zc;
	o->send_zc_copied += l->send_zc_copied;
}

void rf__loop_free(struct rf__loop *l)
{
	if (!l)
		return;
	if (l->ep) {
		rf__ep_free(l->ep);
		rf__bufring_free(NULL, l->pool);
	} else {
		rf__bufring_free(&l->ring, l->pool);
		/* the table holds the sockets closed at teardown: let go of them
		 * now (the ring's own exit runs later, in a kernel worker, and the
		 * peers would see them open after we are gone) */
		if (l->fixed)
			io_uring_unregister_files(&l->ring);
		io_uring_queue_exit(&l->ring);
	}
	rf__fixtab_free(l->fixed);
	free(l->done);
	free(l);
}

int rf__loop_pool_setup(struct rf__loop *l, unsigned n, unsigned size, bool incremental)
{
	if (l->pool)
		return -EBUSY;
	int err = rf__bufring_new(l->ep ? NULL : &l->ring, POOL_GROUP, n, size, incremental, &l->pool);
	if (!err && l->ep)
		rf__ep_set_pool(l->ep, l->pool);
	return err;
}

int rf__loop_pool_register(struct rf__loop *l)
{
	if (l->ep || !l->pool)
		return -EINVAL;
	int err = rf__bufring_register_memory(l->pool, &l->ring);
	l->pool_registered = err == 0;
	return err;
}

char *rf__loop_pool_piece(const struct rf__loop *l, unsigned flags, unsigned *room)
{
	if (l->ep) { /* epoll hands out whole buffers */
		*room = rf__bufring_size(l->pool);
		return rf__bufring_addr(l->pool, rf__f_bid(flags));
	}
	*room = l->piece_room;
	return l->piece;
}

unsigned rf__loop_pool_size(const struct rf__loop *l)
{
	return l->pool ? rf__bufring_size(l->pool) : 0;
}

unsigned rf__loop_pool_avail(const struct rf__loop *l)
{
	return l->pool ? rf__bufring_avail(l->pool) : 0;
}

void rf__loop_pool_put(struct rf__loop *l, unsigned bid)
{
	rf__bufring_put(l->pool, bid);
}

int rf__loop_set_fixed_files(struct rf__loop *l, unsigned n)
{
	if (l->ep || l->fixed || !n)
		return -EINVAL;
	struct io_uring_probe *p = io_uring_get_probe_ring(&l->ring);
	bool ok = p && io_uring_opcode_supported(p, IORING_OP_FILES_UPDATE);
	if (p)
		io_uring_free_probe(p);
	if (!ok)
		return -EOPNOTSUPP;
	int err = io_uring_register_files_sparse(&l->ring, n);
	if (err)
		return err;
	err = rf__fixtab_new(n, &l->fixed);
	if (err)
		io_uring_unregister_files(&l->ring);
	return err;
}

void rf__loop_describe(const struct rf__loop *l, char *buf, size_t len)
{
	if (l->ep) {
		snprintf(buf, len, "readiness + plain syscalls");
		return;
	}
	char batch[32];
	snprintf(batch, sizeof(batch), "%u", l->submit_batch);
	snprintf(buf, len, "setup %s, submit batch %s, registered files %s, write-fixed %s", l->mode,
	         l->submit_batch ? batch : "all with the wait", l->fixed ? "on" : "off",
	         l->pool_registered ? "on" : "off");
}

int rf__loop_use_fixed_files(struct rf__loop *l, int mode, unsigned n, char *detail, size_t len)
{
	bool on = mode == RF_URING_FIXED_ON || (mode == RF_URING_FIXED_AUTO && FIXED_FILES_DEFAULT);
	if (!on || l->ep)
		return 0; /* a ring knob: nothing to register on epoll */
	int err = rf__loop_set_fixed_files(l, n);
	if (err && mode == RF_URING_FIXED_ON) {
		if (detail && len)
			snprintf(detail, len, "the registered file table (%u slots) could not be set up: %s",
			         n, strerror(-err));
		return RF_EKERNEL;
	}
	return 0; /* auto: descriptors as before */
}

/* fd (a socket just made by an RF__OP_SOCKET, or an output file just
 * opened by an RF__OP_OPEN on the ring) goes into the table. */
static void fixed_add(struct rf__loop *l, int fd)
{
	submit_due(l);
	if (!io_uring_sq_space_left(&l->ring) && !sq_room(l))
		return; /* no room to register it: its ops name the descriptor */
	int i = rf__fixtab_add(l->fixed, fd);
	if (i < 0)
		return; /* table full: this socket's ops name the descriptor */
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	io_uring_prep_files_update(sqe, rf__fixtab_fd_at(l->fixed, i), 1, i);
	io_uring_sqe_set_data64(sqe, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0));
	l->fixed_added++;
}

/* The op in sqe names fd: by its table slot when it has one. */
static void fixed_name(struct rf__loop *l, struct io_uring_sqe *sqe, int fd)
{
	int i = l->fixed ? rf__fixtab_of(l->fixed, fd) : -1;
	if (i >= 0) {
		sqe->fd = i;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

bool rf__loop_pool_multishot(const struct rf__loop *l)
{
	struct utsname u;
	unsigned major = 0, minor = 0; /* 6.0 and later */
	if (l->ep || !l->pool || uname(&u) != 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	return major >= 6; /* multishot receive came in Linux 6.0 */
}

void rf__loop_set_submit_batch(struct rf__loop *l, unsigned n)
{
	l->submit_batch = n;
}

void rf__loop_set_file_inline(struct rf__loop *l, bool on)
{
	l->file_inline = on;
}

/* Room for one more inline completion (grown when needed)? */
static bool done_grow(struct rf__loop *l)
{
	if (l->ndone < l->cap_done)
		return true;
	unsigned cap = l->cap_done ? 2 * l->cap_done : 64;
	struct inline_done *d = realloc(l->done, cap * sizeof(*d));
	if (!d)
		return false;
	l->done = d;
	l->cap_done = cap;
	return true;
}

/* Room for one more inline file op's completion?  false: use the ring
 * instead. */
static bool inline_room(struct rf__loop *l)
{
	if (l->ep)
		return true; /* epoll: every file op is a syscall here */
	return l->file_inline && done_grow(l);
}

/* The result of a syscall done inline, for the next rf__loop_run_once. */
static void post(struct rf__loop *l, rf__tag t, long ret)
{
	if (l->ep) {
		rf__ep_post(l->ep, t, ret < 0 ? -errno : (int)ret);
		return;
	}
	l->done[l->ndone++] = (struct inline_done){t, ret < 0 ? -errno : (int)ret};
}

const char *rf__loop_mode(const struct rf__loop *l)
{
	return l->mode;
}

/* SQPOLL: the kernel thread went to sleep and must be woken by an enter */
static bool sq_needs_wakeup(const struct rf__loop *l)
{
	return (IO_URING_READ_ONCE(*l->ring.sq.kflags) & IORING_SQ_NEED_WAKEUP) != 0;
}

/* A submit's error that is not "try again later" ends the run: the next
 * rf__loop_run_once returns it. */
static void submit_failed(struct rf__loop *l, int ret)
{
	if (ret < 0 && ret != -EAGAIN && ret != -EBUSY && ret != -EINTR && !l->submit_err)
		l->submit_err = ret;
}

/* io_uring_submit, counted (liburing enters only when there is work): the
 * SQEs taken, or the error. */
static int submit_now(struct rf__loop *l)
{
	unsigned n = io_uring_sq_ready(&l->ring);
	if (!n)
		return 0;
	if (!l->sqpoll || sq_needs_wakeup(l))
		l->st.sys[RF__SYS_IO_URING_ENTER]++;
	int ret = io_uring_submit(&l->ring);
	if (ret > 0)
		l->st.sqes += (unsigned)ret;
	if (l->fixed)
		rf__fixtab_submitted(l->fixed);
	submit_failed(l, ret);
	return ret;
}

/* Before an SQE is taken: submit what --submit-batch says is due (or a
 * fault says to, as if the SQ were full). */
static void submit_due(struct rf__loop *l)
{
	if (rf__fault_now(&l->faults, l->faults.flush))
		submit_now(l);
	if (l->submit_batch && io_uring_sq_ready(&l->ring) >= l->submit_batch)
		submit_now(l);
}

/* Make room for one SQE: submit what is queued (SQPOLL: wait for its
 * thread to take some).  False when the kernel takes none now - it answers
 * -EBUSY while completions wait to be reaped, which only the run loop
 * does - or fails. */
static bool sq_room(struct rf__loop *l)
{
	for (int tries = 0; tries < 4 && !io_uring_sq_space_left(&l->ring); tries++) {
		int ret = l->sqpoll ? io_uring_sqring_wait(&l->ring) : submit_now(l);
		submit_failed(l, ret);
		if (ret < 0 || (ret == 0 && !l->sqpoll))
			return false;
	}
	return io_uring_sq_space_left(&l->ring) > 0;
}

/* The SQE for the op tagged t.  When the ring has no room (sq_room), the
 * op fails at once instead of spinning: its completion, -EBUSY, comes
 * through the inline queue at the next rf__loop_run_once, and the caller
 * fills a scratch SQE that is never submitted. */
static struct io_uring_sqe *get_sqe(struct rf__loop *l, rf__tag t)
{
	submit_due(l);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
	if (!sqe && sq_room(l))
		sqe = io_uring_get_sqe(&l->ring);
	if (sqe)
		return sqe;
	if (done_grow(l))
		l->done[l->ndone++] = (struct inline_done){t, -EBUSY};
	else if (!l->submit_err)
		l->submit_err = -ENOMEM; /* the op can neither run nor fail: stop */
	memset(&l->scratch, 0, sizeof(l->scratch));
	return &l->scratch;
}

int rf__loop_run_once(struct rf__loop *l, int64_t timeout_ns, rf__completion_fn fn, void *arg)
{
	if (l->ep)
		return rf__ep_run(l->ep, timeout_ns, fn, arg);
	struct io_uring_cqe *cqe;
	struct __kernel_timespec ts, *tsp = NULL;
	if (timeout_ns >= 0) {
		ts.tv_sec = timeout_ns / 1000000000;
		ts.tv_nsec = timeout_ns % 1000000000;
		tsp = &ts;
	}
	unsigned pending = l->ndone; /* inline results: do not wait */
	/* liburing 2.3 enters the kernel when there is something to submit, or
	 * (waiting) when no completion is ready yet: count it the same way */
	unsigned to_submit = io_uring_sq_ready(&l->ring);
	bool submit_enters = to_submit && (!l->sqpoll || sq_needs_wakeup(l));
	if (submit_enters || (!pending && !io_uring_cq_ready(&l->ring)))
		l->st.sys[RF__SYS_IO_URING_ENTER]++;
	l->st.sqes += to_submit;
	if (l->submit_err)
		return l->submit_err;
	int ret = pending ? io_uring_submit(&l->ring)
	                  : io_uring_submit_and_wait_timeout(&l->ring, &cqe, 1, tsp, NULL);
	if (l->fixed)
		rf__fixtab_submitted(l->fixed);
	if (ret < 0 && ret != -ETIME && ret != -EINTR && ret != -EAGAIN && ret != -EBUSY)
		return ret;
	for (unsigned i = 0; i < pending; i++) {
		struct inline_done d = l->done[i]; /* fn may post more (and move done) */
		fn(arg, d.t, d.res, 0);
	}
	if (pending) {
		memmove(l->done, l->done + pending, (l->ndone - pending) * sizeof(*l->done));
		l->ndone -= pending;
	}
	unsigned head, n = 0;
	io_uring_for_each_cqe(&l->ring, head, cqe)
	{
		uint64_t tag = cqe->user_data;
		int res = cqe->res;
		unsigned fault = (unsigned)(tag >> FAULT_SHIFT);
		if (fault) { /* an injected failure (see the top of this file) */
			tag &= ~(7ull << FAULT_SHIFT);
			res = -fault_errno[fault];
		}
		if ((cqe->flags & IORING_CQE_F_BUFFER) && l->pool)
			l->piece = rf__bufring_taken(l->pool, cqe->flags >> IORING_CQE_BUFFER_SHIFT,
			                             res > 0 ? (unsigned)res : 0, cqe->flags, &l->piece_room);
		if (l->fixed && res >= 0 &&
		    (rf__tag_op(tag) == RF__OP_SOCKET || rf__tag_op(tag) == RF__OP_OPEN))
			fixed_add(l, res);             /* a socket, or an output file opened by the ring */
		if (cqe->flags & IORING_CQE_F_NOTIF) { /* a zero-copy send let go of its memory */
			if ((unsigned)res & IORING_NOTIF_USAGE_ZC_COPIED)
				l->send_zc_copied++;
			n++;
			continue;
		}
		unsigned flags = cqe->flags;
		if (rf__tag_op(tag) == RF__OP_SEND || rf__tag_op(tag) == RF__OP_TLS_SEND)
			flags &= ~IORING_CQE_F_MORE; /* that notification: see rf__op_send_zc */
		fn(arg, tag, res, flags);
		n++;
	}
	io_uring_cq_advance(&l->ring, n);
	l->st.cqes += n;
	return 0;
}

/* Instead of the op: a NOP whose completion reports the failure. */
static bool inject_failure(struct rf__loop *l, rf__tag t, bool kind, const unsigned char *choices, unsigned n)
{
	if (!rf__fault_now(&l->faults, kind))
		return false;
	if (l->ep) {
		rf__ep_post(l->ep, t, -fault_errno[choices[rf__fault_rand(&l->faults) % n]]);
		return true;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_nop(sqe);
	io_uring_sqe_set_data64(sqe, t | (uint64_t)choices[rf__fault_rand(&l->faults) % n] << FAULT_SHIFT);
	return true;
}

static const unsigned char sock_faults[] = {F_EINTR, F_EAGAIN, F_ECONNRESET};
static const unsigned char again_faults[] = {F_EINTR, F_EAGAIN};
static const unsigned char file_faults[] = {F_EIO, F_ENOSPC};
static const unsigned char socket_faults[] = {F_EMFILE};
#define INJECT(l, t, set) ((l)->faults.percent && inject_failure(l, t, (l)->faults.errors, set, sizeof(set)))
/* a send or receive: kind e, or kind a (nothing moved, never a failure) */
#define INJECT_SOCK(l, t)                                                                                    \
	((l)->faults.percent &&                                                                              \
	 (inject_failure(l, t, (l)->faults.again, again_faults, sizeof(again_faults)) ||                     \
	  inject_failure(l, t, (l)->faults.errors, sock_faults, sizeof(sock_faults))))

/* A random shorter length (1..len), sometimes. */
static unsigned maybe_short(struct rf__loop *l, unsigned len)
{
	if (l->faults.percent && len > 1 && rf__fault_now(&l->faults, l->faults.shorts))
		return 1 + (unsigned)(rf__fault_rand(&l->faults) % (len - 1));
	return len;
}

void rf__op_socket(struct rf__loop *l, rf__tag t, int domain)
{
	if (INJECT(l, t, socket_faults))
		return;
	if (l->ep) {
		rf__ep_socket(l->ep, t, domain);
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_socket(sqe, domain, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_connect(struct rf__loop *l, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len)
{
	if (l->ep) {
		rf__ep_connect(l->ep, t, fd, sa, len);
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_connect(sqe, fd, sa, len);
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_send(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len)
{
	if (INJECT_SOCK(l, t))
		return;
	if (l->ep) {
		rf__ep_send(l->ep, t, fd, buf, maybe_short(l, len));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_send(sqe, fd, buf, maybe_short(l, len), MSG_NOSIGNAL);
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

bool rf__loop_send_zc_ok(struct rf__loop *l)
{
	if (l->ep)
		return false;
	struct io_uring_probe *p = io_uring_get_probe_ring(&l->ring);
	bool ok = p && io_uring_opcode_supported(p, IORING_OP_SEND_ZC);
	if (p)
		io_uring_free_probe(p);
	return ok;
}

void rf__op_send_zc(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len)
{
	if (INJECT_SOCK(l, t))
		return;
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_send_zc(sqe, fd, buf, maybe_short(l, len), MSG_NOSIGNAL, 0);
	sqe->ioprio |= IORING_SEND_ZC_REPORT_USAGE;
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
	l->send_zc++;
}

void rf__op_recv(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len)
{
	if (INJECT_SOCK(l, t))
		return;
	if (l->ep) {
		rf__ep_recv(l->ep, t, fd, buf, maybe_short(l, len));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	if (buf) {
		io_uring_prep_recv(sqe, fd, buf, maybe_short(l, len), 0);
	} else { /* the kernel picks a pool buffer when bytes are there */
		io_uring_prep_recv(sqe, fd, NULL, 0, 0);
		sqe->flags |= IOSQE_BUFFER_SELECT;
		sqe->buf_group = POOL_GROUP;
	}
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_recv_multishot(struct rf__loop *l, rf__tag t, int fd)
{
	if (INJECT_SOCK(l, t))
		return;
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_recv_multishot(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = POOL_GROUP;
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_read(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len)
{
	if (l->ep) {
		rf__ep_read(l->ep, t, fd, buf, len);
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_read(sqe, fd, buf, len, (__u64)-1);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_read_at(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len, uint64_t off)
{
	if (INJECT(l, t, file_faults))
		return;
	if ((l->ep || off + len <= INLINE_WRITE_MAX) && inline_room(l)) { /* not a long prefix */
		post(l, t, (l->st.sys[RF__SYS_READ]++, pread(fd, buf, maybe_short(l, len), (off_t)off)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_read(sqe, fd, buf, maybe_short(l, len), off);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_splice(struct rf__loop *l, rf__tag t, int fd_in, int64_t off_in, int fd_out, int64_t off_out,
                   unsigned len, unsigned flags, bool hardlink)
{
	if (l->ep) { /* the client does not splice over epoll (rf__loop_is_epoll) */
		post(l, t, (errno = EOPNOTSUPP, -1));
		return;
	}
	if (hardlink && io_uring_sq_space_left(&l->ring) < 2) {
		submit_now(l); /* the pair must not be split */
		if (io_uring_sq_space_left(&l->ring) < 2)
			hardlink = false; /* unlinked, the out half finds the pipe empty */
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	int in_slot = l->fixed ? rf__fixtab_of(l->fixed, fd_in) : -1;
	io_uring_prep_splice(sqe, in_slot >= 0 ? in_slot : fd_in, off_in, fd_out, off_out,
	                     maybe_short(l, len), flags | (in_slot >= 0 ? SPLICE_F_FD_IN_FIXED : 0));
	fixed_name(l, sqe, fd_out); /* the output file, when the ring opened it */
	if (hardlink)
		sqe->flags |= IOSQE_IO_HARDLINK;
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_fsync(struct rf__loop *l, rf__tag t, int fd)
{
	if (INJECT(l, t, file_faults))
		return;
	if (l->ep) {
		post(l, t, (l->st.sys[RF__SYS_FSYNC]++, fsync(fd)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_fsync(sqe, fd, 0);
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_open(struct rf__loop *l, rf__tag t, const char *path, int flags, unsigned mode)
{
	if (INJECT(l, t, file_faults))
		return;
	if (inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_OPEN]++, openat(AT_FDCWD, path, flags, mode)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_openat(sqe, AT_FDCWD, path, flags, mode);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_fallocate(struct rf__loop *l, rf__tag t, int fd, int mode, uint64_t off, uint64_t len)
{
	if (INJECT(l, t, file_faults))
		return;
	if (inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_FALLOCATE]++, fallocate(fd, mode, (off_t)off, (off_t)len)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_fallocate(sqe, fd, mode, off, len);
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_write(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len, int64_t off)
{
	if (INJECT(l, t, file_faults))
		return;
	/* at an offset: a file (a pipe or terminal could block the loop); and
	 * only a file's first INLINE_WRITE_MAX bytes: a large body is written
	 * by io-wq, which absorbs the waits of dirty-page throttling */
	if (off >= 0 && (l->ep || (uint64_t)off + len <= INLINE_WRITE_MAX) && inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_WRITE]++, pwrite(fd, buf, maybe_short(l, len), (off_t)off)));
		return;
	}
	if (l->ep) { /* a pipe or terminal: epoll mode waits for it here */
		post(l, t, (l->st.sys[RF__SYS_WRITE]++, write(fd, buf, maybe_short(l, len))));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	len = maybe_short(l, len);
	if (l->pool_registered && rf__bufring_holds(l->pool, buf, len)) {
		io_uring_prep_write_fixed(sqe, fd, buf, len, (__u64)off, 0);
		l->fixed_writes++;
	} else {
		io_uring_prep_write(sqe, fd, buf, len, (__u64)off);
	}
	fixed_name(l, sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_close(struct rf__loop *l, rf__tag t, int fd)
{
	if (l->ep) {
		rf__ep_close(l->ep, t, fd);
		return;
	}
	int slot = l->fixed ? rf__fixtab_remove(l->fixed, fd) : -1;
	if (slot >= 0) {
		/* out of the table first (the ops on it have ended) */
		static int no_file = -1;
		struct io_uring_sqe *sqe = get_sqe(l, t);
		io_uring_prep_files_update(sqe, &no_file, 1, slot);
		io_uring_sqe_set_data64(sqe, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0));
	}
	/* files (their closes are waited for); sockets' closes are not */
	if (rf__tag_op(t) != RF__OP_NONE && inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_CLOSE]++, close(fd)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_close(sqe, fd);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_rename(struct rf__loop *l, rf__tag t, const char *from, const char *to, unsigned flags)
{
	if (INJECT(l, t, file_faults))
		return;
	if (inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_RENAME]++, renameat2(AT_FDCWD, from, AT_FDCWD, to, flags)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_renameat(sqe, AT_FDCWD, from, AT_FDCWD, to, flags);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_link(struct rf__loop *l, rf__tag t, const char *from, const char *to)
{
	if (INJECT(l, t, file_faults))
		return;
	if (inline_room(l)) {
		post(l, t,
		     (l->st.sys[RF__SYS_LINK]++, linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_linkat(sqe, AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_unlink(struct rf__loop *l, rf__tag t, const char *path)
{
	if (inline_room(l)) {
		post(l, t, (l->st.sys[RF__SYS_UNLINK]++, unlinkat(AT_FDCWD, path, 0)));
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_unlinkat(sqe, AT_FDCWD, path, 0);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__op_poll(struct rf__loop *l, rf__tag t, int fd, unsigned events)
{
	if (l->ep) {
		rf__ep_poll(l->ep, t, fd, events);
		return;
	}
	struct io_uring_sqe *sqe = get_sqe(l, t);
	io_uring_prep_poll_add(sqe, fd, events);
	io_uring_sqe_set_data64(sqe, t);
}

void rf__loop_forget_fd(struct rf__loop *l, int fd, rf__tag rd_tag, rf__tag wr_tag)
{
	if (l->ep) {
		rf__ep_forget(l->ep, fd);
		return;
	}
	/* a ring poll holds its own reference to the file: cancel it */
	if (rd_tag)
		rf__op_cancel(l, rd_tag);
	if (wr_tag)
		rf__op_cancel(l, wr_tag);
}

void rf__op_cancel(struct rf__loop *l, rf__tag victim)
{
	if (l->ep) {
		rf__ep_cancel(l->ep, victim);
		return;
	}
	/* no room in the SQ: the victim runs until it completes on its own */
	struct io_uring_sqe *sqe = get_sqe(l, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0));
	io_uring_prep_cancel64(sqe, victim, 0);
	io_uring_sqe_set_data64(sqe, rf__tag_make(RF__OWNER_NONE, RF__OP_NONE, 0, 0));
}
