/* fuzz_input.c - the -i list format.  Invariants: every entry returned has
 * a URL that parses, an out= without '/' and not "." or "..", and a dir=
 * that is relative and has no ".." segment. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "ringfetch.h"

static void ignore(void *arg, const char *file, unsigned line, const char *msg)
{
	(void)arg, (void)file, (void)line, (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	struct input in;
	memset(&in, 0, sizeof(in));
	in.f = fmemopen((void *)data, size, "r");
	if (!in.f)
		return 0;
	in.name = "fuzz";
	in.report = ignore;
	struct input_entry e;
	while (input_next(&in, &e) > 0) {
		if (rf_url_check(e.url, NULL))
			abort();
		if (e.out && input_check_name(e.out))
			abort();
		if (e.dir && (e.dir[0] == '/' || input_check_dir(e.dir)))
			abort();
		input_entry_clear(&e);
	}
	input_close(&in);
	return 0;
}
