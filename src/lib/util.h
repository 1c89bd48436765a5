/* Small helpers shared by every program: growable buffers, random bytes,
 * hex, integer parsing, paths and durable file writes.
 *
 * Conventions the whole tree follows:
 * - Return values: an action answers 0 done / -1 failed (logged, or the
 *   reason in an err buffer the caller passed). A lookup or a test answers
 *   1 found (yes) / 0 not found (no) / -1 error, never the other way round;
 *   where more outcomes exist, an enum names them. Constructors answer the
 *   object or NULL.
 * - Out of memory: allocations through the x*() helpers below abort. Only
 *   code that can fail one request or one client instead of the process
 *   (the export engine, the push hub, buf_*()) checks malloc/realloc and
 *   returns -1; there, grow arrays with reallocarray() so a count times a
 *   size cannot overflow. */
#ifndef ARCHIVED_UTIL_H
#define ARCHIVED_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Allocation that aborts on failure (see the out-of-memory rule above). */
void	*xmalloc(size_t n);
void	*xcalloc(size_t n, size_t size);
char	*xstrdup(const char *s);
/* realloc of n elements of size bytes; aborts on overflow or failure. */
void	*xreallocarray(void *p, size_t n, size_t size);
/* Grow the array *v holding *cap elements of size bytes so that index
 * need - 1 fits: doubles, from 16. Aborts on overflow or failure. */
void	 xgrow(void *v, size_t *cap, size_t need, size_t size);

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
/* pread all of len bytes at off (again after a signal or a short read),
 * or fewer at the end of the file; the bytes read, or -1. */
ssize_t	 pread_full(int fd, void *buf, size_t len, uint64_t off);

/* Microseconds since the epoch (CLOCK_REALTIME) and monotonic. */
int64_t	 now_us(void);
int64_t	 mono_us(void);

#endif
