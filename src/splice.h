/*
 * splice.h - large plain bodies spliced socket -> pipe -> file (splice.c):
 * the state embedded in the slot, and what the slot calls.  splice.c owns it; the pipe outlives transfers (kept empty
 * for the slot's next one).
 */
#ifndef RF_SPLICE_H
#define RF_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "ringfetch.h"

struct rf__buf;
struct rf__slot;

struct rf__splice {
	int pipe_r, pipe_w;     /* this slot's pipe (-1: none yet) */
	unsigned pipe_len;      /* bytes one splice moves at most */
	int64_t in_pipe;        /* spliced in, not yet out (either CQE may come first) */
	bool in_busy, out_busy; /* each half in flight */
	bool splicing;          /* the rest of this body goes around the parser */
};

/* No pipe yet; between transfers (the pipe kept, empty); the pipe closed. */
void rf__splice_init(struct rf__splice *sp);
void rf__splice_reset(struct rf__splice *sp);
void rf__splice_release(struct rf__splice *sp);

bool rf__splice_ok(const rf_client *c, const struct rf__slot *s);
/* Move the next piece; false when no pipe could be made (use recv). */
bool rf__splice_next(rf_client *c, struct rf__slot *s);
/* What a splice completion leaves the slot to do. */
enum rf__splice_outcome {
	RF__SPLICE_MOVING,    /* a half is still out, or the next piece moves */
	RF__SPLICE_STOP,      /* failed or abandoned (rf__slot_abandoned): wind down */
	RF__SPLICE_BODY_DONE, /* the whole body is in the file: end the response */
};
enum rf__splice_outcome rf__splice_on_in(rf_client *c, struct rf__slot *s, int res);
enum rf__splice_outcome rf__splice_on_out(rf_client *c, struct rf__slot *s, int res);

#endif
