/* test_dns.c - the name cache (src/dns.c) over a resolver of the test's:
 * one lookup per name, the in-flight bound, TTLs and failures kept for
 * their time, the least-recently-used bound, RFC 8305's resolution delay,
 * late answers merged, pins, the hosts file and .invalid; the address list
 * helpers (src/addrlist.c) and the hosts file reader (src/hosts.c). */
#include <arpa/inet.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addrlist.h"
#include "dns.h"
#include "hosts.h"
#include "tap.h"

#define MS 1000000LL
#define SEC 1000000000LL

/* ---- a resolver that answers when the test says ---- */

static struct rf__resolver_query *asked[4096];
static unsigned nasked, started;
static struct rf__resolver_query *done_head, *done_tail;

static void fake_start(void *r, struct rf__resolver_query *q)
{
	(void)r;
	asked[nasked++] = q;
	started++;
}

static struct rf__resolver_query *fake_take(void *r)
{
	(void)r;
	struct rf__resolver_query *d = done_head;
	done_head = done_tail = NULL;
	return d;
}

static void fake_on_op(void *r, rf__tag t, int res) { (void)r, (void)t, (void)res; }
static int64_t fake_deadline(void *r, int64_t now) { (void)r, (void)now; return INT64_MAX; }
static void fake_on_time(void *r) { (void)r; }
static unsigned fake_pending(const void *r) { (void)r; return nasked; }
static void fake_free(void *r) { (void)r; }

static const struct rf__resolver_ops fake_ops = {
	.name = "fake", .start = fake_start, .take_done = fake_take, .on_op = fake_on_op,
	.deadline = fake_deadline, .on_time = fake_on_time, .pending = fake_pending,
	.free = fake_free,
};

static struct rf__addrlist *list1(const char *ip)
{
	struct rf__addrlist *l = rf__addrlist_new(1);
	rf__sockaddr_parse(ip, &l->a[0]);
	return l;
}

/* Answer the asked query for host and family (AF_INET6 / AF_INET). */
static int answer(const char *host, int family, const char *ip, unsigned ttl, enum rf__dns_status st)
{
	for (unsigned i = 0; i < nasked; i++) {
		struct rf__resolver_query *q = asked[i];
		if (strcmp(q->host, host) != 0 || q->family != family)
			continue;
		asked[i] = asked[--nasked];
		q->status = st;
		q->addrs = st == RF__DNS_OK ? list1(ip) : NULL;
		q->ttl = ttl;
		snprintf(q->detail, sizeof(q->detail), "%s", st == RF__DNS_NXDOMAIN ? "no such host (NXDOMAIN)" : "failed");
		q->next = NULL;
		if (done_tail)
			done_tail->next = q;
		else
			done_head = q;
		done_tail = q;
		return 0;
	}
	return -1;
}

static struct rf__dns *new_dns(unsigned inflight, unsigned cache_max, const char *hosts)
{
	struct rf__dns_config cfg = {.max_inflight = inflight, .cache_max = cache_max,
	                             .hosts_path = hosts, .ops = &fake_ops};
	struct rf__dns *d = NULL;
	char why[200];
	if (rf__dns_new(NULL, &cfg, &d, why, sizeof(why)) != 0)
		return NULL;
	nasked = started = 0;
	return d;
}

static void cache_basics(void)
{
	struct rf__dns *d = new_dns(4, 0, "/nonexistent");
	int64_t now = 1 * SEC;
	struct rf__dns_entry *e = rf__dns_lookup(d, "a.test", 80, now);
	CHECK(e && e->state == RF__ENTRY_PENDING && started == 2, "a new name asks AAAA and A (%u)", started);
	struct rf__dns_entry *e2 = rf__dns_lookup(d, "a.test", 80, now);
	CHECK(e2 == e && started == 2, "a second URL of the name joins the lookup");
	CHECK(rf__dns_stats(d)->joined == 1, "... counted as joined");
	/* A first: held for the resolution delay */
	answer("a.test", AF_INET, "192.0.2.1", 60, RF__DNS_OK);
	rf__dns_on_op(d, 0, 0, now + 1 * MS);
	CHECK(e->state == RF__ENTRY_PENDING, "an A answer alone waits for AAAA");
	int64_t due = rf__dns_deadline(d, now + 1 * MS);
	CHECK(due == now + 51 * MS, "... 50 ms (deadline in %lld ms)", (long long)((due - now) / MS));
	rf__dns_on_time(d, due);
	CHECK(e->state == RF__ENTRY_OK && e->addrs->n == 1, "then settles with A");
	CHECK(rf__dns_take_settled(d) == 1, "settled once");
	answer("a.test", AF_INET6, "2001:db8::1", 30, RF__DNS_OK);
	rf__dns_on_op(d, 0, 0, due + MS);
	CHECK(e->addrs->n == 2 && e->addrs->a[0].sa.sa_family == AF_INET6,
	      "the late AAAA is merged, IPv6 first");
	CHECK(rf__dns_take_settled(d) >= 1, "... and reported for waiting transfers");
	/* cached until the TTL (60 s) */
	CHECK(rf__dns_lookup(d, "a.test", 80, now + 30 * SEC) == e && started == 2,
	      "kept within its TTL");
	rf__dns_lookup(d, "a.test", 80, now + 61 * SEC);
	CHECK(e->state == RF__ENTRY_PENDING && started == 4 && rf__dns_stats(d)->expired == 1,
	      "asked again after it");
	/* AAAA first: at once */
	answer("a.test", AF_INET6, "2001:db8::2", 60, RF__DNS_OK);
	rf__dns_on_op(d, 0, 0, now + 61 * SEC);
	CHECK(e->state == RF__ENTRY_OK && e->addrs->n == 1, "an AAAA answer settles at once");
	answer("a.test", AF_INET, "192.0.2.2", 60, RF__DNS_OK);
	rf__dns_on_op(d, 0, 0, now + 61 * SEC);
	rf__dns_free(d);
}

