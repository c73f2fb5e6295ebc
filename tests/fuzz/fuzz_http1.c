/* fuzz_http1.c - the HTTP/1 response path (llhttp with our limits, 1xx,
 * trailers, chunked compaction) fed in random splits.  Input: a flags byte
 * (bit 0: the request was HEAD), a split seed byte, then the bytes the
 * server sent.  Each piece sits in its own exact-size allocation, so ASan
 * sees any read or write outside it.  Invariants: body spans lie inside the
 * piece; a complete response with Content-Length delivered exactly that
 * many body bytes; a failed response carries an error code. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http1.h"
#include "ringfetch.h"

/* the protocol-neutral response every parse below fills (response.h) */
static struct rf__response resp_store;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	bool head = data[0] & 1;
	uint32_t rng = data[1] * 2654435761u + 1;
	data += 2;
	size -= 2;
	struct rf__http1_resp *r = malloc(sizeof(*r));
	if (!r)
		return 0;
	rf__http1_init(r, &resp_store, head);
	uint64_t body = 0;
	int err = 0;
	size_t off = 0;
	while (off < size && !err && !r->out->complete) {
		rng = rng * 1103515245u + 12345u;
		size_t n = (rng >> 16) % 4 == 0 ? size - off : 1 + (rng >> 8) % 97;
		if (n > size - off)
			n = size - off;
		char *piece = malloc(n);
		if (!piece)
			break;
		memcpy(piece, data + off, n);
		size_t consumed = 0;
		err = rf__http1_feed(r, piece, n, &consumed);
		if (consumed > n)
			abort();
		if (r->out->body_len) {
			if (r->out->body < piece || r->out->body + r->out->body_len > piece + n || err)
				abort();
			body += r->out->body_len;
		}
		free(piece);
		off += consumed ? consumed : n;
	}
	if (err && !r->error)
		abort(); /* a feed error is recorded */
	if (!err && !r->out->complete) {
		err = rf__http1_eof(r);
		if (err == RF_EPROTO && !r->out->error_detail[0])
			abort(); /* says why */
	}
	if (!err && r->out->complete && r->out->has_length && !head && r->out->status != 204 &&
	    r->out->status != 304 && body != r->out->content_length)
		abort();
	free(r);
	return 0;
}
