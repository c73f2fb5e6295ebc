/* fuzz_netrc.c - the netrc reader.  Input: "HOST\nTEXT".  Invariants: no
 * crash or overflow (ASan), results are NUL-terminated strings or NULL. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hlen = nl ? (size_t)(nl - data) : size;
	char *host = strndup((const char *)data, hlen);
	if (!host)
		return 0;
	const char *text = nl ? (const char *)nl + 1 : "";
	size_t tlen = nl ? size - hlen - 1 : 0;
	char *login = NULL, *password = NULL;
	int r = rf__netrc_lookup(text, tlen, host, &login, &password);
	if (r < 0 || r > 1 || (r == 0 && (login || password)))
		abort();
	if (login)
		(void)strlen(login);
	if (password)
		(void)strlen(password);
	free(login);
	free(password);
	free(host);
	return 0;
}
