/* What the remux engine must understand of H.264, H.265 and AAC to copy
 * them into MP4: the parameter sets' picture size and profile, the
 * avcC/hvcC records, ADTS headers and AudioSpecificConfig. Nothing here
 * decodes pictures or sound. Internal to the media library. */
#ifndef ARCHIVED_CODEC_H
#define ARCHIVED_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "codec_config.h"

/*
 * Build the configuration of a video stream from its parameter sets
 * (raw NAL units: VPS for H.265, SPS, PPS); picture size from the SPS.
 * -1 if they cannot be parsed.
 */
int	 codec_config_from_params(struct codec_config *c, enum codec_id codec,
	    const uint8_t *const *nals, const size_t *lens, size_t n);
/* Read a stored avcC/hvcC record (an MP4 sample entry's) into c. */
int	 codec_config_from_record(struct codec_config *c, enum codec_id codec,
	    const uint8_t *rec, size_t len);
/* The record's parameter sets as 4-byte length-prefixed NAL units. */
size_t	 codec_config_params_lp(const struct codec_config *c, uint8_t *out, size_t cap);

/* An ADTS frame, as its header describes it. */
struct adts {
	size_t		 header, frame;	/* header bytes (7 or 9), whole frame */
	int		 aot, sr_index, channels;
};
/* Whether p starts the ADTS header of a frame we copy: 1 and *a, or 0. */
int	 codec_adts_header(const uint8_t *p, size_t n, struct adts *a);
/* AAC configuration from an ADTS header or from an AudioSpecificConfig. */
int	 codec_config_from_adts(struct codec_config *c, const struct adts *a);
int	 codec_config_from_asc(struct codec_config *c, const uint8_t *asc, size_t len);

#endif
