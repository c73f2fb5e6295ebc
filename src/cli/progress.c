/*
 * progress.c - the progress display (see progress.h).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "progress.h"

#define RATE_WINDOW 3.0 /* seconds the current rate is measured over */

void progress_init(struct progress *p, enum progress_style style, bool tty, unsigned long total,
                   bool total_known)
{
	memset(p, 0, sizeof(*p));
	p->style = style;
	p->tty = tty;
	p->total = total;
	p->total_known = total_known;
}

unsigned progress_columns(int fd)
{
	struct winsize ws;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	const char *c = getenv("COLUMNS");
	long n = c ? strtol(c, NULL, 10) : 0;
	return n > 0 && n < 10000 ? (unsigned)n : 80;
}

void progress_view(struct progress *p, const rf_progress *rp, struct progress_view *v)
{
	memset(v, 0, sizeof(*v));
	v->iec = p->iec;
	uint64_t done = rp->ok + rp->failed;
	p->sample[p->next] = (typeof(p->sample[0])){rp->elapsed, rp->bytes, done};
	p->next = (p->next + 1) % PROGRESS_SAMPLES;
	if (p->nsample < PROGRESS_SAMPLES)
		p->nsample++;
	/* the oldest sample inside the window */
	double t0 = rp->elapsed, b0 = (double)rp->bytes, d0 = (double)done;
	for (unsigned i = 0; i < p->nsample; i++) {
		unsigned k = (p->next + PROGRESS_SAMPLES - 1 - i) % PROGRESS_SAMPLES;
		if (rp->elapsed - p->sample[k].t > RATE_WINDOW)
			break;
		t0 = p->sample[k].t;
		b0 = (double)p->sample[k].bytes;
		d0 = (double)p->sample[k].done;
	}
	double dt = rp->elapsed - t0;
	if (dt <= 0 && rp->elapsed > 0) { /* the first sample: since the start */
		dt = rp->elapsed;
		b0 = d0 = 0;
	}
	v->rate = dt > 0 ? ((double)rp->bytes - b0) / dt : 0;
	double files_rate = dt > 0 ? ((double)done - d0) / dt : 0;
	v->done = rp->ok;
	v->failed = rp->failed;
	v->active = rp->active;
	v->bytes = rp->bytes;
	bool all_taken = rp->source_done || p->total_known;
	uint64_t total = p->total_known ? p->total : rp->taken;
	v->total = total;
	v->total_more = !all_taken;
	v->waiting = rp->waiting + (total > rp->taken ? total - rp->taken : 0);
	v->waiting_more = !all_taken;
	/* known lengths: all of them once every request is in and its length known */
	if (!v->total_more && rp->unknown_length == 0 && rp->active + rp->waiting + done >= total)
		v->bytes_total = rp->bytes_expected > rp->bytes ? rp->bytes_expected : rp->bytes;
	v->eta = -1;
	if (v->bytes_total && rp->waiting == 0 && v->rate > 0) /* the last transfers: by bytes */
		v->eta = (double)(v->bytes_total - v->bytes) / v->rate;
	else if (!v->total_more && files_rate > 0 && total > done)
		v->eta = (double)(total - done) / files_rate;
}

static void human_bytes(double b, bool iec, char *out, size_t cap)
{
	static const char *const si[] = {"B", "kB", "MB", "GB", "TB"};
	static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double base = iec ? 1024 : 1000;
	int u = 0;
	while (b >= base && u < 4) {
		b /= base;
		u++;
	}
	snprintf(out, cap, u == 0 ? "%.0f %s" : "%.1f %s", b, (iec ? bin : si)[u]);
}

double units_mega(bool iec, const char **name)
{
	*name = iec ? "MiB" : "MB";
	return iec ? 1048576.0 : 1e6;
}

static void human_time(double s, char *out, size_t cap)
{
	unsigned long t = (unsigned long)(s + 0.5);
	if (t >= 3600)
		snprintf(out, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, cap, "%lu:%02lu", t / 60, t % 60);
}

enum { F_FILES, F_FAILED, F_RATE, F_ETA, F_BYTES, F_ACTIVE, F_WAITING, F_COUNT };

