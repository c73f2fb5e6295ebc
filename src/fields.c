/*
 * fields.c - HTTP field values every protocol reads the same way:
 * Content-Range, HTTP-dates, Retry-After, which header lines carry
 * credentials, and what a well-formed header line from the user is.
 */
#include "fields.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ringfetch.h"

static bool header_valid_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

int rf__field_check(const char *line)
{
	const char *colon = strchr(line, ':');
	if (!colon || colon == line)
		return RF_EHEADER;
	for (const char *p = line; p < colon; p++) {
		unsigned char c = (unsigned char)*p;
		if (c <= 0x20 || c >= 0x7f || strchr("()<>@,;:\\\"/[]?={}", c))
			return RF_EHEADER;
	}
	for (const char *p = colon + 1; *p; p++)
		if (!header_valid_byte((unsigned char)*p))
			return RF_EHEADER;
	return 0;
}

bool rf__field_named(const char *line, const char *name)
{
	size_t nl = strlen(name);
	return strncasecmp(line, name, nl) == 0 && line[nl] == ':';
}

bool rf__field_credential(const char *line)
{
	static const char *const names[] = {"Authorization", "Cookie", "Proxy-Authorization"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (rf__field_named(line, names[i]))
			return true;
	return false;
}

int rf__field_content_range(const char *v, int64_t *start, int64_t *end, int64_t *total)
{
	while (*v == ' ')
		v++;
	if (strncasecmp(v, "bytes ", 6) != 0)
		return -1;
	v += 6;
	char *e;
	*start = *end = -1;
	if (*v == '*') {
		v++;
	} else {
		if (!isdigit((unsigned char)*v))
			return -1;
		*start = (int64_t)strtoll(v, &e, 10);
		if (*e != '-' || !isdigit((unsigned char)e[1]))
			return -1;
		*end = (int64_t)strtoll(e + 1, &e, 10);
		v = e;
		if (*end < *start)
			return -1;
	}
	if (*v++ != '/')
		return -1;
	if (*v == '*') {
		*total = -1;
		v++;
	} else {
		if (!isdigit((unsigned char)*v))
			return -1;
		*total = (int64_t)strtoll(v, &e, 10);
		v = e;
	}
	while (*v == ' ')
		v++;
	return *v ? -1 : 0;
}

/* The three forms of an HTTP-date (RFC 9110 section 5.6.7), without the
 * locale: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", obsolete RFC 850
 * "Sunday, 06-Nov-94 08:49:37 GMT" and asctime "Sun Nov  6 08:49:37 1994". */
static int month_of(const char *m)
{
	static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (strncmp(m, names + 3 * i, 3) == 0)
			return i;
	return -1;
}

static bool two_digits(const char *p, int *out)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return true;
}

static bool clock_of(const char *p, struct tm *tm)
{
	return two_digits(p, &tm->tm_hour) && p[2] == ':' && two_digits(p + 3, &tm->tm_min) && p[5] == ':' &&
	       two_digits(p + 6, &tm->tm_sec) && tm->tm_hour < 24 && tm->tm_min < 60 && tm->tm_sec <= 60;
}

int rf__field_date(const char *v, int64_t *out)
{
	while (*v == ' ')
		v++;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *comma = strchr(v, ',');
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		n--;
	int y = 0;
	if (comma && comma - v == 3 && n == 29) { /* IMF-fixdate */
		const char *p = comma + 2;
		int c1, c2;
		if (comma[1] != ' ' || !two_digits(p, &tm.tm_mday) || p[2] != ' ' ||
		    (tm.tm_mon = month_of(p + 3)) < 0 || p[6] != ' ' || !two_digits(p + 7, &c1) ||
		    !two_digits(p + 9, &c2) || p[11] != ' ' || !clock_of(p + 12, &tm) ||
		    strncmp(p + 20, " GMT", 4) != 0)
			return -1;
		y = c1 * 100 + c2;
	} else if (comma && comma - v >= 6 && comma - v <= 9) { /* RFC 850 */
		const char *p = comma + 1;
		int yy;
		if (*p++ != ' ' || !two_digits(p, &tm.tm_mday) || p[2] != '-' ||
		    (tm.tm_mon = month_of(p + 3)) < 0 || p[6] != '-' || !two_digits(p + 7, &yy) ||
		    p[9] != ' ' || !clock_of(p + 10, &tm) || (size_t)(p + 18 + 4 - v) != n ||
		    strncmp(p + 18, " GMT", 4) != 0)
			return -1;
		/* RFC 9110: a two-digit year more than 50 years ahead is in the past */
		time_t now = time(NULL);
		struct tm nt;
		gmtime_r(&now, &nt);
		int cur = nt.tm_year + 1900;
		y = cur - cur % 100 + yy;
		if (y > cur + 50)
			y -= 100;
	} else if (!comma && n == 24) { /* asctime */
		int c1, c2;
		const char *p = v + 4;
		if (v[3] != ' ' || (tm.tm_mon = month_of(p)) < 0 || p[3] != ' ' ||
		    !(p[4] == ' ' || isdigit((unsigned char)p[4])) || !isdigit((unsigned char)p[5]) ||
		    p[6] != ' ' || !clock_of(p + 7, &tm) || p[15] != ' ' || !two_digits(p + 16, &c1) ||
		    !two_digits(p + 18, &c2))
			return -1;
		tm.tm_mday = (p[4] == ' ' ? 0 : (p[4] - '0') * 10) + (p[5] - '0');
		y = c1 * 100 + c2;
	} else {
		return -1;
	}
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || y < 1900)
		return -1;
	tm.tm_year = y - 1900;
	*out = (int64_t)timegm(&tm);
	return 0;
}

double rf__field_retry_after(const char *v, int64_t now_unix)
{
	while (*v == ' ')
		v++;
	if (!*v)
		return -1;
	if (isdigit((unsigned char)*v)) {
		char *e;
		double s = strtod(v, &e);
		while (*e == ' ')
			e++;
		return *e ? -1 : s;
	}
	int64_t t;
	if (rf__field_date(v, &t))
		return -1;
	double d = (double)(t - now_unix);
	return d > 0 ? d : 0;
}
