/*
 * bufring.h - the receive pool: buffers shared by every connection of a
 * loop, taken only when bytes arrive, so receive memory follows the data in
 * flight rather than the number of open connections.
 *
 * On the ring it is an io_uring provided buffer ring (Linux 5.19): a recv
 * submitted without a buffer names the pool's group, the kernel picks a
 * buffer when data is there and the completion names it (RF__F_POOL); with
 * none left the recv ends with -ENOBUFS.  On epoll the same pool is a stack
 * the epoll loop takes from when a socket is readable.  Either way the
 * engine gives a buffer back (rf__bufring_put) when its bytes are done with.
 */
#ifndef RF_BUFRING_H
#define RF_BUFRING_H

#include <stdbool.h>
#include <stdint.h>

struct io_uring;
struct rf__bufring;

/* n buffers (a power of two, at most 32768) of size bytes; ring: the
 * io_uring to register with as group bgid, or NULL for a userspace pool;
 * inc: incremental consumption (bufring.c; the kernel's -EINVAL when it
 * lacks it).  0, -ENOMEM, or the kernel's error. */
int rf__bufring_new(struct io_uring *ring, unsigned bgid, unsigned n, unsigned size, bool inc,
                    struct rf__bufring **out);
bool rf__bufring_inc(const struct rf__bufring *p);
void rf__bufring_free(struct io_uring *ring, struct rf__bufring *p);
char *rf__bufring_addr(const struct rf__bufring *p, unsigned bid);
unsigned rf__bufring_size(const struct rf__bufring *p);
/* Is [p, p + len) inside the pool's memory? */
bool rf__bufring_holds(const struct rf__bufring *p, const void *at, unsigned len);
/* Register the pool's memory with ring as fixed buffer 0 (writes from it
 * can then be IORING_OP_WRITE_FIXED: no page pinning per write).  0 or the
 * kernel's error (RLIMIT_MEMLOCK without CAP_IPC_LOCK, for one). */
int rf__bufring_register_memory(struct rf__bufring *p, struct io_uring *ring);
/* Buffers that can be handed out now. */
unsigned rf__bufring_avail(const struct rf__bufring *p);
/* A completion (cqe_flags) named buffer bid with len bytes: where they
 * are, and *room, the bytes from there to the buffer's end.  Every such
 * completion is put back once (rf__bufring_put), whatever len. */
char *rf__bufring_taken(struct rf__bufring *p, unsigned bid, unsigned len, unsigned cqe_flags,
                        unsigned *room);
/* Userspace pool: take a buffer (false: none left). */
bool rf__bufring_take(struct rf__bufring *p, unsigned *bid);
/* A piece of buffer bid (or, userspace pool, the buffer) is done with;
 * the buffer goes back when nothing of it is out any more. */
void rf__bufring_put(struct rf__bufring *p, unsigned bid);

#endif
