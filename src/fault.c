/*
 * fault.c - the fault injection switch and its seeded random stream
 * (see fault.h).  Nothing here exists in NDEBUG builds.
 */
#include "fault.h"

#ifndef NDEBUG
#include <stdlib.h>
#include <string.h>

void rf__faults_setup(struct rf__faults *f, uint64_t salt)
{
	*f = (struct rf__faults){0};
	const char *env = getenv("RINGFETCH_FAULTS");
	if (!env || !*env)
		return;
	char *end;
	unsigned long long seed = strtoull(env, &end, 10);
	f->percent = *end == ':' ? (unsigned)strtoul(end + 1, &end, 10) : 5;
	const char *kinds = *end == ':' ? end + 1 : "seq";
	f->shorts = strchr(kinds, 's') != NULL;
	f->errors = strchr(kinds, 'e') != NULL;
	f->again = strchr(kinds, 'a') != NULL;
	f->flush = strchr(kinds, 'q') != NULL;
	f->alloc = strchr(kinds, 'm') != NULL;
	if (f->percent > 100)
		f->percent = 100;
	f->state = (seed ^ salt) * 0x9E3779B97F4A7C15ull + 1;
}

uint64_t rf__fault_rand(struct rf__faults *f)
{
	uint64_t x = f->state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return f->state = x;
}

bool rf__fault_now(struct rf__faults *f, bool kind)
{
	return kind && f->percent && rf__fault_rand(f) % 100 < f->percent;
}

bool rf__fault_alloc(void)
{
	static _Thread_local struct rf__faults f;
	static _Thread_local bool ready;
	if (!ready) {
		rf__faults_setup(&f, 0x616c6c6f63ull); /* "alloc" */
		ready = true;
	}
	return f.alloc && rf__fault_now(&f, true);
}
#endif
