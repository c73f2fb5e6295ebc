/*
 * io_report.h - `--io-report`: what a run asked of the kernel, for
 * comparing kernel I/O paths (fetch and bench).
 */
#ifndef RF_CLI_IO_REPORT_H
#define RF_CLI_IO_REPORT_H

#include <stdio.h>

#include <ringfetch.h>

/* Start counting, for this process and the threads it starts later, the
 * io_uring tracepoints that say where ops went: handed to an io-wq worker
 * (io_uring_queue_async_work) and parked on a poll until ready
 * (io_uring_poll_arm).  Needs tracefs mounted (for the event ids) and perf
 * events allowed (root, CAP_PERFMON or kernel.perf_event_paranoid <= 1);
 * without them the report says so. */
void io_report_start(void);

/* The kernel path, the loop's syscalls by kind, SQEs and CQEs, the
 * process's CPU (io-wq workers included), context switches, peak RSS and
 * the rate of units ("file", "request": singular); as text, or as one JSON
 * object when json. */
void io_report_print(FILE *f, int json, const char *path, const rf_io_stats *st, double secs,
                     unsigned long long units, const char *unit);

#endif
