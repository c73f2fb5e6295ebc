/*
 * results.c - --json records and --write-out templates (see results.h).
 */
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "results.h"

static void field(FILE *f, const char *name, bool first)
{
	fprintf(f, "%s\"%s\":", first ? "" : ",", name);
}

void results_json(FILE *f, const rf_result *r, const char *path, int exit, unsigned line)
{
	fputs("{\"type\":\"result\"", f);
	field(f, "url", false);
	json_write_url(f, r->url);
	field(f, "final_url", false);
	json_write_url(f, r->final_url);
	field(f, "path", false);
	json_write_string(f, path);
	if (line)
		fprintf(f, ",\"line\":%u", line);
	else
		fputs(",\"line\":null", f);
	field(f, "content_encoding", false);
	json_write_string(f, r->content_encoding ? r->content_encoding : "");
	fprintf(f, ",\"decoded\":%s", r->decoded ? "true" : "false");
	fprintf(f, ",\"ok\":%s,\"status\":%d,\"bytes\":%llu,\"resumed_from\":%llu,\"skipped\":%s",
	        r->error ? "false" : "true", r->status, (unsigned long long)r->bytes,
	        (unsigned long long)r->resumed_from, r->skipped ? "true" : "false");
	fprintf(f, ",\"attempts\":%u,\"retries\":%u,\"redirects\":%u,\"reused\":%s", r->attempts, r->retries,
	        r->redirects, r->reused ? "true" : "false");
	fprintf(f, ",\"http_version\":%s",
	        r->http_version == 20   ? "\"2\""
	        : r->http_version == 11 ? "\"1.1\""
	                                : "null");
	fprintf(f, ",\"thread\":%u", r->thread);
	field(f, "digest", false);
	if (r->digest && r->digest[0]) {
		fputs("{\"algo\":", f);
		json_write_string(f, r->digest_algo);
		fputs(",\"hex\":", f);
		json_write_string(f, r->digest);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	field(f, "error", false);
	if (r->error) {
		fprintf(f, "{\"code\":%d,\"message\":", r->error);
		json_write_string(f, rf_strerror(r->error));
		fputs(",\"detail\":", f);
		json_write_string(f, r->detail);
		fprintf(f, ",\"local\":%s}", r->local_error ? "true" : "false");
	} else {
		fputs("null", f);
	}
	field(f, "note", false);
	json_write_string(f, r->note);
	fprintf(f, ",\"exit_status\":%d", exit);
	fprintf(f,
	        ",\"time\":{\"dns\":%.6f,\"connect\":%.6f,\"tls\":%.6f,\"first_byte\":%.6f,"
	        "\"total\":%.6f}}",
	        r->t_dns, r->t_connect, r->t_tls, r->t_first_byte, r->t_total);
}

void results_json_summary(FILE *f, const struct run_totals *t)
{
	fprintf(f,
	        "{\"type\":\"summary\",\"downloaded\":%lu,\"skipped\":%lu,\"failed\":%lu,"
	        "\"bytes\":%llu,\"seconds\":%.6f,\"exit_status\":%d,"
	        "\"dns\":{\"resolver\":\"%s\",\"lookups\":%llu,\"cache_hits\":%llu,"
	        "\"joined\":%llu,\"failures\":%llu,\"expired\":%llu,\"peak_inflight\":%u},\"threads\":%u,"
	        "\"shard\":",
	        t->downloaded, t->skipped, t->failed, t->bytes, t->seconds, t->exit_status,
	        t->dns.resolver ? t->dns.resolver : "", (unsigned long long)t->dns.lookups,
	        (unsigned long long)t->dns.hits, (unsigned long long)t->dns.joined,
	        (unsigned long long)t->dns.failures, (unsigned long long)t->dns.expired, t->dns.peak_inflight,
	        t->threads);
	if (t->shard_n)
		fprintf(f, "{\"index\":%u,\"count\":%u}}\n", t->shard_k, t->shard_n);
	else
		fputs("null}\n", f);
}

/* ---- --write-out ---- */

enum var {
	V_HTTP_CODE,
	V_TIME_TOTAL,
	V_TIME_NAMELOOKUP,
	V_TIME_CONNECT,
	V_TIME_APPCONNECT,
	V_TIME_STARTTRANSFER,
	V_SIZE_DOWNLOAD,
	V_URL,
	V_URL_EFFECTIVE,
	V_FILENAME_EFFECTIVE,
	V_NUM_REDIRECTS,
	V_NUM_RETRIES,
	V_HTTP_VERSION,
	V_ERRORMSG,
	V_EXITCODE,
	V_DIGEST,
	V_JSON,
	V_COUNT
};

static const char *const var_names[V_COUNT][2] = {
	[V_HTTP_CODE] = {"http_code", "response_code"},
	[V_TIME_TOTAL] = {"time_total", NULL},
	[V_TIME_NAMELOOKUP] = {"time_namelookup", NULL},
	[V_TIME_CONNECT] = {"time_connect", NULL},
	[V_TIME_APPCONNECT] = {"time_appconnect", NULL},
	[V_TIME_STARTTRANSFER] = {"time_starttransfer", NULL},
	[V_SIZE_DOWNLOAD] = {"size_download", NULL},
	[V_URL] = {"url", NULL},
	[V_URL_EFFECTIVE] = {"url_effective", NULL},
	[V_FILENAME_EFFECTIVE] = {"filename_effective", NULL},
	[V_NUM_REDIRECTS] = {"num_redirects", NULL},
	[V_NUM_RETRIES] = {"num_retries", NULL},
	[V_HTTP_VERSION] = {"http_version", NULL},
	[V_ERRORMSG] = {"errormsg", NULL},
	[V_EXITCODE] = {"exitcode", NULL},
	[V_DIGEST] = {"digest", NULL},
	[V_JSON] = {"json", NULL},
};

/* The variable named at p (after "%{", up to '}'), or -1. */
static int var_at(const char *p, size_t *len)
{
	const char *end = strchr(p, '}');
	if (!end)
		return -1;
	*len = (size_t)(end - p);
	for (int v = 0; v < V_COUNT; v++)
		for (int k = 0; k < 2; k++)
			if (var_names[v][k] && strlen(var_names[v][k]) == *len &&
			    memcmp(var_names[v][k], p, *len) == 0)
				return v;
	return -1;
}

const char *writeout_check(const char *fmt)
{
	static char why[160];
	for (const char *p = fmt; *p; p++) {
		if (p[0] != '%' || p[1] != '{')
			continue;
		size_t len;
		if (var_at(p + 2, &len) < 0) {
			snprintf(why, sizeof(why), "unknown --write-out variable %%{%.*s}",
			         (int)strcspn(p + 2, "}"), p + 2);
			return why;
		}
		p += 2 + len;
	}
	return NULL;
}

void writeout(FILE *f, const char *fmt, const rf_result *r, const char *path, int exit, unsigned line)
{
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '\\' && p[1]) { /* curl's escapes */
			char e = p[1] == 'n' ? '\n' : p[1] == 't' ? '\t' : p[1] == 'r' ? '\r' : p[1];
			fputc(e, f);
			p++;
			continue;
		}
		if (p[0] == '%' && p[1] == '%') {
			fputc('%', f);
			p++;
			continue;
		}
		size_t len;
		int v = p[0] == '%' && p[1] == '{' ? var_at(p + 2, &len) : -1;
		if (v < 0) {
			fputc(*p, f);
			continue;
		}
		p += 2 + len;
		switch ((enum var)v) {
		case V_HTTP_CODE:
			fprintf(f, "%03d", r->status);
			break;
		case V_TIME_TOTAL:
			fprintf(f, "%.6f", r->t_total);
			break;
		case V_TIME_NAMELOOKUP:
			fprintf(f, "%.6f", r->t_dns);
			break;
		case V_TIME_CONNECT:
			fprintf(f, "%.6f", r->t_connect);
			break;
		case V_TIME_APPCONNECT:
			fprintf(f, "%.6f", r->t_tls);
			break;
		case V_TIME_STARTTRANSFER:
			fprintf(f, "%.6f", r->t_first_byte);
			break;
		case V_SIZE_DOWNLOAD:
			fprintf(f, "%llu", (unsigned long long)r->bytes);
			break;
		case V_URL:
			fputs(r->url, f);
			break;
		case V_URL_EFFECTIVE:
			fputs(r->final_url, f);
			break;
		case V_FILENAME_EFFECTIVE:
			fputs(path ? path : "", f);
			break;
		case V_NUM_REDIRECTS:
			fprintf(f, "%u", r->redirects);
			break;
		case V_NUM_RETRIES:
			fprintf(f, "%u", r->retries);
			break;
		case V_HTTP_VERSION: /* curl's: "2", "1.1", "0" when none */
			fputs(r->http_version == 20 ? "2" : r->http_version == 11 ? "1.1" : "0", f);
			break;
		case V_ERRORMSG:
			fputs(r->error ? rf_strerror(r->error) : "", f);
			break;
		case V_EXITCODE:
			fprintf(f, "%d", exit);
			break;
		case V_DIGEST:
			fputs(r->digest ? r->digest : "", f);
			break;
		case V_JSON:
			results_json(f, r, path, exit, line);
			break;
		case V_COUNT:
			break;
		}
	}
}
