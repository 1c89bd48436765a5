/* LATM/LOAS AAC (ISO/IEC 14496-3 1.7.3), as MPEG-TS stream_type 0x11 and
 * DVB carry it: raw AAC frames and their AudioSpecificConfig, for MP4.
 * One program, one layer, one frame per AudioMuxElement; that is what
 * encoders write. Internal to the media library. */
#ifndef ARCHIVED_LATM_H
#define ARCHIVED_LATM_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"

struct latm {
	struct codec_config cfg;	/* of the last StreamMuxConfig */
	int		 have_cfg;
};

/* Bytes of the LOAS AudioSyncStream frame starting at p (its 3-byte
 * header included), 0 if none starts there or it does not fit in n. */
size_t	 latm_loas_size(const uint8_t *p, size_t n);

/* What latm_element() made of an element. */
enum latm_rc {
	LATM_FRAME,		/* its raw AAC frame is in out */
	LATM_NO_CONFIG,		/* it reuses a configuration not seen yet */
	LATM_BAD,		/* damaged, or in a form we do not copy */
};

/*
 * One AudioMuxElement with muxConfigPresent = 1 (a LOAS frame's body):
 * its raw AAC frame into out (cap bytes), *len its size; l->cfg is the
 * frame's configuration.
 */
enum latm_rc	 latm_element(struct latm *l, const uint8_t *p, size_t n,
		    uint8_t *out, size_t cap, size_t *len);

#endif
