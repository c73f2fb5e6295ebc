/*
 * loop.h - the ring: setup, the op submission interface, completion tags.
 *
 * Every asynchronous operation of the engine goes through the rf__op_*
 * functions below: the state machines never see an SQE.  A completion comes
 * back through rf__loop_run_once() as (tag, result, flags).  The epoll
 * backend (loop_epoll.c: readiness and plain syscalls) implements the same
 * interface; loop.c routes every op to it under --io epoll.
 */
#ifndef RF_LOOP_H
#define RF_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* A completion tag: op kind (8 bits), owner kind (4), owner generation
 * (20) and owner index (32) in 64 bits.  The owner kind says who the
 * completion goes back to; index and generation name which one, and drop
 * completions that arrive after it was reused. */
typedef uint64_t rf__tag;

/* Who an op belongs to. */
enum rf__owner {
	RF__OWNER_NONE = 0, /* nobody: the completion is ignored */
	RF__OWNER_CLIENT,   /* the fetch client itself (the signal descriptor) */
	RF__OWNER_DNS,      /* the resolver (its wake-ups and sockets) */
	RF__OWNER_SLOT,     /* one transfer: the index names the slot */
	RF__OWNER_CONN,     /* a connection, whatever transfer it carries: the load
	                       generator's, and next the HTTP/2 session under many
	                       exchanges */
};

#define RF__TAG_GEN_MASK 0xfffffu

enum rf__op_kind {
	RF__OP_NONE = 0, /* completion ignored (fire-and-forget close, cancel) */
	RF__OP_SOCKET,
	RF__OP_CONNECT,
	RF__OP_SEND,
	RF__OP_RECV,
	RF__OP_OPEN,
	RF__OP_FALLOCATE,
	RF__OP_WRITE,
	RF__OP_FCLOSE,
	RF__OP_RENAME,
	RF__OP_UNLINK,
	RF__OP_WAKE,     /* resolver results are ready */
	RF__OP_TLS_SEND, /* ciphertext out */
	RF__OP_TLS_RECV, /* ciphertext in */
	RF__OP_SIGNAL,   /* the caller's signal descriptor is readable */
	RF__OP_PFX_OPEN, /* resume: hash the prefix already on disk */
	RF__OP_PFX_READ,
	RF__OP_PFX_CLOSE,
	RF__OP_ADOPT, /* resume: take over a shorter final file as .part */
	RF__OP_FSYNC,
	RF__OP_DIR_OPEN, /* --fsync: the directory, after the rename */
	RF__OP_DIR_FSYNC,
	RF__OP_DIR_CLOSE,
	RF__OP_SPLICE_IN,    /* plain body: socket -> pipe (zero copy) */
	RF__OP_SPLICE_OUT,   /* pipe -> file at an offset */
	RF__OP_LINK,         /* an unnamed (O_TMPFILE) file gets its final name */
	RF__OP_RECV_MULTI,   /* a multishot receive into the pool */
	RF__OP_DNS_POLL,     /* a resolver socket is readable or writable */
	RF__OP_MEMBER_WRITE, /* an archive sample's header, metadata or staged body */
	RF__OP_STAGE_READ,   /* an archive sample's staged body read back */
	RF__OP_NUDGE,        /* another thread of the client woke this one (group.h) */
	RF__OP_CONN_CLOSED,  /* threads: a capped host's connection is closed (pool.c) */
};

static inline rf__tag rf__tag_make(enum rf__owner owner, enum rf__op_kind op, uint32_t idx, uint32_t gen)
{
	return ((uint64_t)op << 56) | ((uint64_t)owner << 52) | ((uint64_t)(gen & RF__TAG_GEN_MASK) << 32) |
	       idx;
}
static inline enum rf__op_kind rf__tag_op(rf__tag t)
{
	return (enum rf__op_kind)(t >> 56);
}
static inline enum rf__owner rf__tag_owner(rf__tag t)
{
	return (enum rf__owner)((t >> 52) & 0xf);
}
static inline uint32_t rf__tag_idx(rf__tag t)
{
	return (uint32_t)t;
}
/* Does t carry generation gen (compared in the tag's 20 bits)? */
static inline bool rf__tag_gen_is(rf__tag t, uint32_t gen)
{
	return ((uint32_t)(t >> 32) & RF__TAG_GEN_MASK) == (gen & RF__TAG_GEN_MASK);
}

struct rf__loop;

/* Create a ring for about `depth` concurrent ops, after checking that the
 * kernel has every op the engine uses (Linux 5.19 or later).  Returns 0,
 * the kernel's -errno when io_uring cannot be set up at all, or RF_EKERNEL
 * when an op is missing; *why (if not NULL) then says what, for a user. */
/* Which kernel path: the ring, epoll readiness and plain syscalls
 * (loop_epoll.c), or the ring and epoll when the ring cannot be set up.
 * Same values as the public RF_IO_*. */
enum rf__io { RF__IO_AUTO = 0, RF__IO_URING = 1, RF__IO_EPOLL = 2 };

