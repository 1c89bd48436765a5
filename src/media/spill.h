/* An append-only record stream that stays in memory while small and
 * spills to an unlinked temporary file when it grows, then is read back
 * in order (any number of times). Memory use is one fixed buffer. */
#ifndef ARCHIVED_SPILL_H
#define ARCHIVED_SPILL_H

#include <stddef.h>
#include <stdint.h>

struct spill {
	const char	*dir;		/* borrowed: where the file goes */
	int		 fd;		/* -1 until the first spill */
	uint8_t		*buf;
	size_t		 len;		/* bytes in buf: the tail, or read data */
	size_t		 rpos;		/* next byte of buf to read */
	uint64_t	 filed;		/* bytes in the file */
	uint64_t	 roff;		/* next file offset to read */
	int		 reading;
};

void	 spill_init(struct spill *s, const char *dir);
void	 spill_release(struct spill *s);
int	 spill_add(struct spill *s, const void *p, size_t n);
/* Total bytes added. */
uint64_t spill_size(const struct spill *s);
/* Start reading from the first byte; no adds after this. */
int	 spill_rewind(struct spill *s);
/* Exactly n bytes, or -1 (short or I/O error). */
int	 spill_read(struct spill *s, void *p, size_t n);
/* Empty it, for writing again. */
int	 spill_reset(struct spill *s);

#endif
