/*
 * pool.h - origins and their connection pools (pool.c): idle connections kept
 * per origin and in one LRU, the per-host cap and the requests parked
 * behind it.
 */
#ifndef RF_POOL_H
#define RF_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "ringfetch.h"

struct rf__conn;
struct rf__origin;
struct rf__req;
struct rf__slot;
struct rf__url;

struct rf__origin *rf__origin_get(rf_client *c, const struct rf__url *u);
struct rf__conn *rf__conn_take_idle(rf_client *c, struct rf__origin *o);
struct rf__conn *rf__conn_new(rf_client *c, struct rf__origin *o);
void rf__conn_release(rf_client *c, struct rf__conn *conn, bool reusable);
/* Is o at the per-host cap (no idle connection to reuse)?  With threads
 * a false answer may carry the group's grant of one more connection:
 * rf__conn_new takes it, rf__origin_unreserve hands back one not taken. */
bool rf__origin_at_cap(rf_client *c, struct rf__origin *o);
void rf__origin_unreserve(rf_client *c, struct rf__origin *o);
/* A caller that looks at o after starting a transfer on it (which may
 * end, and close o's last connection, before the call returns) counts
 * o->holds up first; rf__origin_let_go counts it down (o may be freed). */
void rf__origin_let_go(rf_client *c, struct rf__origin *o);
/* Another thread woke this one (group.h): idle connections others wait
 * for are closed, requests parked for the cap try again. */
void rf__pool_nudged(rf_client *c);
void rf__origin_park(rf_client *c, struct rf__origin *o, struct rf__req *r);
/* A stream of o's ended (HTTP/2): one parked request may take its place. */
void rf__origin_room(rf_client *c, struct rf__origin *o);
/* What parked requests waited for happened (a connection turned out to
 * speak h2, or not, or failed): all of them go again; after a failure
 * each dials its own rather than wait again. */
void rf__origin_unpark_all(rf_client *c, struct rf__origin *o, bool failed);
/* A connection to o that may speak h2 is being set up: a new request waits
 * for it (parked) rather than dial one of its own. */
bool rf__origin_waits(const rf_client *c, const struct rf__origin *o);
/* Threads: close every idle connection (a member ending its run lets the
 * capped hosts' places go); rf__pool_closing counts closes still in
 * flight, rf__pool_closed is one's completion (its tag's index). */
void rf__pool_close_idle(rf_client *c);
unsigned rf__pool_closing(const rf_client *c);
void rf__pool_closed(rf_client *c, uint32_t idx);
void rf__pool_free(rf_client *c);

#endif