static void failures_and_bounds(void)
{
	struct rf__dns *d = new_dns(2, 0, "/nonexistent");
	int64_t now = 5 * SEC;
	struct rf__dns_entry *a = rf__dns_lookup(d, "x.test", 80, now);
	rf__dns_lookup(d, "y.test", 80, now);
	struct rf__dns_entry *z = rf__dns_lookup(d, "z.test", 80, now);
	CHECK(started == 4 && z->state == RF__ENTRY_PENDING && z->queued,
	      "a third name waits: 2 lookups in flight at most (%u queries)", started);
	answer("x.test", AF_INET6, NULL, 0, RF__DNS_NXDOMAIN);
	answer("x.test", AF_INET, NULL, 0, RF__DNS_NXDOMAIN);
	rf__dns_on_op(d, 0, 0, now);
	CHECK(a->state == RF__ENTRY_FAILED && strcmp(a->error, "no such host (NXDOMAIN)") == 0,
	      "NXDOMAIN fails the name in words (%s)", a->error ? a->error : "");
	CHECK(started == 6 && !z->queued, "... and the waiting name is asked");
	CHECK(rf__dns_lookup(d, "x.test", 80, now + 4 * SEC) == a && started == 6,
	      "a failure is kept for a few seconds");
	rf__dns_lookup(d, "x.test", 80, now + 6 * SEC);
	CHECK(a->state == RF__ENTRY_PENDING && a->queued, "... not for the run (asked again, in turn)");
	rf__dns_free(d);

	d = new_dns(1000, 100, "/nonexistent");
	char host[32];
	for (int i = 0; i < 300; i++) {
		snprintf(host, sizeof(host), "n%d.test", i);
		rf__dns_lookup(d, host, 80, now);
		answer(host, AF_INET6, "2001:db8::3", 300, RF__DNS_OK);
		answer(host, AF_INET, "192.0.2.3", 300, RF__DNS_OK);
		rf__dns_on_op(d, 0, 0, now);
	}
	CHECK(rf__dns_stats(d)->entries <= 100 && rf__dns_stats(d)->evicted >= 200,
	      "the cache holds at most cache_max names (%u, %llu evicted)", rf__dns_stats(d)->entries,
	      (unsigned long long)rf__dns_stats(d)->evicted);
	unsigned before = started;
	rf__dns_lookup(d, "n299.test", 80, now);
	CHECK(started == before, "the most recent name is still there");
	rf__dns_lookup(d, "n0.test", 80, now);
	CHECK(started == before + 2, "the least recent one went");
	rf__dns_free(d);
}

