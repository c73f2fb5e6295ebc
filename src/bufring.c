/*
 * bufring.c - the receive pool (bufring.h): one mapping of n equal buffers
 * and either an io_uring provided buffer ring over it or a stack of free
 * buffer ids.
 *
 * The kernel ring is a page-aligned array of (addr, len, bid) entries whose
 * tail userspace advances; the kernel consumes from the head.  Buffers go
 * back in any order: each put writes one entry at the tail.  The memory is
 * an anonymous mapping, so a buffer costs resident memory only once bytes
 * were received into it.
 */
#include "bufring.h"

#include <errno.h>
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
	uint16_t *free_ids;           /* userspace pool: ids not handed out */
};

int rf__bufring_new(struct io_uring *ring, unsigned bgid, unsigned n, unsigned size,
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

unsigned rf__bufring_count(const struct rf__bufring *p)
{
	return p->n;
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

void rf__bufring_taken(struct rf__bufring *p)
{
	if (p->avail)
		p->avail--;
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
	if (p->br) {
		io_uring_buf_ring_add(p->br, rf__bufring_addr(p, bid), p->size, (unsigned short)bid,
		                      io_uring_buf_ring_mask(p->n), 0);
		io_uring_buf_ring_advance(p->br, 1);
	} else {
		p->free_ids[p->avail] = (uint16_t)bid;
	}
	p->avail++;
}
