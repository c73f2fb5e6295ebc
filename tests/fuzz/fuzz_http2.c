/* fuzz_http2.c - the HTTP/2 frame path (http2.c over nghttp2): a client
 * session with three streams open, fed what "the server" sent (the input
 * after a split seed byte) in random splits, in memory.  Each piece sits in
 * its own exact-size allocation.  After every piece the frames the session
 * wants to send are taken and each stream's news is acted on as a slot
 * would: landed bytes are taken (checked inside the landing) and the
 * window opened for them, a stream that ended or failed is closed.
 * Invariants: nothing lands beyond its landing; a stream with headers has
 * a final status; a failed stream says why. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exchange.h"
#include "http2.h"
#include "ringfetch.h"

#define STREAMS 3
#define LAND 16384

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t rng = data[0] * 2654435761u + 1;
	data++;
	size--;
	struct rf__h2 *h;
	struct rf__h2_opts o = {.stream_window = LAND, .h2c = true};
	if (rf__h2_new(&h, &o))
		return 0;
	static struct rf__exchange x[STREAMS];
	static struct rf__response out[STREAMS];
	static char land[STREAMS][2][LAND];
	int which[STREAMS] = {0};
	static const char req[] = "GET /f HTTP/1.1\r\nHost: fuzz.test\r\nUser-Agent: f\r\n"
				  "Connection: keep-alive\r\nAccept: */*\r\n\r\n";
	for (int i = 0; i < STREAMS; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		rf__exchange_begin(&x[i], &rf__http2_exchange, &out[i], false);
		if (rf__h2_open(h, &x[i].proto.h2, &out[i], req, sizeof(req) - 1, false, land[i][0], LAND))
			abort(); /* a fresh session takes three streams */
	}
	const uint8_t *frames;
	while (rf__h2_out(h, &frames) > 0)
		;
	size_t off = 0;
	while (off < size) {
		rng = rng * 1103515245u + 12345u;
		size_t n = (rng >> 16) % 4 == 0 ? size - off : 1 + (rng >> 8) % 97;
		if (n > size - off)
			n = size - off;
		char *piece = malloc(n);
		if (!piece)
			break;
		memcpy(piece, data + off, n);
		int err = rf__h2_recv(h, piece, n);
		free(piece);
		off += n;
		while (rf__h2_out(h, &frames) > 0)
			;
		struct rf__h2_stream *st;
		while ((st = rf__h2_next_news(h))) {
			int i = 0;
			while (i < STREAMS && &x[i].proto.h2 != st)
				i++;
			if (i == STREAMS || st->land_len > st->land_cap)
				abort();
			if (st->headers && out[i].status < 200)
				abort();
			size_t got = st->land_len, consumed;
			if (got) { /* the landing goes to "the sink", the other lands */
				char *full = st->land;
				which[i] ^= 1;
				rf__h2_land(h, st, land[i][which[i]], LAND);
				int e = rf__exchange_feed(&x[i], full, got, &consumed);
				if (!e && (out[i].body_len != got || out[i].body != full))
					abort(); /* the feed is what landed */
				if (e && (e != st->error || out[i].body_len))
					abort(); /* a failed stream delivers nothing more */
				rf__h2_consume(h, st, got);
			}
			if (st->error && !st->detail[0])
				abort(); /* says why */
			if (st->error || st->ended || st->closed)
				rf__h2_close(h, st);
		}
		if (err)
			break;
	}
	rf__h2_free(h);
	return 0;
}
