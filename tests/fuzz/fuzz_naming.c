/* fuzz_naming.c - the local file name made from a URL.  Invariants: never
 * empty, ".", ".." or containing '/' or a control byte, at most RF_NAME_MAX
 * bytes: a name can never leave the output directory. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ringfetch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (!s)
		return 0;
	char name[RF_NAME_MAX + 1];
	if (rf_url_filename(s, name, sizeof(name)) == 0) {
		size_t n = strlen(name);
		if (n == 0 || n > RF_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
		    strchr(name, '/'))
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f)
				abort();
	}
	free(s);
	return 0;
}
