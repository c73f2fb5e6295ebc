/*
 * session.h - an HTTP/2 session (session.c): one connection carrying the
 * streams of many transfers.  The session owns the connection and its
 * socket ops (a receive and a send at once, under RF__OWNER_CONN tags);
 * http2.c frames; each slot owns its stream (in its exchange) and drives
 * it through these calls.  It never calls up: what happened to a stream
 * is news the client hands to the stream's slot (rf__session_next_news).
 */
#ifndef RF_SESSION_H
#define RF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http2.h"
#include "loop.h"
#include "ringfetch.h"

struct rf__conn;
struct rf__origin;
struct rf__session;

/* conn (ready: TLS agreed on h2, or plain with prior knowledge) becomes a
 * session's, which starts reading and sends its preface and SETTINGS.
 * NULL when memory ran out (conn is then still the caller's). */
struct rf__session *rf__session_new(rf_client *c, struct rf__conn *conn);
/* A session of origin o a new stream can go on now, or NULL. */
struct rf__session *rf__session_for(rf_client *c, struct rf__origin *o);
struct rf__origin *rf__session_origin(const struct rf__session *x);

/* Open st for the request text req[0..len) (rf__h2_open), its body landing
 * in land[0..cap): 0 or an RF_E* with st->detail. */
int rf__session_open(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, struct rf__response *out,
                     const char *req, size_t len, bool tls, char *land, size_t cap);
/* rf__h2_land, rf__h2_consume, rf__h2_close, then what is to be sent goes. */
void rf__session_land(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, char *land, size_t cap);
void rf__session_consume(rf_client *c, struct rf__session *x, struct rf__h2_stream *st, size_t n);
void rf__session_close_stream(rf_client *c, struct rf__session *x, struct rf__h2_stream *st);

/* A completion of a session op (tag owner RF__OWNER_CONN). */
void rf__session_on_completion(rf_client *c, rf__tag tag, int res);
/* A session with news for its streams, taken off the client's list, or
 * NULL; then its streams one by one (NULL when no more). */
struct rf__session *rf__session_with_news(rf_client *c);
struct rf__h2_stream *rf__session_next_news(struct rf__session *x);
/* All its news went out: a session with nothing left is closed. */
void rf__session_told(rf_client *c, struct rf__session *x);

/* Sessions in use and idle (for io stats and tests). */
unsigned rf__session_count(const rf_client *c);
/* Close every idle session (threads: a member ending its run). */
void rf__session_shut_idle(rf_client *c);
/* Threads, --max-per-host: close the idle sessions of hosts another
 * thread waits for a connection to. */
void rf__session_shut_wanted(rf_client *c);
/* Teardown: every session closed now (the ring is going away). */
void rf__session_free_all(rf_client *c);

#endif
