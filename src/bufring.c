/*
 * bufring.c - the receive pool (bufring.h): one mapping of n equal buffers
 * and either an io_uring provided buffer ring over it or a stack of free
 * buffer ids.
 *
 * The kernel ring is a page-aligned array of (addr, len, bid) entries whose
 * tail userspace advances; the kernel consumes from the head.  Buffers go
 * back in any order: each put writes one entry at the tail.
 *
 * Incremental consumption (IOU_PBUF_RING_INC, Linux 6.12): a receive takes
 * only the bytes it got from the head buffer and the next one continues
 * after them, so one 64 KiB buffer can carry many small arrivals (of one
 * connection or of several).  Each completion is then a piece: its address
 * is where the buffer's previous piece ended, IORING_CQE_F_BUF_MORE says the
 * kernel keeps filling the buffer.  A buffer goes back to the ring when the
 * kernel has let go of it and every piece of it was put back.  The memory is
 * an anonymous mapping, so a buffer costs resident memory only once bytes
 * were received into it.
 */
#include "bufring.h"

#include <errno.h>
#include <stdbool.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/mman.h>

struct rf__bufring {
	char *mem;
	size_t mem_bytes;
	unsigned n, size;
	unsigned avail;
	unsigned bgid;
	struct io_uring_buf_ring *br; /* kernel ring, or NULL */
	size_t br_bytes;
	uint16_t *free_ids; /* userspace pool: ids not handed out */
	bool inc;           /* incremental consumption */
	uint32_t *off;      /* per buffer: bytes handed out so far */
	uint32_t *pieces;   /* ... pieces not yet put back */
	bool *kernel_done;  /* ... the kernel moved past it */
};

/* liburing 2.3's uapi copy lacks these; the kernel's values (Linux 6.12) */
#define RF__IOU_PBUF_RING_INC 2u
#define RF__IORING_CQE_F_BUF_MORE (1u << 4)

int rf__bufring_new(struct io_uring *ring, unsigned bgid, unsigned n, unsigned size, bool inc,
                    struct rf__bufring **out)
{
	if (!n || (n & (n - 1)) || n > 32768 || !size)
		return -EINVAL;
	struct rf__bufring *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->n = n;
	p->size = size;
	p->bgid = bgid;
	p->inc = inc && ring;
	p->off = calloc(n, sizeof(*p->off));
	p->pieces = calloc(n, sizeof(*p->pieces));
	p->kernel_done = calloc(n, sizeof(*p->kernel_done));
	if (!p->off || !p->pieces || !p->kernel_done) {
		free(p->off);
		free(p->pieces);
		free(p->kernel_done);
		free(p);
		return -ENOMEM;
	}
	p->mem_bytes = (size_t)n * size;
	p->mem = mmap(NULL, p->mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		free(p);
		return -ENOMEM;
	}
	int err = 0;
	if (ring) {
		p->br_bytes = (size_t)n * sizeof(struct io_uring_buf);
		void *m = mmap(NULL, p->br_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			err = -ENOMEM;
			goto fail;
		}
		p->br = m;
		io_uring_buf_ring_init(p->br);
		struct io_uring_buf_reg reg = {
			.ring_addr = (uint64_t)(uintptr_t)p->br,
			.ring_entries = n,
			.bgid = (uint16_t)bgid,
			.pad = p->inc ? RF__IOU_PBUF_RING_INC : 0, /* the kernel's "flags" */
		};
		err = io_uring_register_buf_ring(ring, &reg, 0);
		if (err)
			goto fail;
		for (unsigned i = 0; i < n; i++)
			io_uring_buf_ring_add(p->br, p->mem + (size_t)i * size, size, (unsigned short)i,
			                      io_uring_buf_ring_mask(n), (int)i);
		io_uring_buf_ring_advance(p->br, (int)n);
	} else {
		if (!(p->free_ids = malloc(n * sizeof(*p->free_ids)))) {
			err = -ENOMEM;
			goto fail;
		}
		for (unsigned i = 0; i < n; i++)
			p->free_ids[i] = (uint16_t)(n - 1 - i);
	}
	p->avail = n;
	*out = p;
	return 0;
fail:
	if (p->br)
		munmap(p->br, p->br_bytes);
	munmap(p->mem, p->mem_bytes);
	free(p->off);
	free(p->pieces);
	free(p->kernel_done);
	free(p);
	return err;
}

void rf__bufring_free(struct io_uring *ring, struct rf__bufring *p)
{
	if (!p)
		return;
	if (p->br) {
		if (ring)
			io_uring_unregister_buf_ring(ring, (int)p->bgid);
		munmap(p->br, p->br_bytes);
	}
	munmap(p->mem, p->mem_bytes);
	free(p->free_ids);
	free(p->off);
	free(p->pieces);
	free(p->kernel_done);
	free(p);
}

char *rf__bufring_addr(const struct rf__bufring *p, unsigned bid)
{
	return p->mem + (size_t)bid * p->size;
}

unsigned rf__bufring_size(const struct rf__bufring *p)
{
	return p->size;
}

bool rf__bufring_holds(const struct rf__bufring *p, const void *at, unsigned len)
{
	const char *c = at;
	return c >= p->mem && c + len <= p->mem + p->mem_bytes;
}

int rf__bufring_register_memory(struct rf__bufring *p, struct io_uring *ring)
{
	struct iovec iov = {.iov_base = p->mem, .iov_len = p->mem_bytes};
	return io_uring_register_buffers(ring, &iov, 1);
}

unsigned rf__bufring_avail(const struct rf__bufring *p)
{
	return p->avail;
}

char *rf__bufring_taken(struct rf__bufring *p, unsigned bid, unsigned len, unsigned cqe_flags, unsigned *room)
{
	char *at = rf__bufring_addr(p, bid) + p->off[bid];
	*room = p->size - p->off[bid];
	p->pieces[bid]++;
	if (!p->inc || !(cqe_flags & RF__IORING_CQE_F_BUF_MORE)) {
		p->kernel_done[bid] = true; /* the kernel moved past it */
		if (p->avail)
			p->avail--;
	}
	if (p->inc)
		p->off[bid] += len;
	return at;
}

static void give_back(struct rf__bufring *p, unsigned bid)
{
	p->off[bid] = 0;
	p->kernel_done[bid] = false;
	io_uring_buf_ring_add(p->br, rf__bufring_addr(p, bid), p->size, (unsigned short)bid,
	                      io_uring_buf_ring_mask(p->n), 0);
	io_uring_buf_ring_advance(p->br, 1);
	p->avail++;
}

bool rf__bufring_inc(const struct rf__bufring *p)
{
	return p->inc;
}

bool rf__bufring_take(struct rf__bufring *p, unsigned *bid)
{
	if (p->br || !p->avail)
		return false;
	*bid = p->free_ids[--p->avail];
	return true;
}

void rf__bufring_put(struct rf__bufring *p, unsigned bid)
{
	if (!p->br) {
		p->free_ids[p->avail++] = (uint16_t)bid;
		return;
	}
	if (p->pieces[bid])
		p->pieces[bid]--;
	if (!p->pieces[bid] && p->kernel_done[bid])
		give_back(p, bid);
}
