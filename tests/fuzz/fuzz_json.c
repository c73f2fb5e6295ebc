/* fuzz_json.c - the JSON reader behind `ringfetch bench --merge` (files
 * from other machines).  Input: any bytes.  Invariants: no crash, no leak;
 * a parsed document's top value starts where the text says it does, and
 * every object member has a key. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static void walk(const struct json *j, int depth)
{
	assert(depth < 200);
	for (const struct json *c = j->child; c; c = c->next) {
		assert(j->kind == JSON_OBJECT ? c->key != NULL : c->key == NULL);
		assert(c->kind != JSON_STRING || c->string);
		walk(c, depth + 1);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct json *j = json_parse((const char *)data, size, err, sizeof(err));
	if (!j) {
		assert(memchr(err, 0, sizeof(err)) && err[0]);
		return 0;
	}
	size_t i = 0;
	while (i < size && strchr(" \t\r\n", data[i]))
		i++;
	assert(i < size);
	char first = (char)data[i];
	static const char *const starts[] = {"n", "tf", "-0123456789", "\"", "[", "{"};
	assert(strchr(starts[j->kind], first));
	walk(j, 0);
	uint64_t u;
	json_uint(j, "requests", &u);
	json_free(j);
	return 0;
}