void progress_format(const struct progress_view *v, enum progress_style style, unsigned width, char *out,
                     size_t cap)
{
	char field[F_COUNT][96], a[32], b[32];
	snprintf(field[F_FILES], sizeof(field[0]), "%llu/%llu%s files",
	         (unsigned long long)(v->done + v->failed), (unsigned long long)v->total,
	         v->total_more ? "+" : "");
	snprintf(field[F_FAILED], sizeof(field[0]), "%llu failed", (unsigned long long)v->failed);
	human_bytes(v->rate, v->iec, a, sizeof(a));
	snprintf(field[F_RATE], sizeof(field[0]), "%s/s", a);
	field[F_ETA][0] = 0;
	if (v->eta >= 0) {
		human_time(v->eta, a, sizeof(a));
		snprintf(field[F_ETA], sizeof(field[0]), "ETA %s", a);
	}
	human_bytes((double)v->bytes, v->iec, a, sizeof(a));
	if (v->bytes_total) {
		human_bytes((double)v->bytes_total, v->iec, b, sizeof(b));
		snprintf(field[F_BYTES], sizeof(field[0]), "%s of %s", a, b);
	} else {
		snprintf(field[F_BYTES], sizeof(field[0]), "%s", a);
	}
	snprintf(field[F_ACTIVE], sizeof(field[0]), "%u active", v->active);
	snprintf(field[F_WAITING], sizeof(field[0]), "%llu%s waiting", (unsigned long long)v->waiting,
	         v->waiting_more ? "+" : "");
	/* the share done: by bytes for the last transfers of known length, else by files */
	int pct = -1;
	if (v->bytes_total)
		pct = (int)(100.0 * (double)v->bytes / (double)v->bytes_total);
	else if (v->total && !v->total_more)
		pct = (int)(100.0 * (double)(v->done + v->failed) / (double)v->total);
	/* drop the least important fields until the line fits */
	static const int order[F_COUNT] = {F_FILES, F_FAILED, F_RATE, F_ETA, F_BYTES, F_ACTIVE, F_WAITING};
	bool use[F_COUNT];
	for (int i = 0; i < F_COUNT; i++)
		use[i] = field[i][0] && (i != F_FAILED || v->failed);
	for (int keep = F_COUNT;; keep--) {
		char line[512];
		size_t w = 0;
		w += (size_t)snprintf(line + w, sizeof(line) - w, "ringfetch:");
		if (style == PROGRESS_BAR && pct >= 0 && width >= 60) {
			char bar[24];
			int cells = 10, full = pct * cells / 100;
			for (int i = 0; i < cells; i++)
				bar[i] = i < full ? '#' : '-';
			bar[cells] = 0;
			w += (size_t)snprintf(line + w, sizeof(line) - w, " [%s]", bar);
		}
		if (pct >= 0)
			w += (size_t)snprintf(line + w, sizeof(line) - w, " %d%%", pct > 100 ? 100 : pct);
		int shown = 0;
		for (int i = 0; i < F_COUNT && w < sizeof(line); i++) {
			int f = order[i];
			if (!use[f] || i >= keep)
				continue;
			w += (size_t)snprintf(line + w, sizeof(line) - w, "%s %s", shown ? "," : "",
			                      field[f]);
			shown++;
		}
		if (w >= sizeof(line))
			w = sizeof(line) - 1;
		if (width == 0 || w + 1 <= width || keep <= 1) {
			if (width && w + 1 > width)
				w = width - 1; /* a very narrow terminal: cut, never wrap */
			line[w] = 0;
			snprintf(out, cap, "%s", line);
			return;
		}
	}
}

void progress_draw(struct progress *p, FILE *f, const rf_progress *rp)
{
	struct progress_view v;
	progress_view(p, rp, &v);
	char line[512];
	if (!p->tty) { /* a log: every field, a line each time */
		const char *unit;
		double mega = units_mega(p->iec, &unit);
		progress_format(&v, PROGRESS_LINE, 0, line, sizeof(line));
		fprintf(f,
		        "ringfetch: %llu ok, %llu failed, %u active, %llu waiting, %.1f %s, %.1f %s/s (%s)\n",
		        (unsigned long long)rp->ok, (unsigned long long)rp->failed, rp->active,
		        (unsigned long long)v.waiting, (double)rp->bytes / mega, unit, v.rate / mega, unit,
		        line + strlen("ringfetch: "));
		fflush(f);
		return;
	}
	progress_format(&v, p->style, progress_columns(fileno(f)), line, sizeof(line));
	fprintf(f, "\r\033[K%s", line);
	fflush(f);
	p->shown = true;
}

void progress_clear(struct progress *p, FILE *f)
{
	if (p->shown && p->tty) {
		fputs("\r\033[K", f);
		p->shown = false;
	}
}
