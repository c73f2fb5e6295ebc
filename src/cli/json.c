/*
 * json.c - the small JSON reader (see json.h): recursive descent with a
 * depth limit, every node malloc'd, nothing borrowed from the text.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define MAX_DEPTH 64

struct reader {
	const char *p, *start, *end;
	char *err;
	size_t errlen;
	bool failed;
};

static void fail(struct reader *r, const char *what)
{
	if (!r->failed)
		snprintf(r->err, r->errlen, "at byte %zu: %s", (size_t)(r->p - r->start), what);
	r->failed = true;
}

static void skip_ws(struct reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool literal(struct reader *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
		return false;
	r->p += n;
	return true;
}

static int hex4(struct reader *r)
{
	if (r->end - r->p < 4)
		return -1;
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = *r->p++;
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static void put_utf8(char **o, unsigned cp)
{
	char *q = *o;
	if (cp < 0x80) {
		*q++ = (char)cp;
	} else if (cp < 0x800) {
		*q++ = (char)(0xc0 | cp >> 6);
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*q++ = (char)(0xe0 | cp >> 12);
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*q++ = (char)(0xf0 | cp >> 18);
		*q++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*q++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*q++ = (char)(0x80 | (cp & 0x3f));
	}
	*o = q;
}

/* At the opening quote: a malloc'd, decoded copy. */
static char *string(struct reader *r)
{
	r->p++;
	const char *s = r->p;
	while (r->p < r->end && *r->p != '"') {
		if (*r->p == '\\')
			r->p++;
		r->p++;
	}
	if (r->p >= r->end) {
		fail(r, "unterminated string");
		return NULL;
	}
	const char *e = r->p;
	char *out = malloc((size_t)(e - s) + 1), *o = out;
	if (!out) {
		fail(r, "out of memory");
		return NULL;
	}
	struct reader sub = *r;
	sub.p = s;
	while (sub.p < e) {
		unsigned char c = (unsigned char)*sub.p++;
		if (c < 0x20) {
			r->p = sub.p - 1;
			fail(r, "control character in a string");
			free(out);
			return NULL;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		char esc = *sub.p++;
		const char *simple = strchr("\"\\/bfnrt", esc);
		if (esc && simple) {
			*o++ = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
			continue;
		}
		int cp = esc == 'u' ? hex4(&sub) : -1;
		if (cp >= 0xd800 && cp < 0xdc00 && sub.p + 6 <= e && sub.p[0] == '\\' && sub.p[1] == 'u') {
			sub.p += 2;
			int lo = hex4(&sub);
			cp = lo >= 0xdc00 && lo < 0xe000 ? 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
			                                 : -1;
		}
		if (cp <= 0) {
			r->p = sub.p;
			fail(r, "bad escape in a string");
			free(out);
			return NULL;
		}
		put_utf8(&o, (unsigned)cp); /* at most 6 input bytes become at most 4 */
	}
	*o = 0;
	r->p++;
	return out;
}

static struct json *value(struct reader *r, int depth);

static struct json *node(struct reader *r, enum json_kind kind)
{
	struct json *j = calloc(1, sizeof(*j));
	if (!j)
		fail(r, "out of memory");
	else
		j->kind = kind;
	return j;
}

static struct json *number(struct reader *r)
{
	const char *s = r->p;
	if (r->p < r->end && *r->p == '-')
		r->p++;
	while (r->p < r->end && strchr("0123456789.eE+-", *r->p))
		r->p++;
	char buf[64];
	size_t n = (size_t)(r->p - s);
	if (n == 0 || n >= sizeof(buf)) {
		fail(r, "bad number");
		return NULL;
	}
	memcpy(buf, s, n);
	buf[n] = 0;
	char *end;
	errno = 0;
	double d = strtod(buf, &end);
	if (*end || !isfinite(d)) {
		r->p = s;
		fail(r, "bad number");
		return NULL;
	}
	struct json *j = node(r, JSON_NUMBER);
	if (!j)
		return NULL;
	j->number = d;
	if (!strpbrk(buf, ".eE-")) {
		errno = 0;
		unsigned long long u = strtoull(buf, &end, 10);
		if (!errno && !*end) {
			j->is_uint = true;
			j->uint = u;
		}
	}
	return j;
}

static struct json *container(struct reader *r, int depth, bool object)
{
	struct json *j = node(r, object ? JSON_OBJECT : JSON_ARRAY);
	if (!j)
		return NULL;
	r->p++;
	skip_ws(r);
	struct json **tail = &j->child;
	char close = object ? '}' : ']';
	if (r->p < r->end && *r->p == close) {
		r->p++;
		return j;
	}
	for (;;) {
		char *key = NULL;
		if (object) {
			skip_ws(r);
			if (r->p >= r->end || *r->p != '"') {
				fail(r, "expected a member name");
				break;
			}
			if (!(key = string(r)))
				break;
			skip_ws(r);
			if (r->p >= r->end || *r->p != ':') {
				free(key);
				fail(r, "expected ':'");
				break;
			}
			r->p++;
		}
		struct json *v = value(r, depth + 1);
		if (!v) {
			free(key);
			break;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		skip_ws(r);
		if (r->p < r->end && *r->p == ',') {
			r->p++;
			continue;
		}
		if (r->p < r->end && *r->p == close) {
			r->p++;
			return j;
		}
		fail(r, object ? "expected ',' or '}'" : "expected ',' or ']'");
		break;
	}
	json_free(j);
	return NULL;
}

static struct json *value(struct reader *r, int depth)
{
	if (depth > MAX_DEPTH) {
		fail(r, "nested too deeply");
		return NULL;
	}
	skip_ws(r);
	if (r->p >= r->end) {
		fail(r, "unexpected end");
		return NULL;
	}
	char c = *r->p;
	if (c == '{' || c == '[')
		return container(r, depth, c == '{');
	if (c == '"') {
		char *s = string(r);
		struct json *j = s ? node(r, JSON_STRING) : NULL;
		if (!j) {
			free(s);
			return NULL;
		}
		j->string = s;
		return j;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return number(r);
	struct json *j = NULL;
	if (literal(r, "true") || literal(r, "false")) {
		if ((j = node(r, JSON_BOOL)))
			j->boolean = r->p[-1] == 'e' && r->p[-2] == 'u';
		return j;
	}
	if (literal(r, "null"))
		return node(r, JSON_NULL);
	fail(r, "unexpected character");
	return NULL;
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	struct reader r = {text, text, text + len, err, errlen, false};
	struct json *j = value(&r, 0);
	if (j) {
		skip_ws(&r);
		if (r.p != r.end) {
			fail(&r, "text after the value");
			json_free(j);
			j = NULL;
		}
	}
	return j;
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;
		json_free(j->child);
		free(j->string);
		free(j->key);
		free(j);
		j = next;
	}
}

const struct json *json_get(const struct json *o, const char *key)
{
	if (!o || o->kind != JSON_OBJECT)
		return NULL;
	for (const struct json *m = o->child; m; m = m->next)
		if (strcmp(m->key, key) == 0)
			return m;
	return NULL;
}

bool json_uint(const struct json *o, const char *key, uint64_t *out)
{
	const struct json *m = json_get(o, key);
	if (!m || m->kind != JSON_NUMBER || !m->is_uint)
		return false;
	*out = m->uint;
	return true;
}

bool json_double(const struct json *o, const char *key, double *out)
{
	const struct json *m = json_get(o, key);
	if (!m || m->kind != JSON_NUMBER)
		return false;
	*out = m->number;
	return true;
}

/* Bytes of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs,
 * no surrogates, nothing past U+10FFFF), or 0. */
size_t json_utf8_len(const unsigned char *p)
{
	unsigned char c = p[0];
	if (c < 0x80)
		return 1;
	size_t n;
	unsigned lo = 0x80, hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

/* Valid JSON whatever the bytes (RFC 8259 8.1: UTF-8 only): a byte that
 * is not part of well-formed UTF-8 becomes "%XX" when pct, else U+FFFD. */
static void write_string(FILE *f, const char *s, bool pct)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n = json_utf8_len(p);
		if (!n) {
			if (pct)
				fprintf(f, "%%%02X", *p);
			else
				fputs("\\ufffd", f);
			p++;
			continue;
		}
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

void json_write_string(FILE *f, const char *s)
{
	write_string(f, s, false);
}

void json_write_url(FILE *f, const char *s)
{
	write_string(f, s, true);
}
