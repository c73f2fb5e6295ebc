/*
 * hosts.h - the hosts file (/etc/hosts), read once into a table.
 *
 * Names are matched without regard to case, as the resolver does; every
 * line naming a host adds its address (IPv4 and IPv6), in file order.
 */
#ifndef RF_HOSTS_H
#define RF_HOSTS_H

#include "addrlist.h"

struct rf__hosts;

/* Read path (a missing file is an empty table): 0, or -errno (out of
 * memory, or the file could not be read). */
int rf__hosts_load(const char *path, struct rf__hosts **out);
void rf__hosts_free(struct rf__hosts *h);
/* The addresses the file gives name, or NULL; the table keeps the reference. */
struct rf__addrlist *rf__hosts_find(const struct rf__hosts *h, const char *name);
unsigned rf__hosts_count(const struct rf__hosts *h);

#endif