/* io URING: as before.  io EPOLL: an epoll loop.  io AUTO: the ring, or,
 * when it cannot be set up, an epoll loop with *why saying why (a note:
 * the return is 0). */
/* How the ring is set up (same values as the public RF_URING_SETUP_*):
 * AUTO tries DEFER_TASKRUN (with SINGLE_ISSUER), then COOP_TASKRUN, then
 * plain; any other is that one or RF_EKERNEL (never a silent fallback). */
enum rf__setup {
	RF__SETUP_AUTO = 0,
	RF__SETUP_DEFER_TASKRUN,
	RF__SETUP_COOP_TASKRUN,
	RF__SETUP_PLAIN,
	RF__SETUP_SQPOLL
};
int rf__loop_new(unsigned depth, enum rf__io io, enum rf__setup setup, struct rf__loop **out,
                 const char **why);
/* The loop runs on epoll (no splice there). */
bool rf__loop_is_epoll(const struct rf__loop *l);
/* The ring's io-wq workers (file ops, blocking ops) run on cpu only
 * (IORING_REGISTER_IOWQ_AFF); -1 or epoll: nothing.  0 or -errno. */
int rf__loop_pin_workers(struct rf__loop *l, int cpu);

/* What the loop asked of the kernel: the syscalls it made itself, by kind
 * (the ring's ops run inside io_uring_enter and are not syscalls), and the
 * ring's SQEs and CQEs.  For --io-report. */
enum rf__sys {
	RF__SYS_IO_URING_ENTER,
	RF__SYS_EPOLL_WAIT,
	RF__SYS_EPOLL_CTL,
	RF__SYS_SOCKET,
	RF__SYS_CONNECT,
	RF__SYS_SEND,
	RF__SYS_RECV,
	RF__SYS_READ,
	RF__SYS_WRITE,
	RF__SYS_OPEN,
	RF__SYS_CLOSE,
	RF__SYS_RENAME,
	RF__SYS_LINK,
	RF__SYS_UNLINK,
	RF__SYS_FALLOCATE,
	RF__SYS_FSYNC,
	RF__SYS_OTHER,
	RF__SYS_KINDS
};
struct rf__loop_stats {
	uint64_t sys[RF__SYS_KINDS];
	uint64_t sqes, cqes;
};
const struct rf__loop_stats *rf__loop_stats(const struct rf__loop *l);
struct rf_io_stats;
/* Add the loop's counts to a public rf_io_stats. */
void rf__loop_add_stats(const struct rf__loop *l, struct rf_io_stats *out);
void rf__loop_free(struct rf__loop *l);
/* Which setup flags the kernel took, for diagnostics. */
const char *rf__loop_mode(const struct rf__loop *l);
/* File ops (open, fallocate, small writes at an offset, close of a file,
 * rename, unlink, reads at an offset) as plain syscalls on this thread,
 * their completions handed out at the next rf__loop_run_once (loop.c). */
void rf__loop_set_file_inline(struct rf__loop *l, bool on);
/* Submit as soon as n SQEs are queued (0, the default: everything queued
 * goes with the next wait, one io_uring_enter).  Ring only. */
void rf__loop_set_submit_batch(struct rf__loop *l, unsigned n);

/* Completion flags (the same bits as io_uring's CQE flags): RF__F_POOL,
 * the op's bytes are in the receive pool's buffer rf__f_bid(flags), which
 * the engine gives back with rf__loop_pool_put; RF__F_MORE, the op stays
 * armed and more completions of it follow (multishot receive). */
#define RF__F_POOL 1u
#define RF__F_MORE 2u
#define RF__F_BID_SHIFT 16
static inline unsigned rf__f_bid(unsigned flags)
{
	return flags >> RF__F_BID_SHIFT;
}

/* The receive pool (bufring.h): n buffers (a power of two) of size bytes,
 * shared by every receive given no buffer; incremental: the kernel fills
 * each buffer piece by piece across receives (ring, Linux 6.12; -EINVAL
 * where it cannot).  0, or -errno: no pool (receives then need buffers of
 * their own). */
int rf__loop_pool_setup(struct rf__loop *l, unsigned n, unsigned size, bool incremental);
/* Register the pool's memory as a fixed buffer: ring writes from pool
 * buffers become WRITE_FIXED (no page pinning per write).  0 or -errno. */
int rf__loop_pool_register(struct rf__loop *l);
/* In a completion with RF__F_POOL (and only there): where its bytes are,
 * and *room, the bytes from there to the end of their buffer.  With
 * incremental consumption (Linux 6.12) that is a piece of a buffer other
 * receives fill further.  Each such completion is given back once with
 * rf__loop_pool_put, whatever its result. */
char *rf__loop_pool_piece(const struct rf__loop *l, unsigned flags, unsigned *room);
unsigned rf__loop_pool_size(const struct rf__loop *l);
/* Buffers not handed out (the kernel may pick them). */
unsigned rf__loop_pool_avail(const struct rf__loop *l);
void rf__loop_pool_put(struct rf__loop *l, unsigned bid);
/* Registered files (ring only): every socket the ring makes, and every
 * output file it opens (RF__OP_OPEN), goes into a table of n slots (an
 * IORING_OP_FILES_UPDATE, no syscall) and its ring ops name the slot
 * (IOSQE_FIXED_FILE), sparing the kernel a descriptor lookup per op;
 * rf__op_close takes it out.  The descriptor stays usable for syscalls
 * (setsockopt, shutdown, inline pwrite, linkat through /proc/self/fd).
 * Nothing may be submitted on a descriptor after its close (an op punted to
 * io-wq looks its slot up when it runs).  0 or -errno. */
