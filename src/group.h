/*
 * group.h - what the threads of one client share (rf_client_opts.threads).
 *
 * Each thread runs a ring of its own (a member of the group) and shares
 * nothing with the others on the hot path: the threads meet here, under
 * one mutex, only where one run must behave as one: the per-host
 * connection caps, the rate buckets (--limit-rate, --limit-rate-per-host),
 * the .part names being written, the names being looked up and their
 * answers (one lookup per name for all threads), and the stop.  A leaf:
 * keys in, answers out.  It never calls a member: where a member waits for
 * another (a connection of a capped host, a name another thread is looking
 * up), the group writes to the waiting members' wake descriptors, and
 * their loops look again.
 */
#ifndef RF_GROUP_H
#define RF_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "addrlist.h"

#define RF__GROUP_MAX 256 /* threads of one client at most */

struct rf__group;

/* 0 or -ENOMEM.  rate / rate_per_host: bytes per second in total and per
 * origin, across every member (0: no limit). */
int rf__group_new(unsigned members, double rate, double rate_per_host, struct rf__group **out);
void rf__group_free(struct rf__group *g);
unsigned rf__group_members(const struct rf__group *g);

/* member's wake descriptor (an eventfd its loop reads), or -1. */
void rf__group_set_wake(struct rf__group *g, unsigned member, int fd);
/* Wake every member but self (RF__GROUP_MAX: every one). */
void rf__group_wake_others(struct rf__group *g, unsigned self);

/* The run is stopping (rf_stop on any member, or a fatal error): every
 * member is woken and sees it. */
void rf__group_stop(struct rf__group *g);
bool rf__group_stopping(const struct rf__group *g);

/* Whatever calls out of the library (the source, the callbacks) holds this
 * lock, so the caller's code runs one call at a time as with one thread. */
void rf__group_lock_caller(struct rf__group *g);
void rf__group_unlock_caller(struct rf__group *g);

/* The cookie store every member shares (one lock around each use). */
void rf__group_lock_cookies(struct rf__group *g);
void rf__group_unlock_cookies(struct rf__group *g);

/* ---- per-host connections (key: the origin's) ---- */
/* One more connection to key if fewer than cap are open (cap 0: no cap),
 * or always when force.  false: at the cap; self is then noted as
 * waiting, and woken when one is closed. */
bool rf__group_conn_take(struct rf__group *g, const char *key, unsigned cap, bool force, unsigned self);
/* One connection to key closed; members waiting for one are woken. */
void rf__group_conn_put(struct rf__group *g, const char *key, unsigned self);
/* Does a member other than self wait for a connection to key? */
bool rf__group_conn_wanted(struct rf__group *g, const char *key, unsigned self);

/* A request self would park for key's cap goes instead to a member that
 * holds connections to key (so capacity never moves by a close and a new
 * connection, which a server would see overlap): true when handed over
 * (that member is woken), false when none holds one. */
bool rf__group_hand_over(struct rf__group *g, const char *key, unsigned self, void *item);
/* The next request handed over to self, or NULL. */
void *rf__group_take_handed(struct rf__group *g, unsigned self);
/* closed: self takes no more (false when some wait: take them first);
 * !closed: open again (a new run). */
bool rf__group_inbox_close(struct rf__group *g, unsigned self, bool closed);

/* ---- balance: entries a busy member holds go to members with room ---- */
/* self holds entries it cannot start now (every slot busy): has.  Going
 * to none wakes the members with room (they may end). */
void rf__group_set_surplus(struct rf__group *g, unsigned self, bool has);
/* self has nothing to start and n free slots (0: no room).  Going from 0
 * wakes the members with surplus. */
void rf__group_set_room(struct rf__group *g, unsigned self, unsigned n);
/* Does another member have room?  (Without the lock: a hint.) */
bool rf__group_room_elsewhere(struct rf__group *g, unsigned self);
/* item (a request) into the inbox of the member with the most room, which
 * is woken: false when none has room. */
bool rf__group_give(struct rf__group *g, unsigned self, void *item);
/* Does another member hold entries it cannot start (self, with room,
 * stays for them rather than ending its run)? */
bool rf__group_surplus_elsewhere(struct rf__group *g, unsigned self);

/* ---- rate buckets (key NULL: the total one) ---- */
/* 0 when a receive may go now, else the ns to wait. */
int64_t rf__group_rate_wait(struct rf__group *g, const char *key, int64_t now);
void rf__group_rate_spend(struct rf__group *g, const char *key, int64_t now, uint64_t n);

/* ---- .part names ---- */
/* path is now self's to write: false when another member's. */
bool rf__group_claim(struct rf__group *g, const char *path);
void rf__group_unclaim(struct rf__group *g, const char *path);

/* ---- names (host names, for every member) ---- */
enum rf__board_state {
	RF__BOARD_ASK,    /* nobody knows: the caller looks it up (and says
	                      so with rf__group_name_answer) */
	RF__BOARD_ASKING, /* another member is looking it up: wait (woken
	                      when it answers) */
	RF__BOARD_OK,     /* *addrs (one reference) until *expires */
	RF__BOARD_FAILED, /* why, until *expires */
};
enum rf__board_state rf__group_name_find(struct rf__group *g, const char *host, int64_t now, unsigned self,
                                         struct rf__addrlist **addrs, unsigned *ttl, int64_t *expires,
                                         char *why, size_t why_cap);
/* The lookup self made ended: addrs (copied; NULL: failed with why) valid
 * until expires.  Members waiting for it are woken. */
void rf__group_name_answer(struct rf__group *g, const char *host, const struct rf__addrlist *addrs,
                           unsigned ttl, int64_t expires, const char *why);

#endif
