/* Small helpers shared by every program: growable buffers, random bytes,
 * hex, integer parsing, paths and durable file writes. */
#ifndef ARCHIVED_UTIL_H
#define ARCHIVED_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* Times inside the programs are int64_t microseconds since the epoch, UTC. */
#define USEC_PER_SEC	1000000LL

/* A growable byte buffer, always NUL-terminated. Embedded: buf_init/buf_release. */
struct buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

void	 buf_init(struct buf *b);
void	 buf_release(struct buf *b);
int	 buf_add(struct buf *b, const void *data, size_t len);
int	 buf_adds(struct buf *b, const char *s);
int	 buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hand over the contents; the caller frees. The buffer is empty after. */
char	*buf_detach(struct buf *b);

/* malloc that aborts on failure: for small, bounded allocations only. */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
char	*xstrdup(const char *s);

/* Fill with cryptographically random bytes; -1 on failure. */
int	 random_bytes(void *p, size_t n);
/* n random characters of [A-Za-z0-9] into out (out holds n + 1). */
int	 random_alnum(char *out, size_t n);

void	 hex_encode(const unsigned char *in, size_t n, char *out);

/* Strict decimal parsers: whole string, no sign for _u64, range-checked. */
int	 parse_i64(const char *s, int64_t *out);
int	 parse_u64(const char *s, uint64_t *out);

/* Constant-time comparison of n bytes. */
int	 ct_equal(const void *a, const void *b, size_t n);

/* Join dir and name unless name is absolute. Caller frees. */
char	*path_join(const char *dir, const char *name);
/* mkdir -p with the given mode for created directories. */
int	 mkdir_p(const char *path, unsigned int mode);
/* fsync the directory holding path (after a rename or unlink). */
int	 fsync_parent(const char *path);
/* Write data to path atomically: temp file, fsync, rename, fsync dir. */
int	 write_file_atomic(const char *path, const void *data, size_t len,
	    unsigned int mode);
/* Read a whole (small) file; caller frees *out. */
int	 read_file(const char *path, char **out, size_t *len, size_t max);

/* Microseconds since the epoch (CLOCK_REALTIME) and monotonic. */
int64_t	 now_us(void);
int64_t	 mono_us(void);

#endif
