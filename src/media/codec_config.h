/* A stream's decoder configuration as an MP4 sample entry carries it: what
 * the readers fill and the MP4 writer consumes, so that neither needs the
 * other's header. Internal to the media library. */
#ifndef ARCHIVED_CODEC_CONFIG_H
#define ARCHIVED_CODEC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/* The two tracks an export carries, numbered the same by readers and writer. */
#define TRACK_VIDEO	0
#define TRACK_AUDIO	1

enum codec_id { CODEC_NONE, CODEC_H264, CODEC_HEVC, CODEC_AAC };

#define CODEC_CONFIG_MAX	2048	/* largest avcC/hvcC/ASC we accept */

/* A stream's decoder configuration, as an MP4 sample entry carries it. */
struct codec_config {
	enum codec_id	 codec;
	int		 width, height;		/* video */
	int		 sample_rate, channels;	/* audio */
	int		 aot;			/* AAC audio object type */
	uint8_t		 rec[CODEC_CONFIG_MAX];	/* avcC or hvcC record, or AudioSpecificConfig */
	size_t		 reclen;
};

/* Same codec and picture size, or same audio format: one sample entry fits both. */
int	 codec_config_compatible(const struct codec_config *a, const struct codec_config *b,
	    char *why, size_t len);

#endif
