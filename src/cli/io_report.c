/*
 * io_report.c - `--io-report` (see io_report.h).  CPU, context switches
 * and peak RSS come from getrusage(RUSAGE_SELF), which covers every thread
 * of the process: the loop, the resolver threads and io_uring's io-wq
 * workers (they belong to the process's thread group).
 */
#include <inttypes.h>
#include <stdio.h>
#include <sys/resource.h>

#include "io_report.h"

static const struct {
	const char *name;
	size_t off;
} kinds[] = {
#define K(n) {#n, offsetof(rf_io_stats, n)}
	K(io_uring_enter), K(epoll_wait), K(epoll_ctl), K(socket), K(connect), K(send), K(recv),
	K(read), K(write), K(open), K(close), K(rename), K(link), K(unlink), K(fallocate),
	K(fsync), K(other),
#undef K
};

/* Peak RSS in KiB: VmHWM of this process image (ru_maxrss survives execve,
 * so it can be the parent's, e.g. a benchmark script that held its data). */
static long peak_rss_kib(const struct rusage *ru)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib >= 0 ? kib : ru->ru_maxrss;
}

static uint64_t count_of(const rf_io_stats *st, size_t i)
{
	return *(const uint64_t *)((const char *)st + kinds[i].off);
}

void io_report_print(FILE *f, int json, const char *path, const rf_io_stats *st, double secs,
                     unsigned long long units, const char *unit)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6;
	double sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	long rss = peak_rss_kib(&ru);
	uint64_t total = 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		total += count_of(st, i);
	double rate = secs > 0 ? (double)units / secs : 0;
	if (json) {
		fprintf(f, "{\"io_path\": \"%s\", \"recv\": \"%s\", \"pool_waits\": %" PRIu64
		           ", \"syscalls\": {", path, st->recv_mode, st->pool_waits);
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", kinds[i].name, count_of(st, i));
		fprintf(f, "}, \"syscalls_total\": %" PRIu64 ", \"sqes\": %" PRIu64 ", \"cqes\": %" PRIu64
		           ", \"user_s\": %.3f, \"sys_s\": %.3f, \"voluntary_switches\": %ld, "
		           "\"involuntary_switches\": %ld, \"peak_rss_kib\": %ld, \"seconds\": %.3f, "
		           "\"%ss\": %llu, \"%ss_per_s\": %.1f}\n",
		        total, st->sqes, st->cqes, user, sys, ru.ru_nvcsw, ru.ru_nivcsw, rss, secs,
		        unit, units, unit, rate);
		return;
	}
	fprintf(f, "io report: %s\n", path);
	if (st->recv_mode[0])
		fprintf(f, "  receive: %s, %" PRIu64 " waits for a pool buffer\n", st->recv_mode,
		        st->pool_waits);
	fprintf(f, "  syscalls made by the loop:");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (count_of(st, i))
			fprintf(f, " %s %" PRIu64, kinds[i].name, count_of(st, i));
	fprintf(f, " (%" PRIu64 " in all, %.2f per %s)\n", total,
	        units ? (double)total / (double)units : 0.0, unit);
	if (st->sqes || st->cqes)
		fprintf(f, "  ring: %" PRIu64 " SQEs submitted, %" PRIu64 " CQEs reaped, %.1f SQEs per "
		           "io_uring_enter\n",
		        st->sqes, st->cqes,
		        st->io_uring_enter ? (double)st->sqes / (double)st->io_uring_enter : 0.0);
	fprintf(f, "  CPU %.3f s user + %.3f s sys (all threads, io-wq workers included), %.1f us "
	           "per %s; context switches %ld voluntary, %ld involuntary; peak RSS %.1f MiB\n",
	        user, sys, units ? (user + sys) * 1e6 / (double)units : 0.0, unit, ru.ru_nvcsw,
	        ru.ru_nivcsw, rss / 1024.0);
	fprintf(f, "  %llu %ss in %.3f s: %.0f %ss/s\n", units, unit, secs, rate, unit);
}
