/*
 * fields.h - HTTP field values every protocol reads the same way (fields.c).
 */
#ifndef RF_FIELDS_H
#define RF_FIELDS_H

#include <stdbool.h>
#include <stdint.h>

/* Does header line "Name: value" have this name (any case)? */
bool rf__field_named(const char *line, const char *name);

/* Is this header name one that carries credentials (Authorization, Cookie,
 * Proxy-Authorization)?  Such headers go only where they were given for. */
bool rf__field_credential(const char *line);

/* Parse "bytes START-END/TOTAL" or "bytes * /TOTAL" (TOTAL may be "*":
 * total = -1).  START and END are -1 for the second form.  0 or -1. */
int rf__field_content_range(const char *v, int64_t *start, int64_t *end, int64_t *total);

/* An HTTP-date in any of its three forms to unix seconds: 0, or -1. */
int rf__field_date(const char *v, int64_t *out);
/* Retry-After: delta seconds or an HTTP-date; returns seconds from now
 * (0 if in the past), or -1 when absent or unparsable. */
double rf__field_retry_after(const char *v, int64_t now_unix);

/* Check a custom header line "Name: value": 0 or RF_EHEADER. */
int rf__field_check(const char *line);

#endif
