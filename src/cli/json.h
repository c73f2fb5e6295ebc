/*
 * json.h - a small JSON reader (RFC 8259) for the files ringfetch writes and
 * reads back (bench --merge), and the string writer its JSON output uses: the whole text parsed into a tree of nodes,
 * looked up by key.  Strings are kept as written between the quotes, with
 * escapes decoded; numbers as doubles and, when integral, exact uint64.
 */
#ifndef RF_CLI_JSON_H
#define RF_CLI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_kind kind;
	bool boolean;
	double number;
	bool is_uint; /* number is a non-negative integer that fits */
	uint64_t uint;
	char *string;              /* JSON_STRING, NUL-terminated */
	char *key;                 /* as a member of an object */
	struct json *child, *next; /* arrays and objects: first element, siblings */
};

/* Parse text (len bytes).  NULL on a syntax error, with where and what in
 * err (a byte offset and a reason). */
struct json *json_parse(const char *text, size_t len, char *err, size_t errlen);
/* Write s as a JSON string (quotes and escapes; NULL as null). */
void json_write_string(FILE *f, const char *s);
/* The same for a URL: bytes that are not well-formed UTF-8 are
 * percent-encoded ("%FF"), so the line stays JSON and the URL the same. */
void json_write_url(FILE *f, const char *s);
/* Bytes of the well-formed UTF-8 sequence at p, or 0. */
size_t json_utf8_len(const unsigned char *p);
void json_free(struct json *j);
/* The member of object o named key, or NULL. */
const struct json *json_get(const struct json *o, const char *key);
/* A member's unsigned value (false when missing or not such a number). */
bool json_uint(const struct json *o, const char *key, uint64_t *out);
bool json_double(const struct json *o, const char *key, double *out);

#endif
