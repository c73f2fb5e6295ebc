/*
 * queue.h - requests (queue.c): made from what the caller gave, freed after
 * their report; the ready queue (front: redirects, retries, segments).
 */
#ifndef RF_QUEUE_H
#define RF_QUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "ringfetch.h"

struct rf__conn;
struct rf__origin;
struct rf__req;
struct rf__slot;
struct rf__url;

void rf__queue_push_front(rf_client *c, struct rf__req *r);
void rf__queue_push_back(rf_client *c, struct rf__req *r);
struct rf__req *rf__queue_pop(rf_client *c);
struct rf__req *rf__req_new(const rf_client *c, const rf_request *rq, int *err, const char **why);
/* A request for one segment of leader's file: its current URL, credentials
 * as they stand on its redirect chain, its path and deadline. */
struct rf__req *rf__req_segment(const struct rf__req *leader);
void rf__req_free(struct rf__req *r);

#endif
