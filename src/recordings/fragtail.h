/*
 * A fragmented MP4 seen through its head and tail only: the parts a prober
 * needs (ftyp, moov, the first fragment, the last fragment) as byte ranges
 * of the file, found without walking every fragment. Read together, in
 * order, they are a valid fragmented MP4 whose samples carry the times
 * they have in the whole file (every fragment's tfdt is absolute).
 *
 * The last fragment is found from the end: the last `moof` box in the
 * file's last bytes whose box chain runs exactly to the end of the file
 * (or into a box still being written). Untrusted bytes: every size is
 * checked against the file.
 */
#ifndef ARCHIVED_FRAGTAIL_H
#define ARCHIVED_FRAGTAIL_H

#include <stddef.h>
#include <stdint.h>

#define FRAGTAIL_RANGES	6

struct fragtail {
	struct {
		int64_t	 off, len;
	}		 r[FRAGTAIL_RANGES];
	size_t		 n;
	int64_t	 	 read_bytes;	/* bytes read to find them */
};

/*
 * Find the ranges of the file open on fd (size bytes). Returns 1 and the
 * ranges; 0 if it is not a fragmented MP4 with a moov first, or its last
 * fragment cannot be told apart (read it whole then); -1 on a read error.
 */
int	 fragtail_find(int fd, int64_t size, struct fragtail *ft);

#endif
