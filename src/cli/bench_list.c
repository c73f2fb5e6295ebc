/*
 * bench_list.c - `ringfetch bench`'s targets and the -i FILE format (see
 * bench_list.h).
 */
#include "bench_list.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (1u << 30)
#define MAX_WEIGHT 1000000

static void *keep(struct bench_list *l, void *p)
{
	if (!p)
		return NULL;
	if (l->n_owned == l->cap_owned) {
		size_t cap = l->cap_owned ? 2 * l->cap_owned : 64;
		char **n = realloc(l->owned, cap * sizeof(*n));
		if (!n) {
			free(p);
			return NULL;
		}
		l->owned = n;
		l->cap_owned = cap;
	}
	l->owned[l->n_owned++] = p;
	return p;
}

static rf_bench_target *add(struct bench_list *l, const char *url)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		rf_bench_target *n = realloc(l->t, cap * sizeof(*n));
		if (!n)
			return NULL;
		l->t = n;
		l->cap = cap;
	}
	char *u = keep(l, strdup(url));
	if (!u)
		return NULL;
	rf_bench_target *t = &l->t[l->n++];
	memset(t, 0, sizeof(*t));
	t->url = u;
	t->weight = 1;
	return t;
}

int bench_list_add_url(struct bench_list *l, const char *url)
{
	return add(l, url) ? 0 : -ENOMEM;
}

void bench_list_free(struct bench_list *l)
{
	for (size_t i = 0; i < l->n_owned; i++)
		free(l->owned[i]);
	free(l->owned);
	free(l->t);
	memset(l, 0, sizeof(*l));
}

int bench_read_body(const char *path, char **out, size_t *len, char *why, size_t whylen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 1 << 16, n = 0, got;
	char *buf = malloc(cap);
	bool big = false;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = cap < MAX_BODY ? realloc(buf, cap * 2) : NULL;
			big = cap >= MAX_BODY;
			if (!nb)
				free(buf);
			buf = nb;
			cap *= 2;
		}
	}
	bool err = ferror(f);
	fclose(f);
	if (!buf || err) {
		free(buf);
		snprintf(why, whylen, "%s: %s", path,
		         err   ? "read error"
		         : big ? "too large (1 GiB at most)"
		               : "out of memory");
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* ---- the file ---- */

struct reader {
	struct bench_list *l;
	const char *name;
	unsigned line;
	FILE *err;
	int bad;
};

static void problem(struct reader *r, const char *fmt, const char *a, const char *b)
{
	fprintf(r->err, "ringfetch bench: %s:%u: ", r->name, r->line);
	fprintf(r->err, fmt, a, b);
	fputc('\n', r->err);
	r->bad = 1;
}

/* Grow a target's header list by one: false when out of memory. */
static bool add_header(struct reader *r, rf_bench_target *t, const char *value)
{
	char *h = keep(r->l, strdup(value));
	const char **list = h ? keep(r->l, malloc((t->n_headers + 1) * sizeof(*list))) : NULL;
	if (!list) /* the old list stays owned until the end: small */
		return false;
	if (t->n_headers)
		memcpy(list, t->headers, t->n_headers * sizeof(*list));
	list[t->n_headers++] = h;
	t->headers = list;
	return true;
}

/* One key=value for the list's last target. */
static void apply(struct reader *r, char *key, char *value)
{
	rf_bench_target *t = &r->l->t[r->l->n - 1];
	if (strcmp(key, "weight") == 0) {
		char *end;
		errno = 0;
		unsigned long w = strtoul(value, &end, 10);
		if (errno || end == value || *end || *value == '-' || w < 1 || w > MAX_WEIGHT)
			problem(r, "weight=%s: not a whole number from 1 to 1000000%s", value, "");
		else
			t->weight = (unsigned)w;
	} else if (strcmp(key, "method") == 0) {
		if (!(t->method = keep(r->l, strdup(value))))
			problem(r, "%s%s", "out of memory", "");
	} else if (strcmp(key, "header") == 0) {
		if (!strchr(value, ':'))
			problem(r, "header=%s: want 'Name: value'%s", value, "");
		else if (!add_header(r, t, value))
			problem(r, "%s%s", "out of memory", "");
	} else if (strcmp(key, "body") == 0) {
		char *b = keep(r->l, strdup(value));
		t->body = b ? b : "";
		t->body_len = strlen(value);
	} else if (strcmp(key, "body-file") == 0) {
		char *b, why[600];
		size_t len;
		if (bench_read_body(value, &b, &len, why, sizeof(why))) {
			problem(r, "body-file=%s%s", why, "");
			return;
		}
		t->body = keep(r->l, b) ? b : "";
		t->body_len = len;
	} else {
		problem(r, "unknown option '%s' (weight, method, header, body, body-file)%s", key, "");
	}
}

/* The next word of a URL line, quotes taken off: NULL at the end; *p moves
 * past it.  A '#' after a space (outside quotes) starts a comment. */
static char *next_word(struct reader *r, char **p)
{
	char *s = *p;
	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s || *s == '#')
		return NULL;
	char *word = s, *w = s;
	char quote = 0;
	for (; *s; s++) {
		if (quote) {
			if (*s == quote) {
				quote = 0;
			} else if (quote == '"' && *s == '\\' && (s[1] == '"' || s[1] == '\\')) {
				*w++ = *++s;
			} else {
				*w++ = *s;
			}
		} else if (*s == '\'' || *s == '"') {
			quote = *s;
		} else if (*s == ' ' || *s == '\t') {
			s++;
			break;
		} else {
			*w++ = *s;
		}
	}
	if (quote)
		problem(r, "%s%s", "a quote is not closed", "");
	*w = 0;
	*p = s;
	return word;
}

int bench_list_read(struct bench_list *l, const char *path, FILE *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	if (!f) {
		fprintf(err, "ringfetch bench: -i %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct reader r = {.l = l, .name = f == stdin ? "<stdin>" : path, .err = err};
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool have_url = false;
	while ((n = getline(&line, &cap, f)) >= 0) {
		r.line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		char *s = line;
		bool indented = *s == ' ' || *s == '\t';
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || *s == '#')
			continue;
		if (indented) { /* an option line: key=the whole rest */
			char *eq = strchr(s, '=');
			size_t end = strlen(s);
			while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
				s[--end] = 0;
			if (!have_url)
				problem(&r, "option line '%s' without a URL above it%s", s, "");
			else if (!eq)
				problem(&r, "expected key=value, got '%s'%s", s, "");
			else {
				*eq = 0;
				apply(&r, s, eq + 1);
			}
			continue;
		}
		char *p = s;
		char *url = next_word(&r, &p);
		if (!url)
			continue;
		if (!add(l, url)) {
			problem(&r, "%s%s", "out of memory", "");
			break;
		}
		have_url = true;
		char *word;
		while ((word = next_word(&r, &p))) {
			char *eq = strchr(word, '=');
			if (!eq) {
				problem(&r, "expected key=value after the URL, got '%s'%s", word, "");
				continue;
			}
			*eq = 0;
			apply(&r, word, eq + 1);
		}
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return r.bad ? -1 : 0;
}
