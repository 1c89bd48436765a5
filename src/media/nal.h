/* NAL unit framing of H.264 and H.265 access units: splitting Annex B and
 * length-prefixed samples, rewriting one into the other, and the unit types
 * an export needs to know. Internal to the media library. */
#ifndef ARCHIVED_NAL_H
#define ARCHIVED_NAL_H

#include <stddef.h>
#include <stdint.h>

#include "codec_config.h"

/* NAL units of one access unit. */
struct nal_span {
	size_t		 off, len;	/* of the NAL unit, without start code */
};

struct nal_list {
	struct nal_span	*v;
	size_t		 n, cap;
};

void	 nal_list_release(struct nal_list *l);
/* Append a unit at off, len bytes long; -1 on allocation failure. */
int	 nal_list_add(struct nal_list *l, size_t off, size_t len);
/* Split an Annex B access unit at its start codes; -1 on allocation failure. */
int	 nal_split_annexb(const uint8_t *p, size_t n, struct nal_list *l);
/* Split a length-prefixed (4-byte) sample; -1 if the lengths overrun it. */
int	 nal_split_lp(const uint8_t *p, size_t n, struct nal_list *l);
/* Bytes of the sample once every start code became a 4-byte length. */
size_t	 nal_lp_size(const struct nal_list *l);
/*
 * Rewrite the Annex B unit at p (n bytes, room for nal_lp_size()) as
 * length-prefixed NAL units in place; scratch (grown as needed, caller
 * frees) is used only when the units must move both ways.
 */
int	 nal_annexb_to_lp(uint8_t *p, size_t n, const struct nal_list *l,
	    uint8_t **scratch, size_t *scratch_cap);

int	 nal_type(enum codec_id codec, const uint8_t *nal);
int	 nal_is_vcl(enum codec_id codec, int type);
/* A picture a decoder can start from (IDR, or H.265 IRAP). */
int	 nal_is_key(enum codec_id codec, int type);
/* 0 none, else which parameter set (H.264: 1 SPS, 2 PPS; H.265: 1 SPS, 2 PPS, 3 VPS). */
int	 nal_param_kind(enum codec_id codec, int type);

#endif