int rf__loop_set_fixed_files(struct rf__loop *l, unsigned n);
/* The same by an rf_uring_fixed mode (AUTO: the default measured), for n
 * sockets at most: 0, or RF_EKERNEL with *detail when ON cannot be had. */
int rf__loop_use_fixed_files(struct rf__loop *l, int mode, unsigned n, char *detail, size_t len);
/* The ring's variants in effect, for a report ("setup ..., submit batch
 * ..., registered files on|off, write-fixed on|off"; epoll: its own). */
void rf__loop_describe(const struct rf__loop *l, char *buf, size_t len);
/* The kernel can arm a receive for many completions (Linux 6.0). */
bool rf__loop_pool_multishot(const struct rf__loop *l);

typedef void (*rf__completion_fn)(void *arg, rf__tag tag, int res, unsigned flags);

/* Submit what is queued, wait for at least one completion or until
 * timeout_ns (<0: forever), and hand every completion to fn. */
int rf__loop_run_once(struct rf__loop *l, int64_t timeout_ns, rf__completion_fn fn, void *arg);

/* The ops.  They queue an SQE (submitting first when the queue is full). */
void rf__op_socket(struct rf__loop *l, rf__tag t, int domain);
void rf__op_connect(struct rf__loop *l, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len);
void rf__op_send(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len);
/* IORING_OP_SEND_ZC (Linux 6.0): the pages are sent from, not copied.
 * The completion says what was sent; the kernel's later notification that
 * it let go of buf is taken by the loop, so buf must stay unchanged until
 * the loop is freed (the load generator's requests do).  Ring only. */
void rf__op_send_zc(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len);
bool rf__loop_send_zc_ok(struct rf__loop *l);
/* buf NULL: a buffer of the receive pool, picked when bytes arrive
 * (RF__F_POOL); -ENOBUFS when none is left. */
void rf__op_recv(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len);
/* A multishot receive into the pool: a completion (RF__F_POOL, and
 * RF__F_MORE while it stays armed) each time bytes arrive, until an error,
 * the end of the stream, an empty pool (-ENOBUFS) or a cancel.  Ring only
 * (rf__loop_pool_multishot). */
void rf__op_recv_multishot(struct rf__loop *l, rf__tag t, int fd);
void rf__op_open(struct rf__loop *l, rf__tag t, const char *path, int flags, unsigned mode);
void rf__op_fallocate(struct rf__loop *l, rf__tag t, int fd, int mode, uint64_t off, uint64_t len);
/* off = -1: at the file position (pipes, terminals) */
void rf__op_write(struct rf__loop *l, rf__tag t, int fd, const void *buf, unsigned len, int64_t off);
void rf__op_close(struct rf__loop *l, rf__tag t, int fd);
void rf__op_rename(struct rf__loop *l, rf__tag t, const char *from, const char *to, unsigned flags);
void rf__op_unlink(struct rf__loop *l, rf__tag t, const char *path);
/* linkat(AT_FDCWD, from, AT_FDCWD, to, AT_SYMLINK_FOLLOW): from is
 * "/proc/self/fd/N" for an O_TMPFILE file; fails with -EEXIST, never
 * replaces. */
void rf__op_link(struct rf__loop *l, rf__tag t, const char *from, const char *to);
void rf__op_read(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len);
void rf__op_read_at(struct rf__loop *l, rf__tag t, int fd, void *buf, unsigned len, uint64_t off);
void rf__op_fsync(struct rf__loop *l, rf__tag t, int fd);
/* splice(2) through the ring; off -1 = none.  hardlink: the next op runs
 * whatever this one returns (IOSQE_IO_HARDLINK). */
void rf__op_splice(struct rf__loop *l, rf__tag t, int fd_in, int64_t off_in, int fd_out, int64_t off_out,
                   unsigned len, unsigned flags, bool hardlink);
/* Wait until fd (never a registered file) is ready for `events` (POLLIN
 * or POLLOUT, one direction per op): the completion's result is the
 * ready events (poll(2) bits) or -errno.  One shot. */
void rf__op_poll(struct rf__loop *l, rf__tag t, int fd, unsigned events);
/* fd, polled with rf__op_poll, is about to be closed by its owner (not
 * through rf__op_close): its waiting polls end -ECANCELED and the loop
 * forgets it, so a descriptor that reuses the number starts afresh. */
void rf__loop_forget_fd(struct rf__loop *l, int fd, rf__tag rd_tag, rf__tag wr_tag);
/* Cancel the op that carries tag `victim`; its completion reports -ECANCELED. */
void rf__op_cancel(struct rf__loop *l, rf__tag victim);

#endif
