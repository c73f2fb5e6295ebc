/*
 * splice.h - the state of a body spliced socket -> pipe -> file, embedded
 * in its slot.  splice.c owns it; the pipe outlives transfers (kept empty
 * for the slot's next one).
 */
#ifndef RF_SPLICE_H
#define RF_SPLICE_H

#include <stdbool.h>
#include <stdint.h>

struct rf__splice {
	int pipe_r, pipe_w;      /* this slot's pipe (-1: none yet) */
	unsigned pipe_len;       /* bytes one splice moves at most */
	int64_t in_pipe;         /* spliced in, not yet out (either CQE may come first) */
	bool in_busy, out_busy;  /* each half in flight */
	bool splicing;           /* the rest of this body goes around the parser */
};

#endif
