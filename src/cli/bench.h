/*
 * bench.h - `ringfetch bench`, the load generator's command line.
 */
#ifndef RF_CLI_BENCH_H
#define RF_CLI_BENCH_H

/* argv[0] is "bench".  Returns the exit status. */
int cli_bench_main(int argc, char **argv);

#endif
