/*
 * input.c - the URL list format of -i FILE, read lazily.
 *
 *   # a comment
 *   http://example.com/a.iso
 *     out=a-copy.iso
 *     dir=isos
 *   http://example.com/b.iso
 *
 * One URL per line; blank lines and lines starting with '#' are ignored.
 * Indented lines (space or tab) under a URL set options for that URL as
 * key=value: out=NAME (a plain file name), dir=DIR (a relative directory
 * under -P; never absolute, never ".."), split=N (connections for one large
 * file, 1..64), key=KEY (--tar's sample key) and checksum=ALGO=HEX (sha-256,
 * sha-512, sha-1 or md5, verified while the body streams).  The file is read one entry at a
 * time, so a list of ten million URLs costs no more memory than a short one.
 */
#include "input.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <ringfetch.h>

int input_open(struct input *in, const char *path)
{
	memset(in, 0, sizeof(*in));
	in->name = path;
	if (strcmp(path, "-") == 0) {
		in->f = stdin;
		in->name = "<stdin>";
		return 0;
	}
	in->f = fopen(path, "re");
	return in->f ? 0 : -errno;
}

void input_close(struct input *in)
{
	if (in->f && in->f != stdin)
		fclose(in->f);
	in->f = NULL;
	free(in->buf);
	free(in->pending);
	in->buf = in->pending = NULL;
}

void input_entry_clear(struct input_entry *e)
{
	free(e->url);
	free(e->out);
	free(e->dir);
	free(e->checksum);
	free(e->key);
	memset(e, 0, sizeof(*e));
}

static void report(struct input *in, unsigned line, const char *fmt, const char *arg)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, arg);
	in->errors++;
	if (in->report)
		in->report(in->report_arg, in->name, line, msg);
}

/* Next line with its newline (and a CR before it) removed; NULL at EOF. */
static char *read_line(struct input *in)
{
	ssize_t n = getline(&in->buf, &in->cap, in->f);
	if (n < 0)
		return NULL;
	in->line++;
	while (n > 0 && (in->buf[n - 1] == '\n' || in->buf[n - 1] == '\r'))
		in->buf[--n] = 0;
	/* a comment after a URL or an option: '#' after a space or tab (a '#'
	 * inside a URL is its fragment and has no space before it) */
	for (ssize_t i = 1; i < n; i++)
		if (in->buf[i] == '#' && (in->buf[i - 1] == ' ' || in->buf[i - 1] == '\t')) {
			in->buf[i] = 0;
			break;
		}
	return in->buf;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = 0;
	return s;
}

const char *input_check_name(const char *name)
{
	if (!*name)
		return "empty file name";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "file name may not be '.' or '..'";
	if (strlen(name) > RF_NAME_MAX)
		return "file name too long";
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (*p == '/')
			return "file name may not contain '/' (use dir=)";
		if (*p < 0x20 || *p == 0x7f)
			return "control character in file name";
	}
	return NULL;
}

const char *input_check_key(const char *key)
{
	if (!*key)
		return "empty key";
	if (strlen(key) > 200)
		return "key longer than 200 bytes";
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p == '/' || *p == '.' || *p < 0x20 || *p == 0x7f)
			return "a key may not hold '/', '.' or control bytes (webdataset splits at the first "
			       "'.')";
	return NULL;
}

const char *input_check_checksum(const char *spec)
{
	const char *why = NULL;
	return rf_checksum_check(spec, &why) ? why : NULL;
}

const char *input_check_dir(const char *dir)
{
	if (!*dir)
		return "empty directory";
	if (dir[0] == '/')
		return "directory must be relative to the output directory";
	if (strlen(dir) > 1024)
		return "directory too long";
	for (const char *p = dir; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "directory may not contain '..'";
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
				return "control character in directory";
		p += n;
		while (*p == '/')
			p++;
	}
	return NULL;
}

/* Apply one "key=value" option line to e.  Returns false if it is bad. */
static bool apply_option(struct input *in, struct input_entry *e, char *opt)
{
	char *eq = strchr(opt, '='); /* the first '=': checksum values hold another */
	if (!eq) {
		report(in, in->line, "expected key=value, got '%s'", opt);
		return false;
	}
	*eq = 0;
	char *key = trim(opt), *val = trim(eq + 1);
	char **slot;
	const char *bad;
	if (strcmp(key, "out") == 0) {
		slot = &e->out;
		bad = input_check_name(val);
	} else if (strcmp(key, "dir") == 0) {
		slot = &e->dir;
		bad = input_check_dir(val);
	} else if (strcmp(key, "checksum") == 0) {
		slot = &e->checksum;
		bad = input_check_checksum(val);
	} else if (strcmp(key, "key") == 0) {
		slot = &e->key;
		bad = input_check_key(val);
	} else if (strcmp(key, "split") == 0) {
		char *end;
		unsigned long n = strtoul(val, &end, 10);
		if (*val < '0' || *val > '9' || *end || n < 1 || n > 64) {
			report(in, in->line,
			       "split=%s: not a number of connections from 1 to 64 (URL skipped)", val);
			return false;
		}
		e->split = (unsigned)n;
		return true;
	} else {
		report(in, in->line, "unknown option '%s' (URL skipped)", key);
		return false;
	}
	if (bad) {
		char msg[300];
		snprintf(msg, sizeof(msg), "%s=%s: %s (URL skipped)", key, val, bad);
		report(in, in->line, "%s", msg);
		return false;
	}
	free(*slot);
	*slot = strdup(val);
	return *slot != NULL;
}

int input_next(struct input *in, struct input_entry *e)
{
	memset(e, 0, sizeof(*e));
	for (;;) {
		char *url = in->pending;
		unsigned url_line = in->pending_line;
		in->pending = NULL;
		if (!url) {
			char *l = read_line(in);
			if (!l)
				return 0;
			if (l[0] == ' ' || l[0] == '\t') {
				char *t = trim(l);
				if (*t && *t != '#')
					report(in, in->line, "option line '%s' without a URL above it", t);
				continue;
			}
			char *t = trim(l);
			if (!*t || *t == '#')
				continue;
			url = strdup(t);
			url_line = in->line;
			if (!url)
				return 0;
		}
		e->url = url;
		e->line = url_line;
		bool ok = true;
		const char *why = "";
		if (rf_url_check(url, &why) != 0) {
			char msg[400], shown[300];
			snprintf(msg, sizeof(msg), "bad URL '%s': %s",
			         rf_url_redact(url, shown, sizeof(shown)), why);
			report(in, url_line, "%s", msg);
			ok = false;
		}
		/* its option lines, up to the next URL */
		char *l;
		while ((l = read_line(in))) {
			if (l[0] == ' ' || l[0] == '\t') {
				char *t = trim(l);
				if (!*t || *t == '#')
					continue;
				if (ok && !apply_option(in, e, t))
					ok = false;
				continue;
			}
			char *t = trim(l);
			if (!*t || *t == '#')
				continue;
			in->pending = strdup(t);
			in->pending_line = in->line;
			break;
		}
		if (ok)
			return 1;
		input_entry_clear(e);
	}
}
