/*
 * The fallback reader: segments the TS and MP4 readers do not take
 * (Matroska/WebM, FLV, 192-byte M2TS, MPEG-PS, AVI, MP4 with short NAL
 * lengths, TS with LATM sound), demuxed by libavformat. The first H.264 or
 * H.265 video stream and the first AAC stream come out as the fast
 * readers' samples do: video with 4-byte NAL lengths (Annex B rewritten,
 * 1- or 2-byte lengths widened), keyframes told by the NAL unit types,
 * AAC as raw frames (ADTS headers dropped, LATM unpacked) with an
 * AudioSpecificConfig, times in ticks of the stream's time base.
 * libavformat is loaded on the first segment that needs it (avlib.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "avlib.h"
#include "lib/log.h"
#include "demux.h"
#include "codec.h"
#include "nal.h"
#include "latm.h"
#include "lib/util.h"
#include "lib/banned.h"

/* Containers a recorder writes; a file probed as anything else (an image,
 * a playlist naming other files) is refused. */
#define FORMATS		"matroska,webm,flv,mpegts,mov,mp4,mpeg,avi"
#define PROBE_BYTES	"5000000"
#define ANALYSE_US	"2000000"	/* find_stream_info reads at most this much */
#define VQ_MAX		16		/* leading pictures without dts (Matroska) */
#define AUDIO_MAX	(64 * 1024)
#define AAC_FRAME	1024

struct lavf {
	const char	*path;
	struct demux_sink	 sink;
	int		(*cancelled)(void *);
	void		*arg;
	int		 interrupted;
	AVFormatContext	*fc;
	AVPacket	*pkt;
	uint64_t	 pos;
	int		 eof, truncated, last_corrupt, warned_corrupt;
	/* video */
	int		 vidx;
	enum codec_id	 vcodec;
	int64_t		 vmul;		/* ticks = time_base units * vmul */
	uint32_t	 vts;
	int		 lp;		/* NAL length bytes in packets; 0: Annex B */
	struct codec_config reccfg;	/* from the avcC/hvcC record */
	int		 have_reccfg;
	struct codec_config vcfg, tmpcfg;	/* from in-band parameter sets */
	int		 have_vcfg;
	int		 need_key, dts_seen;
	int64_t		 vdur;		/* a frame, in time base units */
	int64_t		 last_vdts;
	struct nal_list	 nals;
	uint8_t		*scratch;
	size_t		 scratch_cap;
	AVPacket	*vq[VQ_MAX + 1];	/* waiting for a dts */
	size_t		 nvq, vq_next;
	int		 vq_ready;
	/* audio */
	int		 aidx;
	const char	*other_audio;	/* a sound stream's codec, not read */
	int		 alatm;
	int64_t		 amul;
	uint32_t	 ats;
	AVPacket	*apkt;		/* the packet whose frames go out */
	size_t		 aoff;
	int64_t		 abase, anum;	/* time of the next frame: abase + anum frames */
	struct codec_config acfg;		/* from the extradata */
	int		 have_acfg;
	struct codec_config adtscfg;	/* from the last ADTS header */
	struct latm	 latm;
	uint8_t		*abuf;
	int		 warned_audio;
};

static const char *
av_err(int rc, char *buf, size_t len)
{
	if (avlib.av_strerror(rc, buf, len) < 0)
		snprintf(buf, len, "error %d", rc);
	return buf;
}

static int
lavf_interrupt(void *opaque)
{
	struct lavf *r = opaque;

	if (!r->interrupted && r->cancelled != NULL && r->cancelled(r->arg))
		r->interrupted = 1;
	return r->interrupted;
}

/*
 * An hvcC too big for a sample entry of ours (x265 puts a long SEI with its
 * settings there): only its VPS, SPS and PPS arrays, which is what a
 * decoder needs. The length of the copy, 0 if even those do not fit.
 */
