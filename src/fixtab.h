/*
 * fixtab.h - the bookkeeping of the ring's registered file table
 * (--uring-fixed-files): which socket descriptor sits in which slot of the
 * table, and which slots are free.  loop.c does the kernel side: one
 * IORING_OP_FILES_UPDATE when a socket is made and one when it is closed,
 * and IOSQE_FIXED_FILE with the slot on every op on the socket, so the
 * kernel skips its per-op descriptor lookup and reference count.
 *
 * A freed slot is not handed out again until the SQEs queued so far have
 * been submitted (rf__fixtab_submitted): an update still waiting in the SQ
 * reads the descriptor it names at submission.
 */
#ifndef RF_FIXTAB_H
#define RF_FIXTAB_H

struct rf__fixtab;

int rf__fixtab_new(unsigned n, struct rf__fixtab **out);
void rf__fixtab_free(struct rf__fixtab *t);
unsigned rf__fixtab_size(const struct rf__fixtab *t);
/* Put fd in a free slot: the slot, or -1 (none free, or no memory). */
int rf__fixtab_add(struct rf__fixtab *t, int fd);
/* fd's slot, or -1. */
int rf__fixtab_of(const struct rf__fixtab *t, int fd);
/* fd leaves the table: its slot (free after the next submission), or -1. */
int rf__fixtab_remove(struct rf__fixtab *t, int fd);
/* The descriptor stored for slot i (what its update SQE points at). */
int *rf__fixtab_fd_at(struct rf__fixtab *t, int i);
/* Everything queued so far went to the kernel. */
void rf__fixtab_submitted(struct rf__fixtab *t);

#endif
