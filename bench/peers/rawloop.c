/*
 * rawloop.c - the raw ceiling for bench/run: one thread, epoll, N plain-HTTP
 * connections, nonblocking recv into a 1 MiB buffer and write() to a file.
 * No TLS, no redirects, no checks beyond Content-Length: the least work a
 * fetcher can do with a copy per byte.
 *
 *   rawloop HOST PORT OUTDIR PATH...      (one connection per PATH)
 */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

struct xfer {
	int sock, out;
	long long want, got; /* body bytes; want < 0 until headers parsed */
	char head[8192];
	size_t hlen;
};

static char buf[1 << 20];

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: rawloop HOST PORT OUTDIR PATH...\n");
		return 2;
	}
	int n = argc - 4, left = n;
	struct xfer *x = calloc((size_t)n, sizeof(*x));
	int ep = epoll_create1(0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
	inet_pton(AF_INET, argv[1], &sa.sin_addr);
	for (int i = 0; i < n; i++) {
		const char *path = argv[4 + i];
		char name[4096];
		const char *base = strrchr(path, '/');
		snprintf(name, sizeof(name), "%s/%s", argv[3], base ? base + 1 : path);
		x[i].out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		x[i].sock = socket(AF_INET, SOCK_STREAM, 0);
		if (x[i].out < 0 || connect(x[i].sock, (struct sockaddr *)&sa, sizeof(sa))) {
			perror(name);
			return 1;
		}
		char req[4200];
		int len = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, argv[1]);
		if (write(x[i].sock, req, (size_t)len) != len)
			return 1;
		fcntl(x[i].sock, F_SETFL, O_NONBLOCK);
		x[i].want = -1;
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
		epoll_ctl(ep, EPOLL_CTL_ADD, x[i].sock, &ev);
	}
	while (left > 0) {
		struct epoll_event evs[64];
		int k = epoll_wait(ep, evs, 64, -1);
		for (int e = 0; e < k; e++) {
			struct xfer *t = &x[evs[e].data.u32];
			ssize_t r = recv(t->sock, buf, sizeof(buf), 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				fprintf(stderr, "connection closed early\n");
				return 1;
			}
			char *p = buf;
			size_t len = (size_t)r;
			if (t->want < 0) {
				size_t take = len < sizeof(t->head) - t->hlen ? len : sizeof(t->head) - t->hlen;
				memcpy(t->head + t->hlen, p, take);
				t->hlen += take;
				char *end = memmem(t->head, t->hlen, "\r\n\r\n", 4);
				if (!end)
					continue;
				size_t hsz = (size_t)(end + 4 - t->head);
				char *cl = memmem(t->head, hsz, "Content-Length: ", 16);
				t->want = cl ? atoll(cl + 16) : 0;
				p += hsz - (t->hlen - take);
				len -= hsz - (t->hlen - take);
			}
			if (len && write(t->out, p, len) != (ssize_t)len)
				return 1;
			t->got += (long long)len;
			if (t->got >= t->want) {
				close(t->sock);
				close(t->out);
				left--;
			}
		}
	}
	return 0;
}
