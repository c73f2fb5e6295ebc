/*
 * input.h - the URL list format of -i FILE, read lazily.
 */
#ifndef RF_CLI_INPUT_H
#define RF_CLI_INPUT_H

#include <stdio.h>

/* One URL of the list with its per-URL options. */
struct input_entry {
	char *url;
	char *out;      /* out=NAME, or NULL */
	char *dir;      /* dir=DIR, or NULL */
	char *checksum; /* checksum=ALGO=HEX, or NULL */
	unsigned split; /* split=N (1..64), or 0 */
	char *key;      /* key=KEY (--tar's sample key), or NULL */
	unsigned line;
};

struct input {
	FILE *f;
	const char *name; /* for messages: the file name, or "-" */
	unsigned line;    /* last line read */
	char *buf;
	size_t cap;
	char *pending; /* a URL line read ahead, or NULL */
	unsigned pending_line;
	unsigned errors; /* lines reported as bad */
	void (*report)(void *arg, const char *file, unsigned line, const char *msg);
	void *report_arg;
};

/* Open path ("-" = stdin).  Returns 0 or -errno. */
int input_open(struct input *in, const char *path);
void input_close(struct input *in);

/* The next good entry: 1, or 0 at the end.  Bad lines are reported through
 * in->report with file name and line number and skipped (an unknown option
 * skips its URL too: fetching it without what was asked would be wrong). */
int input_next(struct input *in, struct input_entry *e);
void input_entry_clear(struct input_entry *e);

/* Checks for out= and dir= values: NULL when fine, else what is wrong. */
const char *input_check_name(const char *name);
const char *input_check_dir(const char *dir);
const char *input_check_checksum(const char *spec);
const char *input_check_key(const char *key);

#endif
