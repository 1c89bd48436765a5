/* What the remux engine must understand of H.264, H.265 and AAC to copy
 * them into MP4: NAL unit framing, the parameter sets' picture size and
 * profile, the avcC/hvcC records, ADTS headers and AudioSpecificConfig.
 * Nothing here decodes pictures or sound. Internal to the media library. */
#ifndef ARCHIVED_REMUX_CODEC_H
#define ARCHIVED_REMUX_CODEC_H

#include <stddef.h>
#include <stdint.h>

enum rx_codec { RX_CODEC_NONE, RX_H264, RX_HEVC, RX_AAC };

#define RX_CFG_MAX	2048	/* largest avcC/hvcC/ASC we accept */

/* A stream's decoder configuration, as an MP4 sample entry carries it. */
struct rx_config {
	enum rx_codec	 codec;
	int		 width, height;		/* video */
	int		 sample_rate, channels;	/* audio */
	int		 aot;			/* AAC audio object type */
	uint8_t		 rec[RX_CFG_MAX];	/* avcC or hvcC record, or AudioSpecificConfig */
	size_t		 reclen;
};

/* Same codec and picture size, or same audio format: one sample entry fits both. */
int	 rx_config_compatible(const struct rx_config *a, const struct rx_config *b,
	    char *why, size_t len);

/* NAL units of one access unit. */
struct nal_span {
	size_t		 off, len;	/* of the NAL unit, without start code */
};

struct nal_list {
	struct nal_span	*v;
	size_t		 n, cap;
};

void	 nal_list_release(struct nal_list *l);
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

int	 nal_type(enum rx_codec codec, const uint8_t *nal);
int	 nal_is_vcl(enum rx_codec codec, int type);
/* A picture a decoder can start from (IDR, or H.265 IRAP). */
int	 nal_is_key(enum rx_codec codec, int type);
/* 0 none, else which parameter set (H.264: 1 SPS, 2 PPS; H.265: 1 SPS, 2 PPS, 3 VPS). */
int	 nal_param_kind(enum rx_codec codec, int type);

/*
 * Build the configuration of a video stream from its parameter sets
 * (raw NAL units: VPS for H.265, SPS, PPS); picture size from the SPS.
 * -1 if they cannot be parsed.
 */
int	 rx_config_from_params(struct rx_config *c, enum rx_codec codec,
	    const uint8_t *const *nals, const size_t *lens, size_t n);
/* Read a stored avcC/hvcC record (an MP4 sample entry's) into c. */
int	 rx_config_from_record(struct rx_config *c, enum rx_codec codec,
	    const uint8_t *rec, size_t len);
/* The record's parameter sets as 4-byte length-prefixed NAL units. */
size_t	 rx_config_params_lp(const struct rx_config *c, uint8_t *out, size_t cap);

/* An ADTS header: 0 and the frame's sizes, or -1 if p is not one. */
struct adts {
	size_t		 header, frame;	/* header bytes (7 or 9), whole frame */
	int		 aot, sr_index, channels;
};
int	 adts_parse(const uint8_t *p, size_t n, struct adts *a);
/* AAC configuration from an ADTS header or from an AudioSpecificConfig. */
int	 rx_config_from_adts(struct rx_config *c, const struct adts *a);
int	 rx_config_from_asc(struct rx_config *c, const uint8_t *asc, size_t len);

#endif
