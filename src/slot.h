/*
 * slot.h - one transfer's state machine (slot.c): what the client calls on a
 * slot, and the wake-ups it routes to it.
 */
#ifndef RF_SLOT_H
#define RF_SLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "ringfetch.h"

struct rf__conn;
struct rf__origin;
struct rf__req;
struct rf__slot;
struct rf__url;
#include "loop.h"

/* A slot's life: set up when first taken (slot idx), reset when recycled
 * (every part by its module, what is reused kept; the generation moves
 * on), released at the client's teardown. */
void rf__slot_setup(struct rf__slot *s, uint32_t idx);
void rf__slot_reset(const rf_client *c, struct rf__slot *s);
void rf__slot_release(struct rf__slot *s);

void rf__slot_start(rf_client *c, struct rf__slot *s, struct rf__req *r, struct rf__origin *o);
void rf__slot_on_completion(rf_client *c, struct rf__slot *s, enum rf__op_kind op, unsigned buf, int res,
                            unsigned flags);
/* The receive pool has buffers again: receive, if s still waits for one. */
void rf__slot_pool_ready(rf_client *c, struct rf__slot *s);
/* The rate limit's wait (rate_until) is over: receive. */
void rf__slot_rate_ready(rf_client *c, struct rf__slot *s);
/* The Happy Eyeballs stagger passed: start the next connection attempt. */
void rf__slot_stagger(rf_client *c, struct rf__slot *s);
void rf__slot_dns_ready(rf_client *c, struct rf__slot *s);
/* The slot's name gained addresses or finished asking: a slot that tried
 * every address it had dials the new ones, or fails. */
void rf__slot_dns_more(rf_client *c, struct rf__slot *s);
void rf__slot_fail(rf_client *c, struct rf__slot *s, int err);
/* Its HTTP/2 stream has news (session.c): headers, body bytes, the end. */
void rf__slot_h2_news(rf_client *c, struct rf__slot *s);
/* A deadline passed: fail with err, saying in which phase. */
void rf__slot_timeout(rf_client *c, struct rf__slot *s, int err);
int64_t rf__slot_deadline(const rf_client *c, const struct rf__slot *s, int *which);
/* rf__slot_deadline's `which` when the deadline is the end of a rate
 * limit's wait, not a timeout. */
#define RF__RATE_WAKE 1
#define RF__STAGGER_WAKE 2

/* The response ended: release or close the connection, then redirect,
 * fail on the status, or finish. */
void rf__slot_response_end(rf_client *c, struct rf__slot *s, bool reusable);
/* Do the next step of finishing (see slot.c); no-op while running. */
void rf__slot_finish_step(rf_client *c, struct rf__slot *s);

/* Assert the slot's invariants (ops counted against what is in flight,
 * buffer ownership, the end value against the error and the state).
 * The client calls it after every completion in debug builds
 * (RF_SLOT_CHECKS); a no-op otherwise. */
void rf__slot_check(const rf_client *c, const struct rf__slot *s);

#endif
