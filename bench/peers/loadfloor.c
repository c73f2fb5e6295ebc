/*
 * loadfloor.c - the least an io_uring load generator can do per request:
 * the floor row of bench/load.py.
 *
 *   loadfloor HOST PORT PATH CONNECTIONS SECONDS [recv|multishot]
 *
 * One thread, one ring, CONNECTIONS keep-alive connections; each sends
 * "GET PATH" and reads until as many bytes as the first response had (its
 * header plus Content-Length, parsed once), then sends again: no parsing, no
 * latency recording, no error handling beyond stopping.  recv: one recv SQE
 * per read; multishot: one multishot recv per connection over a provided
 * buffer ring.  Prints "requests N seconds S".
 */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 16384
#define NBUFS 1024
#define BGID 7

struct conn {
	int fd;
	size_t got;
};

static char req[512];
static size_t req_len, resp_len;
static char *bufs;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int dial(const char *host, int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, host, &a.sin_addr);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		perror("connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	return fd;
}

/* One blocking request to learn the response size. */
static void probe(const char *host, int port)
{
	int fd = dial(host, port);
	if (write(fd, req, req_len) != (ssize_t)req_len)
		exit(1);
	char b[BUF];
	ssize_t n = 0, r;
	char *end = NULL;
	while (!end && (r = read(fd, b + n, sizeof(b) - 1 - n)) > 0) {
		n += r;
		b[n] = 0;
		end = strstr(b, "\r\n\r\n");
	}
	char *cl = strcasestr(b, "content-length:");
	if (!end || !cl) {
		fprintf(stderr, "no Content-Length in the response\n");
		exit(1);
	}
	resp_len = (size_t)(end + 4 - b) + strtoul(cl + 15, NULL, 10);
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 6) {
		fprintf(stderr, "usage: loadfloor HOST PORT PATH CONNECTIONS SECONDS [recv|multishot]\n");
		return 2;
	}
	const char *host = argv[1];
	int port = atoi(argv[2]);
	int nc = atoi(argv[4]);
	double secs = atof(argv[5]);
	int multishot = argc > 6 && strcmp(argv[6], "multishot") == 0;
	req_len = (size_t)snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", argv[3],
	                           host, port);
	probe(host, port);

	struct io_uring ring;
	struct io_uring_params p = {.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN};
	if (io_uring_queue_init_params(4 * nc + 64, &ring, &p) < 0) {
		p.flags = 0;
		if (io_uring_queue_init_params(4 * nc + 64, &ring, &p) < 0) {
			perror("io_uring");
			return 1;
		}
	}
	struct conn *cs = calloc(nc, sizeof(*cs));
	bufs = malloc((size_t)(multishot ? NBUFS : nc) * BUF);
	struct io_uring_buf_ring *br = NULL;
	if (multishot) {
		/* liburing 2.3 has no io_uring_setup_buf_ring: map and register it */
		br = mmap(NULL, NBUFS * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
		          MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
		struct io_uring_buf_reg reg = {.ring_addr = (unsigned long)br, .ring_entries = NBUFS,
		                               .bgid = BGID};
		int err = br == MAP_FAILED ? -1 : io_uring_register_buf_ring(&ring, &reg, 0);
		if (err) {
			fprintf(stderr, "buffer ring: %s\n", strerror(-err));
			return 1;
		}
		io_uring_buf_ring_init(br);
		for (int i = 0; i < NBUFS; i++)
			io_uring_buf_ring_add(br, bufs + (size_t)i * BUF, BUF, i, io_uring_buf_ring_mask(NBUFS), i);
		io_uring_buf_ring_advance(br, NBUFS);
	}
	for (int i = 0; i < nc; i++)
		cs[i].fd = dial(host, port);
	/* user_data: connection index << 1 | (1 = a receive) */
	for (int i = 0; i < nc; i++) {
		struct io_uring_sqe *s = io_uring_get_sqe(&ring);
		io_uring_prep_send(s, cs[i].fd, req, req_len, 0);
		io_uring_sqe_set_data64(s, (uint64_t)i << 1);
		s = io_uring_get_sqe(&ring);
		if (multishot) {
			io_uring_prep_recv_multishot(s, cs[i].fd, NULL, 0, 0);
			s->flags |= IOSQE_BUFFER_SELECT;
			s->buf_group = BGID;
		} else {
			io_uring_prep_recv(s, cs[i].fd, bufs + (size_t)i * BUF, BUF, 0);
		}
		io_uring_sqe_set_data64(s, (uint64_t)i << 1 | 1);
	}
	unsigned long requests = 0;
	double t0 = now(), end = t0 + secs;
	while (now() < end) {
		struct io_uring_cqe *cqe;
		if (io_uring_submit_and_wait(&ring, 1) < 0)
			break;
		unsigned head, n = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			n++;
			uint64_t ud = cqe->user_data;
			struct conn *c = &cs[ud >> 1];
			if (!(ud & 1))
				continue; /* a send */
			if (cqe->res <= 0) {
				fprintf(stderr, "recv: %d\n", cqe->res);
				return 1;
			}
			c->got += (size_t)cqe->res;
			if (multishot) {
				int bid = (int)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
				io_uring_buf_ring_add(br, bufs + (size_t)bid * BUF, BUF, bid,
				                      io_uring_buf_ring_mask(NBUFS), 0);
				io_uring_buf_ring_advance(br, 1);
			}
			if (c->got >= resp_len) {
				c->got -= resp_len;
				requests++;
				struct io_uring_sqe *s = io_uring_get_sqe(&ring);
				io_uring_prep_send(s, c->fd, req, req_len, 0);
				io_uring_sqe_set_data64(s, ud & ~1ull);
			}
			if (!multishot || !(cqe->flags & IORING_CQE_F_MORE)) {
				struct io_uring_sqe *s = io_uring_get_sqe(&ring);
				if (multishot) {
					io_uring_prep_recv_multishot(s, c->fd, NULL, 0, 0);
					s->flags |= IOSQE_BUFFER_SELECT;
					s->buf_group = BGID;
				} else {
					io_uring_prep_recv(s, c->fd, bufs + (size_t)(ud >> 1) * BUF, BUF, 0);
				}
				io_uring_sqe_set_data64(s, ud);
			}
		}
		io_uring_cq_advance(&ring, n);
	}
	printf("requests %lu seconds %.3f\n", requests, now() - t0);
	return 0;
}
