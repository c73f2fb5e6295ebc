/* test_ring_resources.c - the ring's shared resources on their own: the
 * registered file table's bookkeeping (a freed slot is not reused before
 * the next submission; the descriptor an update points at stays until
 * then), the userspace receive pool, and the kernel's provided buffer ring
 * with incremental consumption over a real io_uring and a socketpair
 * (pieces where the previous one ended; the buffer back in the ring only
 * when the kernel moved past it and every piece was put back). */
#include <errno.h>
#include <liburing.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bufring.h"
#include "fixtab.h"
#include "tap.h"

static void fixtab_cases(void)
{
	struct rf__fixtab *t;
	CHECK(rf__fixtab_new(3, &t) == 0 && rf__fixtab_size(t) == 3, "table of 3 slots");
	int a = rf__fixtab_add(t, 5), b = rf__fixtab_add(t, 7), c = rf__fixtab_add(t, 1000);
	CHECK(a >= 0 && b >= 0 && c >= 0 && a != b && b != c && a != c, "three sockets, three slots");
	CHECK(rf__fixtab_add(t, 9) == -1, "a full table says so (the socket goes unregistered)");
	CHECK(rf__fixtab_of(t, 5) == a && rf__fixtab_of(t, 1000) == c && rf__fixtab_of(t, 6) == -1,
	      "descriptor -> slot, -1 for others");
	CHECK(rf__fixtab_remove(t, 7) == b && rf__fixtab_of(t, 7) == -1, "removed: no slot");
	CHECK(*rf__fixtab_fd_at(t, b) == 7, "the removed slot keeps its descriptor until submission");
	CHECK(rf__fixtab_add(t, 9) == -1, "a removed slot is not reused before a submission");
	rf__fixtab_submitted(t);
	CHECK(*rf__fixtab_fd_at(t, b) == -1, "after the submission the slot is empty");
	CHECK(rf__fixtab_add(t, 9) == b && rf__fixtab_of(t, 9) == b, "... and reusable");
	CHECK(rf__fixtab_remove(t, 42) == -1 && rf__fixtab_remove(t, -1) == -1,
	      "removing what is not there: -1");
	rf__fixtab_free(t);
}

static void user_pool_cases(void)
{
	struct rf__bufring *p;
	CHECK(rf__bufring_new(NULL, 1, 3, 4096, false, &p) == -EINVAL, "a pool size not a power of two "
	                                                                "is refused");
	CHECK(rf__bufring_new(NULL, 1, 4, 4096, false, &p) == 0, "userspace pool of 4 x 4 KiB");
	unsigned ids[5];
	int n = 0;
	while (n < 5 && rf__bufring_take(p, &ids[n]))
		n++;
	CHECK(n == 4 && rf__bufring_avail(p) == 0, "four buffers, then none");
	bool distinct = true, inside = true;
	for (int i = 0; i < 4; i++) {
		inside &= rf__bufring_holds(p, rf__bufring_addr(p, ids[i]), 4096);
		for (int j = 0; j < i; j++)
			distinct &= ids[i] != ids[j];
	}
	CHECK(distinct && inside, "distinct buffers inside the pool's memory");
	CHECK(!rf__bufring_holds(p, rf__bufring_addr(p, 0) - 1, 1), "memory before the pool is not in it");
	rf__bufring_put(p, ids[2]);
	unsigned again;
	CHECK(rf__bufring_avail(p) == 1 && rf__bufring_take(p, &again) && again == ids[2],
	      "a buffer put back is handed out again");
	rf__bufring_free(NULL, p);
}

/* One buffer-select receive on fd; its CQE's result and flags. */
static int recv_one(struct io_uring *ring, int fd, unsigned *flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	io_uring_prep_recv(sqe, fd, NULL, 0, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = 7;
	io_uring_submit(ring);
	struct io_uring_cqe *cqe;
	if (io_uring_wait_cqe(ring, &cqe))
		return -EIO;
	int res = cqe->res;
	*flags = cqe->flags;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static void incremental_cases(void)
{
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0)) {
		printf("ok %d - # SKIP no io_uring here\n", ++tap_n);
		return;
	}
	struct rf__bufring *p;
	int err = rf__bufring_new(&ring, 7, 2, 4096, true, &p);
	if (err == -EINVAL) {
		printf("ok %d - # SKIP this kernel has no incremental buffer consumption (Linux 6.12)\n",
		       ++tap_n);
		io_uring_queue_exit(&ring);
		return;
	}
	CHECK(err == 0 && rf__bufring_inc(p), "provided buffer ring of 2 x 4 KiB, incremental");
	int sv[2];
	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "socketpair");
	unsigned f1, f2, f3, room1, room2;
	CHECK(write(sv[1], "hello", 5) == 5, "5 bytes sent");
	int r1 = recv_one(&ring, sv[0], &f1);
	CHECK(r1 == 5 && (f1 & IORING_CQE_F_BUFFER), "received 5 bytes into a pool buffer");
	unsigned bid = f1 >> IORING_CQE_BUFFER_SHIFT;
	char *at1 = rf__bufring_taken(p, bid, 5, f1, &room1);
	CHECK(at1 == rf__bufring_addr(p, bid) && memcmp(at1, "hello", 5) == 0 && room1 == 4096,
	      "the first piece starts the buffer");
	CHECK(write(sv[1], "world!", 6) == 6, "6 more bytes sent");
	int r2 = recv_one(&ring, sv[0], &f2);
	char *at2 = rf__bufring_taken(p, f2 >> IORING_CQE_BUFFER_SHIFT, 6, f2, &room2);
	CHECK(r2 == 6 && (f2 >> IORING_CQE_BUFFER_SHIFT) == bid && at2 == at1 + 5 &&
	          memcmp(at2, "world!", 6) == 0 && room2 == 4096 - 5,
	      "the second piece continues the same buffer where the first ended");
	CHECK(rf__bufring_avail(p) == 2, "the kernel still fills that buffer: both count as in the ring");
	/* fill the rest of the buffer: the kernel moves past it */
	static char big[4096 - 11];
	memset(big, 'x', sizeof(big));
	CHECK(write(sv[1], big, sizeof(big)) == (ssize_t)sizeof(big), "the rest of the buffer sent");
	int r3 = recv_one(&ring, sv[0], &f3);
	unsigned room3;
	char *at3 = rf__bufring_taken(p, f3 >> IORING_CQE_BUFFER_SHIFT, (unsigned)r3, f3, &room3);
	CHECK(r3 == (int)sizeof(big) && at3 == at1 + 11 && rf__bufring_avail(p) == 1,
	      "the last piece fills it: the kernel let go of it (one buffer left in the ring)");
	rf__bufring_put(p, bid);
	rf__bufring_put(p, bid);
	CHECK(rf__bufring_avail(p) == 1, "two of three pieces put back: the buffer stays out");
	rf__bufring_put(p, bid);
	CHECK(rf__bufring_avail(p) == 2, "the last piece put back: the buffer is in the ring again");
	close(sv[0]);
	close(sv[1]);
	rf__bufring_free(&ring, p);
	io_uring_queue_exit(&ring);
}

int main(void)
{
	fixtab_cases();
	user_pool_cases();
	incremental_cases();
	return tap_done();
}
