/* fuzz_url.c - URL parsing, RFC 3986 resolution and redaction.
 * Input: "BASE\nREF".  Invariants: a parsed URL has a host without '@',
 * '/' or blanks, a target starting with '/', a Host value without '@';
 * redaction never leaves the password; resolution of a parsable base gives
 * a string (no crash, no overflow: ASan). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ringfetch.h"
#include "url.h"

static void check_parsed(const char *s)
{
	struct rf__url u;
	if (rf__url_parse(s, &u, NULL))
		return;
	if (!*u.host || strpbrk(u.host, "@/ \t\r\n") || u.target[0] != '/' ||
	    strchr(u.hostport, '@') || strpbrk(u.target, " \r\n"))
		abort();
	rf__url_free(&u);
}

/* Whatever the string, its redacted authority holds no userinfo but "***". */
static void check_redacted(const char *s)
{
	size_t cap = strlen(s) + 1;
	char *shown = malloc(cap);
	if (!shown)
		return;
	rf__url_redact(s, shown, cap);
	const char *sep = strstr(shown, "://");
	const char *auth = sep ? sep + 3 : shown;
	size_t alen = strcspn(auth, "/?#");
	const char *at = memchr(auth, '@', alen);
	if (at && (at != auth + 3 || strncmp(auth, "***", 3) != 0 ||
	           memchr(at + 1, '@', alen - (size_t)(at + 1 - auth))))
		abort();
	free(shown);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);
	if (!s)
		return 0;
	char *ref = strchr(s, '\n');
	if (ref)
		*ref++ = 0;
	check_parsed(s);
	check_redacted(s);
	if (ref) {
		check_parsed(ref);
		char *out = NULL;
		if (rf__url_resolve(s, ref, &out) == 0) {
			check_parsed(out);
			free(out);
		}
	}
	free(s);
	return 0;
}
