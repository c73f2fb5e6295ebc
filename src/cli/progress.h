/*
 * progress.h - the progress display: on a terminal one line that fits its
 * width (fields dropped by priority, never wrapped), redrawn in place a few
 * times a second and cleared before any other message; elsewhere (a log) a
 * line per second.  Files done of the total once the list has been read
 * (else "+"), bytes done of the known lengths, the rate over the last few
 * seconds, an ETA when one can be computed, active, waiting (unread list
 * lines included) and failures.
 */
#ifndef RF_CLI_PROGRESS_H
#define RF_CLI_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <ringfetch.h>

enum progress_style { PROGRESS_NONE, PROGRESS_LINE, PROGRESS_BAR };

#define PROGRESS_SAMPLES 64

struct progress {
	enum progress_style style;
	bool tty;
	unsigned long total; /* URLs in all (command line + counted list) */
	bool total_known;    /* ... counted before the run */
	bool shown;          /* a line is on the terminal */
	bool iec;            /* sizes in KiB, MiB (powers of 1024), else kB, MB */
	struct {
		double t;
		uint64_t bytes, done;
	} sample[PROGRESS_SAMPLES];
	unsigned nsample, next;
};

/* What one line shows, computed from a snapshot (progress_view). */
struct progress_view {
	uint64_t done, failed, total; /* total 0: not known */
	bool total_more;              /* the list is not read to its end */
	uint64_t bytes, bytes_total;  /* bytes_total 0: not known */
	double rate;                  /* bytes/s over the last seconds */
	double eta;                   /* seconds, < 0: none */
	unsigned active;
	uint64_t waiting;
	bool waiting_more;
	bool iec; /* units: KiB, MiB (else kB, MB) */
};

void progress_init(struct progress *p, enum progress_style style, bool tty, unsigned long total,
                   bool total_known);
/* Take a snapshot into the rate window and compute what to show. */
void progress_view(struct progress *p, const rf_progress *rp, struct progress_view *v);
/* The line for a terminal of width columns (at most columns - 1 bytes,
 * never wrapping), or for a log (width 0: every field). */
void progress_format(const struct progress_view *v, enum progress_style style, unsigned width, char *out,
                     size_t cap);
/* Draw (in place on a terminal, a new line in a log). */
void progress_draw(struct progress *p, FILE *f, const rf_progress *rp);
/* Clear the terminal line before another message. */
void progress_clear(struct progress *p, FILE *f);
/* The "mega" unit of the family reports use: 1e6 ("MB") or 2^20 ("MiB"),
 * the family the user typed sizes and rates in (--limit-rate 2M: MiB). */
double units_mega(bool iec, const char **name);
/* The terminal's width: TIOCGWINSZ, else $COLUMNS, else 80. */
unsigned progress_columns(int fd);

#endif