static void known_names(void)
{
	char path[] = "/tmp/rf-hosts-XXXXXX";
	int fd = mkstemp(path);
	const char *text = "# comment\n127.0.0.1 localhost\n192.0.2.7 Web.Test web2.test # x\n"
	                   "2001:db8::7 web.test\nnot-an-address foo.test\n\n";
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "hosts file written");
	close(fd);
	struct rf__hosts *h = NULL;
	CHECK(rf__hosts_load(path, &h) == 0 && rf__hosts_count(h) == 3, "hosts: 3 names (%u)",
	      rf__hosts_count(h));
	struct rf__addrlist *l = rf__hosts_find(h, "web.test");
	CHECK(l && l->n == 2, "a name on two lines has both addresses");
	CHECK(rf__hosts_find(h, "WEB2.TEST") && !rf__hosts_find(h, "foo.test"),
	      "case does not matter; a bad line is skipped");
	rf__hosts_free(h);

	const char *pins[] = {"pin.test:443:192.0.2.9,[2001:db8::9]"};
	struct rf__dns_config cfg = {.hosts_path = path, .ops = &fake_ops, .pins = pins, .n_pins = 1};
	struct rf__dns *d = NULL;
	char why[200];
	CHECK(rf__dns_new(NULL, &cfg, &d, why, sizeof(why)) == 0, "pins parsed");
	nasked = started = 0;
	struct rf__dns_entry *e = rf__dns_lookup(d, "pin.test", 443, 0);
	CHECK(e->state == RF__ENTRY_OK && e->addrs->n == 2 && e->source == RF__DNS_FROM_PIN && !started,
	      "a pin answers its host and port without asking");
	e = rf__dns_lookup(d, "pin.test", 80, 0);
	CHECK(e->state == RF__ENTRY_PENDING && started == 2, "... not another port");
	e = rf__dns_lookup(d, "web.test", 80, 0);
	CHECK(e->state == RF__ENTRY_OK && e->source == RF__DNS_FROM_HOSTS && e->addrs->n == 2,
	      "the hosts file answers before DNS");
	e = rf__dns_lookup(d, "x.localhost", 80, 0);
	CHECK(e->state == RF__ENTRY_OK && e->source == RF__DNS_FROM_LOCALHOST, "*.localhost is loopback");
	e = rf__dns_lookup(d, "no.invalid", 80, 0);
	CHECK(e->state == RF__ENTRY_FAILED && started == 2, ".invalid is never asked");
	e = rf__dns_lookup(d, "192.0.2.44", 80, 0);
	CHECK(e->state == RF__ENTRY_OK && e->source == RF__DNS_FROM_LITERAL, "an IP literal");
	rf__dns_free(d);

	const char *bad[] = {"x", "h:0:192.0.2.1", "h:80:", "h:80:192.0.2.1,", "h:80:nope", ":80:192.0.2.1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct rf__dns_config c2 = {.hosts_path = path, .ops = &fake_ops, .pins = &bad[i], .n_pins = 1};
		d = NULL;
		CHECK(rf__dns_new(NULL, &c2, &d, why, sizeof(why)) != 0 && strstr(why, "want HOST:PORT:ADDR"),
		      "pin '%s' refused", bad[i]);
	}
	unlink(path);
}

static void merge_order(void)
{
	struct rf__addrlist *a = rf__addrlist_new(3), *b = rf__addrlist_new(2);
	rf__sockaddr_parse("192.0.2.1", &a->a[0]);
	rf__sockaddr_parse("192.0.2.2", &a->a[1]);
	rf__sockaddr_parse("192.0.2.3", &a->a[2]);
	rf__sockaddr_parse("2001:db8::1", &b->a[0]);
	rf__sockaddr_parse("192.0.2.1", &b->a[1]);
	struct rf__addrlist *m = rf__addrlist_merge(a, b);
	char t[5][64];
	for (unsigned i = 0; i < m->n && i < 5; i++)
		rf__sockaddr_text(&m->a[i], t[i], sizeof(t[i]));
	CHECK(m->n == 4 && strcmp(t[0], "2001:db8::1") == 0 && strcmp(t[1], "192.0.2.1") == 0 &&
	      strcmp(t[2], "192.0.2.2") == 0, "merged: IPv6 first, families alternate, no duplicates");
	rf__addrlist_unref(a);
	rf__addrlist_unref(b);
	rf__addrlist_unref(m);
}

/* What a cached name costs: 10 000 names answered with one IPv4 and one
 * IPv6 address each, heap bytes per name (mallinfo2), stated in the
 * design notes. */
static void memory_per_name(void)
{
	struct rf__dns *d = new_dns(100000, 100000, "/nonexistent");
	char host[32];
	struct mallinfo2 before = mallinfo2();
	for (int i = 0; i < 10000; i++) {
		snprintf(host, sizeof(host), "h%05d.test", i);
		rf__dns_lookup(d, host, 80, 0);
		answer(host, AF_INET6, "2001:db8::3", 300, RF__DNS_OK);
		answer(host, AF_INET, "192.0.2.3", 300, RF__DNS_OK);
		rf__dns_on_op(d, 0, 0, 0);
	}
	struct mallinfo2 after = mallinfo2();
	double per = (double)(after.uordblks - before.uordblks) / 10000;
	printf("# %.0f heap bytes per cached name (two addresses)\n", per);
	CHECK(per < 400, "a cached name costs %.0f bytes (under 400)", per);
	rf__dns_free(d);
}

int main(void)
{
	memory_per_name();
	cache_basics();
	failures_and_bounds();
	known_names();
	merge_order();
	return tap_done();
}
