/*
 * tar.h - POSIX tar (ustar, with pax extended headers where ustar's fields
 * are too small) member headers, for the tar shards of --tar (archive.c):
 * the header of a member of known size, the end of an archive, and the
 * header that turns a reserved region nobody should read into a pax
 * comment every reader skips.  A leaf: bytes in, bytes out.
 */
#ifndef RF_TAR_H
#define RF_TAR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RF__TAR_BLOCK 512
#define RF__TAR_END (2 * RF__TAR_BLOCK) /* two zero blocks end an archive */

static inline uint64_t rf__tar_padded(uint64_t n)
{
	return (n + RF__TAR_BLOCK - 1) / RF__TAR_BLOCK * RF__TAR_BLOCK;
}

/* The header blocks of a regular file `name` of `size` bytes (mode 0644,
 * this mtime) into buf[0..cap): a ustar block, preceded by a pax header
 * with path= and size= when the name is over 100 bytes or the size over
 * ustar's 8 GiB.  Their length (a multiple of 512), or -1 when cap is too
 * small or the name empty. */
ssize_t rf__tar_member_head(char *buf, size_t cap, const char *name, uint64_t size, int64_t mtime);
/* The length rf__tar_member_head would take for a name of this length. */
size_t rf__tar_member_head_len(size_t name_len, uint64_t size);
/* A region of `len` bytes (a multiple of 512, at least 512) made into one
 * pax extended header whose data is a single comment record: the header
 * block into head[0..512), the record's start into start[0..*start_len)
 * (written at the region's byte 512) and a '\n' goes at its last byte.
 * Readers skip it whatever lies between (the comment applies to the next
 * member and means nothing).  0, or -1 when len is not such a length. */
int rf__tar_void(uint64_t len, char head[RF__TAR_BLOCK], char *start, size_t cap, size_t *start_len);

#endif