static size_t
hvcc_trim(const uint8_t *rec, size_t n, uint8_t *out, size_t cap)
{
	size_t pos = 23, len = 23, narrays = 0;

	if (n < 23 || cap < 23)
		return 0;
	memcpy(out, rec, 23);
	for (size_t a = 0; a < rec[22]; a++) {
		size_t start = pos, cnt;

		if (pos + 3 > n)
			return 0;
		cnt = (size_t)rec[pos + 1] << 8 | rec[pos + 2];
		pos += 3;
		for (size_t i = 0; i < cnt; i++) {
			if (pos + 2 > n)
				return 0;
			pos += 2 + ((size_t)rec[pos] << 8 | rec[pos + 1]);
		}
		if (pos > n)
			return 0;
		if ((rec[start] & 0x3f) < 32 || (rec[start] & 0x3f) > 34)
			continue;
		if (pos - start > cap - len)
			return 0;
		memcpy(out + len, rec + start, pos - start);
		len += pos - start;
		narrays++;
	}
	out[22] = (uint8_t)narrays;
	return len;
}

/* An avcC/hvcC record, its NAL length size made 4 as our samples have it. */
static int
video_record(struct lavf *r, const uint8_t *rec, size_t n)
{
	uint8_t copy[CODEC_CONFIG_MAX];
	size_t at = r->vcodec == CODEC_H264 ? 4 : 21;

	if (n <= at || rec[0] != 1)
		return -1;
	if (n <= sizeof(copy))
		memcpy(copy, rec, n);
	else if (r->vcodec != CODEC_HEVC || (n = hvcc_trim(rec, n, copy, sizeof(copy))) == 0)
		return -1;
	copy[at] |= 3;
	if (codec_config_from_record(&r->reccfg, r->vcodec, copy, n) == -1)
		return -1;
	r->lp = (rec[at] & 3) + 1;
	r->have_reccfg = 1;
	return 0;
}

/* Split a sample of `lp`-byte NAL lengths; -1 if they do not fill it. */
static int
split_lp(const uint8_t *p, size_t n, int lp, struct nal_list *l)
{
	size_t pos = 0;

	if (lp == 4)
		return nal_split_lp(p, n, l);
	l->n = 0;
	while (pos + (size_t)lp <= n) {
		size_t len = 0;

		for (int i = 0; i < lp; i++)
			len = len << 8 | p[pos + (size_t)i];
		if (len == 0 || len > n - pos - (size_t)lp ||
		    nal_list_add(l, pos + (size_t)lp, len) == -1)
			return -1;
		pos += (size_t)lp + len;
	}
	return pos == n ? 0 : -1;
}

