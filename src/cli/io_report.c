/*
 * io_report.c - `--io-report` (see io_report.h).  CPU, context switches
 * and peak RSS come from getrusage(RUSAGE_SELF), which covers every thread
 * of the process: the loop, the resolver threads and io_uring's io-wq
 * workers (they belong to the process's thread group).  Punts to io-wq and
 * poll arms are the kernel's io_uring tracepoints, counted with
 * perf_event_open (no tracing buffer, nothing changed system-wide).
 */
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io_report.h"

static const struct {
	const char *name;
	size_t off;
} kinds[] = {
#define K(n)                                                                                                 \
	{                                                                                                    \
#n, offsetof(rf_io_stats, n)                                                                 \
	}
	K(io_uring_enter), K(epoll_wait), K(epoll_ctl), K(socket), K(connect), K(send),
	K(recv),           K(read),       K(write),     K(open),   K(close),   K(rename),
	K(link),           K(unlink),     K(fallocate), K(fsync),  K(other),
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

static const char *const trace_events[] = {"io_uring_queue_async_work", "io_uring_poll_arm"};
static int trace_fd[2] = {-1, -1};
static const char *trace_why = "";

static long tracepoint_id(const char *name)
{
	static const char *const roots[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		char path[200];
		snprintf(path, sizeof(path), "%s/events/io_uring/%s/id", roots[i], name);
		FILE *f = fopen(path, "r");
		long id = -1;
		if (!f)
			continue;
		if (fscanf(f, "%ld", &id) != 1)
			id = -1;
		fclose(f);
		if (id >= 0)
			return id;
	}
	return -1;
}

void io_report_start(void)
{
	for (size_t i = 0; i < 2; i++) {
		long id = tracepoint_id(trace_events[i]);
		if (id < 0) {
			trace_why = "no tracefs with the io_uring events (mount -t tracefs nodev "
				    "/sys/kernel/tracing)";
			break;
		}
		struct perf_event_attr a;
		memset(&a, 0, sizeof(a));
		a.type = PERF_TYPE_TRACEPOINT;
		a.size = sizeof(a);
		a.config = (uint64_t)id;
		a.inherit = 1; /* threads started later (bench threads) too */
		a.sample_period = 1;
		trace_fd[i] = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (trace_fd[i] < 0) {
			trace_why = "perf events not allowed (kernel.perf_event_paranoid, CAP_PERFMON)";
			break;
		}
	}
	if (*trace_why)
		for (size_t i = 0; i < 2; i++)
			if (trace_fd[i] >= 0) {
				close(trace_fd[i]);
				trace_fd[i] = -1;
			}
}

/* Events counted so far, or -1 (not counted). */
static long long trace_count(size_t i)
{
	uint64_t v;
	if (trace_fd[i] < 0 || read(trace_fd[i], &v, sizeof(v)) != (ssize_t)sizeof(v))
		return -1;
	return (long long)v;
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
	long long punts = trace_count(0), polls = trace_count(1);
	if (json) {
		fprintf(f,
		        "{\"io_path\": \"%s\", \"variants\": \"%s\", \"recv\": \"%s\", \"pool_waits\": "
		        "%" PRIu64 ", \"fixed_files\": %" PRIu64 ", \"fixed_writes\": %" PRIu64
		        ", \"send_zc\": %" PRIu64 ", \"send_zc_copied\": %" PRIu64
		        ", \"iowq_punts\": %lld, \"poll_arms\": %lld"
		        ", \"syscalls\": {",
		        path, st->variants, st->recv_mode, st->pool_waits, st->fixed_files, st->fixed_writes,
		        st->send_zc, st->send_zc_copied, punts, polls);
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			fprintf(f, "%s\"%s\": %" PRIu64, i ? ", " : "", kinds[i].name, count_of(st, i));
		fprintf(f,
		        "}, \"syscalls_total\": %" PRIu64 ", \"sqes\": %" PRIu64 ", \"cqes\": %" PRIu64
		        ", \"user_s\": %.3f, \"sys_s\": %.3f, \"voluntary_switches\": %ld, "
		        "\"involuntary_switches\": %ld, \"peak_rss_kib\": %ld, \"seconds\": %.3f, "
		        "\"%ss\": %llu, \"%ss_per_s\": %.1f}\n",
		        total, st->sqes, st->cqes, user, sys, ru.ru_nvcsw, ru.ru_nivcsw, rss, secs, unit,
		        units, unit, rate);
		return;
	}
	fprintf(f, "io report: %s\n", path);
	if (st->variants[0])
		fprintf(f, "  variants: %s\n", st->variants);
	if (st->recv_mode[0])
		fprintf(f, "  receive: %s, %" PRIu64 " waits for a pool buffer\n", st->recv_mode,
		        st->pool_waits);
	fprintf(f, "  syscalls made by the loop:");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (count_of(st, i))
			fprintf(f, " %s %" PRIu64, kinds[i].name, count_of(st, i));
	fprintf(f, " (%" PRIu64 " in all, %.2f per %s)\n", total, units ? (double)total / (double)units : 0.0,
	        unit);
	if (st->sqes || st->cqes)
		fprintf(f,
		        "  ring: %" PRIu64 " SQEs submitted, %" PRIu64 " CQEs reaped, %.1f SQEs per "
		        "io_uring_enter\n",
		        st->sqes, st->cqes,
		        st->io_uring_enter ? (double)st->sqes / (double)st->io_uring_enter : 0.0);
	if (st->fixed_files)
		fprintf(f,
		        "  registered file table: %" PRIu64 " sockets and files put in it, their ops "
		        "naming the slot\n",
		        st->fixed_files);
	if (st->sqes) {
		if (punts >= 0)
			fprintf(f,
			        "  kernel: %lld ops handed to io-wq workers, %lld waited on a poll (io_uring "
			        "tracepoints)\n",
			        punts, polls);
		else
			fprintf(f, "  kernel: io-wq hand-offs not counted: %s\n", trace_why);
	}
	if (st->send_zc)
		fprintf(f, "  zero-copy sends: %" PRIu64 " (the kernel copied %" PRIu64 " after all)\n",
		        st->send_zc, st->send_zc_copied);
	if (st->fixed_writes)
		fprintf(f, "  registered buffers: %" PRIu64 " file writes as WRITE_FIXED\n",
		        st->fixed_writes);
	fprintf(f,
	        "  CPU %.3f s user + %.3f s sys (all threads, io-wq workers included), %.1f us "
	        "per %s; context switches %ld voluntary, %ld involuntary; peak RSS %.1f MiB\n",
	        user, sys, units ? (user + sys) * 1e6 / (double)units : 0.0, unit, ru.ru_nvcsw, ru.ru_nivcsw,
	        rss / 1024.0);
	fprintf(f, "  %llu %ss in %.3f s: %.0f %ss/s\n", units, unit, secs, rate, unit);
}
