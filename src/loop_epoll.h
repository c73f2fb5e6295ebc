/*
 * loop_epoll.h - the second kernel I/O path under loop.h's op interface:
 * epoll readiness, nonblocking sockets and plain syscalls (--io epoll, and
 * where io_uring is refused).  loop.c routes the ops here when the loop was
 * made with it; the state machines above cannot tell the difference.
 *
 * Sockets are registered once, edge-triggered, when first used; an op is
 * tried at once and, on EAGAIN, waits for the next edge.  Results (of the
 * socket ops when they happen, of file syscalls done by loop.c at once) wait
 * in a queue and are handed out by rf__ep_run, never from inside the call
 * that asked, exactly as completions come out of a ring.
 */
#ifndef RF_LOOP_EPOLL_H
#define RF_LOOP_EPOLL_H

#include <stdint.h>
#include <sys/socket.h>

#include "loop.h"

struct rf__ep;

/* sys: the loop's syscall counters (loop.h, enum rf__sys), kept up to date. */
int rf__ep_new(struct rf__ep **out, uint64_t *sys);
void rf__ep_free(struct rf__ep *e);

/* Receives without a buffer (rf__ep_recv with buf NULL) take one from
 * pool when the socket is readable; none left: -ENOBUFS. */
struct rf__bufring;
void rf__ep_set_pool(struct rf__ep *e, struct rf__bufring *pool);

/* A result known now (a file syscall, an injected fault): queued. */
void rf__ep_post(struct rf__ep *e, rf__tag t, int res);

void rf__ep_socket(struct rf__ep *e, rf__tag t, int domain);
void rf__ep_connect(struct rf__ep *e, rf__tag t, int fd, const struct sockaddr *sa, socklen_t len);
void rf__ep_send(struct rf__ep *e, rf__tag t, int fd, const void *buf, unsigned len);
void rf__ep_recv(struct rf__ep *e, rf__tag t, int fd, void *buf, unsigned len);
/* read(2) when fd is readable (an eventfd, a signalfd, a pipe); a regular
 * file is read at once. */
void rf__ep_read(struct rf__ep *e, rf__tag t, int fd, void *buf, unsigned len);
/* Completes with the ready events once fd is ready for events (POLLIN or
 * POLLOUT). */
void rf__ep_poll(struct rf__ep *e, rf__tag t, int fd, unsigned events);
/* fd is closed by its owner: cancel its ops, take it out of the set. */
void rf__ep_forget(struct rf__ep *e, int fd);
/* close(2); ops still waiting on fd complete with -ECANCELED first. */
void rf__ep_close(struct rf__ep *e, rf__tag t, int fd);
/* The waiting op carrying tag victim completes with -ECANCELED. */
void rf__ep_cancel(struct rf__ep *e, rf__tag victim);

/* Hand out queued results; if there were none, wait for readiness up to
 * timeout_ns (<0: forever), do what became possible and hand out its
 * results.  0 or -errno. */
int rf__ep_run(struct rf__ep *e, int64_t timeout_ns, rf__completion_fn fn, void *arg);

#endif