static void
put_be32(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * The picture's NAL units are in r->nals (offsets into p): its keyframe
 * flag, and a configuration from its own parameter sets when it has
 * them, as the TS reader builds it. *inband: they are all there.
 */
static int
video_scan(struct lavf *r, const uint8_t *p, int *key, int *inband)
{
	const uint8_t *nals[16];
	size_t lens[16], k = 0;
	int vcl = 0, kinds = 0;

	*key = *inband = 0;
	for (size_t i = 0; i < r->nals.n; i++) {
		const uint8_t *nal = p + r->nals.v[i].off;
		int type = nal_type(r->vcodec, nal), kind = nal_param_kind(r->vcodec, type);

		if (nal_is_vcl(r->vcodec, type)) {
			if (!vcl)
				*key = nal_is_key(r->vcodec, type);
			vcl = 1;
		} else if (kind != 0 && k < nitems(nals)) {
			nals[k] = nal;
			lens[k++] = r->nals.v[i].len;
			kinds |= 1 << kind;
		}
	}
	if (*key && k > 0 &&
	    codec_config_from_params(&r->tmpcfg, r->vcodec, nals, lens, k) == 0) {
		if (!r->have_vcfg || r->tmpcfg.reclen != r->vcfg.reclen ||
		    memcmp(r->tmpcfg.rec, r->vcfg.rec, r->vcfg.reclen) != 0)
			r->vcfg = r->tmpcfg;
		r->have_vcfg = 1;
		*inband = kinds == (r->vcodec == CODEC_HEVC ? 0xe : 0x6);
	}
	return vcl;
}

/* Parameter sets of an Annex B extradata (MPEG-TS, PS): a first configuration. */
static void
video_annexb_extradata(struct lavf *r, const AVCodecParameters *par)
{
	const uint8_t *nals[16];
	size_t lens[16], k = 0;

	if (par->extradata == NULL || par->extradata_size <= 0 ||
	    nal_split_annexb(par->extradata, (size_t)par->extradata_size, &r->nals) == -1)
		return;
	for (size_t i = 0; i < r->nals.n && k < nitems(nals); i++) {
		const uint8_t *nal = par->extradata + r->nals.v[i].off;

		if (nal_param_kind(r->vcodec, nal_type(r->vcodec, nal)) != 0) {
			nals[k] = nal;
			lens[k++] = r->nals.v[i].len;
		}
	}
	if (k > 0 && codec_config_from_params(&r->vcfg, r->vcodec, nals, lens, k) == 0)
		r->have_vcfg = 1;
}

static void
video_times(struct lavf *r, const AVPacket *pkt, int64_t *dts, int64_t *pts)
{
	*dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
	if (*dts == AV_NOPTS_VALUE)	/* none at all: the next frame time */
		*dts = r->last_vdts == AV_NOPTS_VALUE ? 0 : r->last_vdts + r->vdur;
	*pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : *dts;
	r->last_vdts = *dts;
	*dts *= r->vmul;
	*pts *= r->vmul;
}

/* One video packet as a sample built in the sink: 1, 0 if skipped, -1 on failure. */
static int
video_emit(struct lavf *r, AVPacket *pkt, struct demux_sample *s)
{
	const struct codec_config *cfg;
	const uint8_t *ed;
	size_t edn = 0, n = (size_t)pkt->size, size, d = 0;
	int64_t dts, pts;
	uint8_t *dst;
	int key, inband;

	ed = avlib.av_packet_get_side_data(pkt, AV_PKT_DATA_NEW_EXTRADATA, &edn);
	if (ed != NULL && edn > 0 && ed[0] == 1 && video_record(r, ed, edn) == -1)
		log_debug("segment '%s': unreadable new video configuration", r->path);
	if (pkt->flags & AV_PKT_FLAG_CORRUPT) {
		if (!r->warned_corrupt++)
			log_warnx("segment '%s' is damaged near byte %lld; skipping to the "
			    "next keyframe", r->path, (long long)pkt->pos);
		r->need_key = 1;
		return 0;
	}
	if (r->lp == 0) {
		if (nal_split_annexb(pkt->data, n, &r->nals) == -1)
			return -1;
	} else if (split_lp(pkt->data, n, r->lp, &r->nals) == -1) {
		log_warnx("segment '%s': damaged picture at byte %lld, skipped", r->path,
		    (long long)pkt->pos);
		r->need_key = 1;
		return 0;
	}
	if (!video_scan(r, pkt->data, &key, &inband))
		return 0;	/* no picture: parameter sets or SEI alone */
	if (inband || !r->have_reccfg)
		cfg = r->have_vcfg ? &r->vcfg : NULL;
	else
		cfg = &r->reccfg;
	if ((r->need_key && !key) || cfg == NULL) {
		r->need_key = 1;
		return 0;
	}
	r->need_key = 0;
	size = nal_lp_size(&r->nals);
	if ((dst = r->sink.room(r->sink.ctx, 0, size > n ? size : n)) == NULL)
		return -1;
	if (r->lp == 0) {
		memcpy(dst, pkt->data, n);
		if (nal_annexb_to_lp(dst, n, &r->nals, &r->scratch, &r->scratch_cap) == -1)
			return -1;
	} else if (r->lp == 4)
		memcpy(dst, pkt->data, n);
	else
		for (size_t i = 0; i < r->nals.n; i++) {
			put_be32(dst + d, r->nals.v[i].len);
			memcpy(dst + d + 4, pkt->data + r->nals.v[i].off, r->nals.v[i].len);
			d += 4 + r->nals.v[i].len;
		}
	video_times(r, pkt, &dts, &pts);
	*s = (struct demux_sample){ .track = TRACK_VIDEO, .dts = dts, .pts = pts, .key = key,
	    .data = dst, .size = size, .cfg = cfg, .params_out_of_band = !inband };
	return 1;
}

/*
 * Matroska stores no dts: libavformat derives them from the pts once it
 * has seen as many pictures as the stream reorders, and gives the first
 * ones none. Those wait here, then get dts one frame apart ending a frame
 * before the first known dts (or before the earliest pts, if none comes):
 * increasing, and never after their pts.
 */
static int
vq_push(struct lavf *r, AVPacket *pkt)
{
	if (r->vq[r->nvq] == NULL && (r->vq[r->nvq] = avlib.av_packet_alloc()) == NULL)
		return -1;
	avlib.av_packet_move_ref(r->vq[r->nvq++], pkt);
	return 0;
}

static void
vq_backfill(struct lavf *r, int anchored)
{
	size_t n = anchored ? r->nvq - 1 : r->nvq;
	int64_t dur = 0, ref = INT64_MAX;

	for (size_t i = 0; i < r->nvq; i++)
		for (size_t j = 0; j < r->nvq; j++) {
			int64_t gap = r->vq[j]->pts - r->vq[i]->pts;

			if (gap > 0 && (dur == 0 || gap < dur))
				dur = gap;
		}
	if (dur == 0 || r->vdur < dur)	/* three pts may all be two frames apart */
		dur = r->vdur;
	if (anchored)
		ref = r->vq[n]->dts;
	else
		for (size_t i = 0; i < n; i++)
			if (r->vq[i]->pts < ref)
				ref = r->vq[i]->pts;
	for (size_t k = 0; k < n; k++)
		r->vq[k]->dts = ref - (int64_t)(n - k) * dur;
	r->dts_seen = 1;
	r->vq_ready = 1;
	r->vq_next = 0;
}

/* The audio packet just read: its time, or nothing if it has none. */
static void
audio_begin(struct lavf *r)
{
	AVPacket *p = r->apkt;
	const uint8_t *ed;
	size_t edn = 0;

	r->aoff = 0;
	ed = avlib.av_packet_get_side_data(p, AV_PKT_DATA_NEW_EXTRADATA, &edn);
	if (ed != NULL && !r->alatm && edn >= 2)
		r->have_acfg = codec_config_from_asc(&r->acfg, ed, edn) == 0 &&
		    r->acfg.channels > 0;
	if (p->pts != AV_NOPTS_VALUE) {
		r->abase = p->pts * r->amul;
		r->anum = 0;
	}
	if ((p->flags & AV_PKT_FLAG_CORRUPT) || r->abase == AV_NOPTS_VALUE)
		avlib.av_packet_unref(p);
}

static void
audio_warn(struct lavf *r, const char *why)
{
	if (!r->warned_audio++)
		log_warnx("segment '%s': %s; its sound is left out", r->path, why);
}

/* The next frame of the audio packet: 1, or 0 once it is used up. */
static int
audio_next(struct lavf *r, struct demux_sample *s)
{
	AVPacket *p = r->apkt;

	while (r->aoff < (size_t)p->size) {
		uint8_t *d = p->data + r->aoff, *frame = d;
		size_t n = (size_t)p->size - r->aoff, len = n, loas;
		const struct codec_config *cfg = &r->acfg;
		struct adts h;
		int64_t t;
		enum latm_rc rc;

		if (r->alatm) {
			loas = latm_loas_size(d, n);
			rc = loas > 0 ? latm_element(&r->latm, d + 3, loas - 3, r->abuf,
			    AUDIO_MAX, &len) : latm_element(&r->latm, d, n, r->abuf,
			    AUDIO_MAX, &len);
			r->aoff += loas > 0 ? loas : n;
			if (rc == LATM_BAD)
				audio_warn(r, "LATM AAC in a form we do not copy");
			if (rc != LATM_FRAME)
				continue;
			frame = r->abuf;
			cfg = &r->latm.cfg;
		} else if (codec_adts_header(d, n, &h) && h.frame <= n &&
		    (!r->have_acfg || h.frame == n)) {
			codec_config_from_adts(&r->adtscfg, &h);
			frame = d + h.header;
			len = h.frame - h.header;
			r->aoff += h.frame;
			cfg = &r->adtscfg;
		} else if (r->have_acfg)
			r->aoff += n;
		else {
			audio_warn(r, "AAC without a configuration");
			break;
		}
		t = r->abase + (r->anum++ * AAC_FRAME * (int64_t)r->ats + cfg->sample_rate / 2) /
		    cfg->sample_rate;
		*s = (struct demux_sample){ .track = TRACK_AUDIO, .dts = t, .pts = t, .key = 1,
		    .data = frame, .size = len, .cfg = cfg };
		return 1;
	}
	avlib.av_packet_unref(p);
	return 0;
}

static int
lavf_read(void *rp, struct demux_sample *s)
{
	struct lavf *r = rp;
	AVPacket *p = r->pkt;
	char err[128];
	int rc;

	for (;;) {
		if (r->apkt->data != NULL && audio_next(r, s) == 1)
			return 1;
		if (r->vq_ready && r->vq_next < r->nvq) {
			AVPacket *q = r->vq[r->vq_next++];

			rc = video_emit(r, q, s);	/* the data is copied to the sink */
			avlib.av_packet_unref(q);
			if (rc != 0)
				return rc;
			continue;
		}
		r->vq_ready = 0;
		if (r->vq_next == r->nvq)
			r->nvq = r->vq_next = 0;
		if (r->eof)
			return r->eof > 0 ? 0 : -1;
		avlib.av_packet_unref(p);
		if ((rc = avlib.av_read_frame(r->fc, p)) < 0) {
			if (rc == AVERROR_EOF || r->interrupted) {
				r->eof = 1;
				r->truncated = r->last_corrupt;
			} else {
				log_warnx("cannot read segment '%s' past byte %llu: %s", r->path,
				    (unsigned long long)r->pos, av_err(rc, err, sizeof(err)));
				r->eof = -1;
			}
			if (r->nvq > 0)
				vq_backfill(r, 0);
			continue;
		}
		if (p->pos >= 0 && (uint64_t)p->pos + (uint64_t)p->size > r->pos)
			r->pos = (uint64_t)p->pos + (uint64_t)p->size;
		r->last_corrupt = (p->flags & AV_PKT_FLAG_CORRUPT) != 0;
		if (p->stream_index == r->aidx) {
			avlib.av_packet_unref(r->apkt);
			avlib.av_packet_move_ref(r->apkt, p);
			audio_begin(r);
			continue;
		}
		if (p->stream_index != r->vidx)
			continue;
		if (!r->dts_seen && p->dts == AV_NOPTS_VALUE && p->pts != AV_NOPTS_VALUE &&
		    r->nvq < VQ_MAX) {
			if (vq_push(r, p) == -1)
				return -1;
			continue;
		}
		if (r->nvq > 0) {	/* the first dts, or too long without one */
			if (vq_push(r, p) == -1)
				return -1;
			vq_backfill(r, r->vq[r->nvq - 1]->dts != AV_NOPTS_VALUE);
			continue;
		}
		r->dts_seen = 1;
		if ((rc = video_emit(r, p, s)) != 0)
			return rc;
	}
}

static void
lavf_close(void *rp)
{
	struct lavf *r = rp;

	if (r == NULL)
		return;
	for (size_t i = 0; i < nitems(r->vq); i++)
		avlib.av_packet_free(&r->vq[i]);
	avlib.av_packet_free(&r->pkt);
	avlib.av_packet_free(&r->apkt);
	if (r->fc != NULL)
		avlib.avformat_close_input(&r->fc);
	nal_list_release(&r->nals);
	free(r->scratch);
	free(r->abuf);
	free(r);
}

static uint32_t
lavf_timescale(const void *rp, int track)
{
	const struct lavf *r = rp;

	if (track == TRACK_VIDEO)
		return r->vidx >= 0 ? r->vts : 0;
	return r->aidx >= 0 ? r->ats : 0;
}

static uint64_t
lavf_pos(const void *rp)
{
	return ((const struct lavf *)rp)->pos;
}

static int
lavf_truncated(const void *rp)
{
	return ((const struct lavf *)rp)->truncated;
}

static const char *
lavf_sound_left_out(const void *rp)
{
	const struct lavf *r = rp;

	return r->aidx == -1 ? r->other_audio : NULL;
}

static const struct demux_ops lavf_ops = {
	lavf_read, lavf_close, lavf_timescale, lavf_pos, lavf_truncated,
	lavf_sound_left_out,
};

/* A frame's length in ticks of the time base, from the stream's rate. */
static int64_t
frame_ticks(const AVStream *st)
{
	AVRational fr = st->avg_frame_rate.num > 0 && st->avg_frame_rate.den > 0 ?
	    st->avg_frame_rate : st->r_frame_rate;
	int64_t d;

	if (fr.num <= 0 || fr.den <= 0)
		fr = (AVRational){ 25, 1 };
	d = (int64_t)st->time_base.den * fr.den / ((int64_t)st->time_base.num * fr.num);
	return d > 0 ? d : 1;
}

/* The first H.264/H.265 and the first AAC stream; the others are not read. */
static int
streams_pick(struct lavf *r, int *other_video)
{
	for (unsigned i = 0; i < r->fc->nb_streams; i++) {
		AVStream *st = r->fc->streams[i];
		const AVCodecParameters *par = st->codecpar;
		int tb = st->time_base.num > 0 && st->time_base.den > 0;

		st->discard = AVDISCARD_ALL;
		if (par->codec_type == AVMEDIA_TYPE_VIDEO && r->vidx == -1 &&
		    !(st->disposition & AV_DISPOSITION_ATTACHED_PIC)) {
			if (!tb || (par->codec_id != AV_CODEC_ID_H264 &&
			    par->codec_id != AV_CODEC_ID_HEVC)) {
				*other_video = 1;
				continue;
			}
			r->vidx = (int)i;
			r->vcodec = par->codec_id == AV_CODEC_ID_HEVC ? CODEC_HEVC : CODEC_H264;
			r->vts = (uint32_t)st->time_base.den;
			r->vmul = st->time_base.num;
			r->vdur = frame_ticks(st);
			if (par->extradata_size > 0 && par->extradata[0] == 1) {
				if (video_record(r, par->extradata, (size_t)par->extradata_size) == -1)
					return -1;
			} else
				video_annexb_extradata(r, par);
		} else if (par->codec_type == AVMEDIA_TYPE_AUDIO && r->aidx == -1 && tb &&
		    (par->codec_id == AV_CODEC_ID_AAC || par->codec_id == AV_CODEC_ID_AAC_LATM)) {
			r->aidx = (int)i;
			r->alatm = par->codec_id == AV_CODEC_ID_AAC_LATM;
			r->ats = (uint32_t)st->time_base.den;
			r->amul = st->time_base.num;
			if (!r->alatm && par->extradata_size >= 2)
				r->have_acfg = codec_config_from_asc(&r->acfg, par->extradata,
				    (size_t)par->extradata_size) == 0 && r->acfg.channels > 0;
		} else {
			if (par->codec_type == AVMEDIA_TYPE_AUDIO && r->other_audio == NULL)
				r->other_audio = avlib.avcodec_get_name(par->codec_id);
			continue;
		}
		st->discard = AVDISCARD_DEFAULT;
	}
	return 0;
}

/*
 * The demuxer a file's first bytes name, or NULL to let libavformat probe
 * (within FORMATS). Probing runs every demuxer's probe function over the
 * file's start, which alone adds ~2 MB of RSS.
 */
static const AVInputFormat *
format_of(const char *path)
{
	static const struct {
		size_t		 off, len;
		const char	*magic, *name;
	} magics[] = {
		{ 0, 4, "\x1a\x45\xdf\xa3", "matroska" },	/* EBML */
		{ 0, 3, "FLV", "flv" },
		{ 4, 4, "ftyp", "mov" },
		{ 0, 1, "\x47", "mpegts" },
		{ 4, 1, "\x47", "mpegts" },			/* 192-byte M2TS packets */
	};
	uint8_t h[8];
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	do
		n = pread(fd, h, sizeof(h), 0);
	while (n == -1 && errno == EINTR);
	close(fd);
	for (size_t i = 0; i < nitems(magics); i++)
		if (n >= (ssize_t)(magics[i].off + magics[i].len) &&
		    memcmp(h + magics[i].off, magics[i].magic, magics[i].len) == 0)
			return avlib.av_find_input_format(magics[i].name);
	return NULL;
}

static int
options_set(AVDictionary **opt)
{
	static const char *const kv[][2] = {
		{ "protocol_whitelist", "file" },	/* nothing but the segment itself */
		{ "format_whitelist", FORMATS },
		{ "probesize", PROBE_BYTES },
		{ "analyzeduration", ANALYSE_US },
		{ "advanced_editlist", "0" },	/* MP4: shift by the edit list, drop nothing */
	};

	for (size_t i = 0; i < nitems(kv); i++)
		if (avlib.av_dict_set(opt, kv[i][0], kv[i][1], 0) < 0)
			return -1;
	return 0;
}

void *
demux_lavf_open(const char *path, struct demux_sink sink, int (*cancelled)(void *), void *arg,
    const struct demux_ops **ops, int *unsupported)
{
	struct lavf *r;
	AVDictionary *opt = NULL;
	char *url = NULL, err[128];
	const char *why;
	size_t len = strlen(path) + 6;
	int rc, other_video = 0;

	if (avlib_load(&why) == -1) {
		log_warnx("segment '%s' needs libavformat, which cannot be used: %s", path,
		    why);
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->path = path;
	r->sink = sink;
	r->cancelled = cancelled;
	r->arg = arg;
	r->vidx = r->aidx = -1;
	r->need_key = 1;
	r->last_vdts = r->abase = AV_NOPTS_VALUE;
	if ((url = malloc(len)) == NULL || (r->abuf = malloc(AUDIO_MAX)) == NULL ||
	    (r->pkt = avlib.av_packet_alloc()) == NULL ||
	    (r->apkt = avlib.av_packet_alloc()) == NULL ||
	    (r->fc = avlib.avformat_alloc_context()) == NULL || options_set(&opt) == -1)
		goto fail;
	/* "file:" first: no part of a path is taken for another protocol */
	snprintf(url, len, "file:%s", path);
	r->fc->interrupt_callback.callback = lavf_interrupt;
	r->fc->interrupt_callback.opaque = r;
	if ((rc = avlib.avformat_open_input(&r->fc, url, format_of(path), &opt)) < 0) {
		if (!r->interrupted)
			log_warnx("segment '%s' is in no format we read: %s", path,
			    av_err(rc, err, sizeof(err)));
		goto fail;
	}
	if ((rc = avlib.avformat_find_stream_info(r->fc, NULL)) < 0) {
		if (!r->interrupted)
			log_warnx("cannot read the streams of segment '%s': %s", path,
			    av_err(rc, err, sizeof(err)));
		goto fail;
	}
	if (streams_pick(r, &other_video) == -1) {
		log_warnx("segment '%s': unreadable video configuration", path);
		goto fail;
	}
	if (r->vidx == -1) {
		*unsupported = other_video;
		log_warnx(other_video ? "segment '%s': its video is in a codec we cannot "
		    "copy to MP4" : "segment '%s' has no video", path);
		goto fail;
	}
	log_debug("segment '%s': read with libavformat (%s)", path, r->fc->iformat->name);
	avlib.av_dict_free(&opt);
	free(url);
	*ops = &lavf_ops;
	return r;
fail:
	avlib.av_dict_free(&opt);
	free(url);
	lavf_close(r);
	return NULL;
}
