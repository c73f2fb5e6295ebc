/* fuzz_options.c - the command-line parser.  Input: arguments separated
 * by NUL bytes.  Invariants: it returns CLI_RUN, EXIT_OK or EXIT_USAGE
 * (or EXIT_INTERNAL on no memory); no long option is taken by a prefix:
 * when it returns CLI_RUN, every "--name" word before "--" that is not an
 * option's value is an exact option name. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "options.h"

#define MAX_ARGS 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		return 0;
	char *buf = fuzz_cstring(data, size);
	if (!buf)
		return 0;
	char *argv[MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = "ringfetch";
	for (char *p = buf; p <= buf + size && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	struct cli_options o;
	int r = cli_options_parse(&o, argc, argv, devnull, devnull);
	if (r != CLI_RUN && r != EXIT_OK && r != EXIT_USAGE && r != EXIT_INTERNAL)
		abort();
	if (r == CLI_RUN && o.nurls == 0 && !o.input_path)
		abort(); /* nothing to do must be a usage error */
	cli_options_free(&o);
	free(buf);
	return 0;
}
