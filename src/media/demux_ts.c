/*
 * MPEG-TS reader (ISO/IEC 13818-1): the first H.264/H.265 and AAC (ADTS)
 * streams of the first program. Video payload is gathered straight into the
 * caller's sink and rewritten there as length-prefixed NAL units; audio
 * PES are split into raw AAC frames.
 *
 * A lost packet (continuity counter) or a bad sync drops the access unit it
 * hit and the pictures after it up to the next keyframe, so what comes out
 * decodes cleanly. At the end of the file a video PES whose last packet was
 * not padded was cut short and is dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "demux.h"
#include "codec.h"
#include "nal.h"
#include "lib/banned.h"

#define TS_PACKET	188			/* bytes of one transport packet */
#define TS_SYNC		0x47			/* its first byte */
#define PAYLOAD		(TS_PACKET - 4)		/* the most payload a packet has */

/* PMT stream_type values (ISO/IEC 13818-1 table 2-34 and amendments). */
#define STREAM_TYPE_AAC_ADTS	0x0f
#define STREAM_TYPE_H264	0x1b
#define STREAM_TYPE_HEVC	0x24
#define READ_PKTS	697			/* about 128 KiB a read, as cat does */
#define VIDEO_STEP	(256 * 1024)		/* sink room asked for at a time */
#define AUDIO_MAX	(256 * 1024)
#define WRAP		(1LL << 33)		/* PTS/DTS are 33 bits */
#define AAC_FRAME	1024

struct es {
	int		 pid;		/* -1: none */
	int		 type;		/* stream_type */
	int		 cc;		/* last continuity counter, -1 unknown */
	int		 open;		/* a PES is being gathered */
	int		 damaged;
	int64_t		 pts, dts;	/* of the open PES, INT64_MIN absent */
	size_t		 pes_len, got;	/* payload announced (0: unbounded), gathered */
	int		 padded;	/* its last packet was shortened: PES ended */
};

struct aframe {
	size_t		 off, hdr, len;	/* in abuf: ADTS frame, header bytes */
	int64_t		 ts;
};

struct ts {
	int		 fd;
	const char	*path;
	uint64_t	 size, pos;	/* file size, bytes read */
	struct demux_sink	 sink;
	uint8_t		*buf;		/* read buffer */
	size_t		 len, off;	/* valid bytes, next packet */
	int		 eof;
	int		 pmt_pid;
	int		 other_video;	/* the PMT lists video we cannot copy */
	const char	*other_audio;	/* a sound stream's codec we do not read */
	struct es	 v, a;
	enum codec_id	 vcodec;
	int64_t		 ref;		/* last timestamp, to unwrap 33-bit wraps */
	/* video */
	uint8_t		*room;
	size_t		 vused, vcap;
	int		 need_key;
	struct codec_config vcfg, tmpcfg;
	int		 have_vcfg;
	struct nal_list	 nals;
	uint8_t		*scratch;
	size_t		 scratch_cap;
	int64_t		 last_vdts, last_vdur;
	struct demux_sample vready;	/* a finished video sample to hand out */
	int		 has_vready;
	/* audio */
	uint8_t		*abuf;
	size_t		 alen;		/* gathered bytes */
	size_t		 apart;		/* frames end here; the rest is partial */
	size_t		 astart;	/* where the open PES's payload starts */
	struct aframe	*aq;
	size_t		 an, acap, anext;
	struct codec_config acfg, atmp;
	int		 have_acfg;
	int64_t		 aclock;	/* 90 kHz time of the next frame */
	int64_t		 aclock_n;	/* frames since aclock was set */
	/* a packet that starts a PES, held while finished samples go out */
	const uint8_t	*held;
	int		 truncated, eof_done, warned_sync, warned_adts, warned_size;
};

static int64_t
unwrap(struct ts *t, int64_t v)
{
	if (t->ref != INT64_MIN) {
		int64_t base = t->ref - (((t->ref % WRAP) + WRAP) % WRAP);

		v += base;
		if (v < t->ref - WRAP / 2)
			v += WRAP;
		else if (v > t->ref + WRAP / 2)
			v -= WRAP;
	}
	t->ref = v;
	return v;
}

static int64_t
read_ts(const uint8_t *p)
{
	return (int64_t)(p[0] & 0x0e) << 29 | (int64_t)p[1] << 22 |
	    (int64_t)(p[2] & 0xfe) << 14 | (int64_t)p[3] << 7 | p[4] >> 1;
}


/* Sound a TS may carry that an MP4 export does not (it copies AAC in ADTS). */
static const char *
audio_type_name(int type)
{
	switch (type) {
	case 0x03:
	case 0x04:
		return "MPEG audio (MP2/MP3)";
	case 0x11:
		return "AAC in LATM";
	case 0x81:
		return "AC-3";
	case 0x87:
		return "E-AC-3";
	case 0x90:
		return "G.711";
	default:
		return NULL;
	}
}

/*
 * The sound codec a private stream (stream_type 0x06, as DVB muxes Opus,
 * AC-3 and the like) says it carries in its ES descriptors d[0..n); NULL
 * for none (subtitles, teletext, data).
 */
static const char *
private_audio_name(const uint8_t *d, size_t n)
{
	static const struct {
		char		 id[5];		/* registration format identifier */
		const char	*name;
	} regs[] = {
		{ "Opus", "Opus" }, { "AC-3", "AC-3" }, { "EAC3", "E-AC-3" },
		{ "DTS1", "DTS" }, { "DTS2", "DTS" }, { "DTS3", "DTS" },
		{ "BSSD", "LPCM (SMPTE 302M)" },
	};

	for (size_t i = 0; i + 2 <= n && i + 2 + d[i + 1] <= n; i += 2 + (size_t)d[i + 1]) {
		const uint8_t *v = d + i + 2;
		size_t len = d[i + 1];

		switch (d[i]) {
		case 0x05:		/* registration */
			for (size_t k = 0; len >= 4 && k < nitems(regs); k++)
				if (memcmp(v, regs[k].id, 4) == 0)
					return regs[k].name;
			break;
		case 0x6a:		/* DVB's AC-3, enhanced AC-3, DTS, AAC */
			return "AC-3";
		case 0x7a:
			return "E-AC-3";
		case 0x7b:
			return "DTS";
		case 0x7c:
			return "AAC in a private stream";
		case 0x7f:		/* DVB extension: 0x80 is Opus */
			if (len >= 1 && v[0] == 0x80)
				return "Opus";
			break;
		default:
			break;
		}
	}
	return NULL;
}

/* Parse a PES header at the start of a payload; bytes of header or 0. */
static size_t
pes_header(struct ts *t, struct es *e, const uint8_t *p, size_t n)
{
	size_t hl;

	e->pts = e->dts = INT64_MIN;
	if (n < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1)
		return 0;
	e->pes_len = (size_t)p[4] << 8 | p[5];
	hl = 9 + (size_t)p[8];
	if (hl > n || (e->pes_len != 0 && e->pes_len < hl - 6))
		return 0;
	if (e->pes_len != 0)
		e->pes_len -= hl - 6;
	if ((p[7] & 0x80) && hl >= 14)
		e->pts = unwrap(t, read_ts(p + 9));
	if ((p[7] & 0xc0) == 0xc0 && hl >= 19)
		e->dts = unwrap(t, read_ts(p + 14));
	if (e->dts == INT64_MIN)
		e->dts = e->pts;
	return hl;
}

static void
psi(struct ts *t, const uint8_t *p, size_t n, int pid)
{
	size_t sl, pos;
	int vpid = -1, vtype = 0, apid = -1;
	const char *other_audio = NULL;

	if (n < 1 || (size_t)p[0] + 1 > n)
		return;
	n -= (size_t)p[0] + 1;
	p += p[0] + 1;
	if (n < 12)
		return;
	sl = ((size_t)(p[1] & 0x0f) << 8 | p[2]) + 3;
	if (sl > n || sl < 12)
		return;
	if (pid == 0 && p[0] == 0) {		/* PAT: the first real program */
		for (pos = 8; pos + 4 <= sl - 4; pos += 4)
			if ((p[pos] | p[pos + 1]) != 0) {
				t->pmt_pid = (p[pos + 2] & 0x1f) << 8 | p[pos + 3];
				return;
			}
		return;
	}
	if (pid != t->pmt_pid || p[0] != 2)
		return;
	pos = 12 + ((size_t)(p[10] & 0x0f) << 8 | p[11]);
	while (pos + 5 <= sl - 4) {
		int type = p[pos], epid = (p[pos + 1] & 0x1f) << 8 | p[pos + 2];
		size_t eil = (size_t)(p[pos + 3] & 0x0f) << 8 | p[pos + 4];

		if (vpid == -1 && (type == STREAM_TYPE_H264 || type == STREAM_TYPE_HEVC)) {
			vpid = epid;
			vtype = type;
		} else if (apid == -1 && type == STREAM_TYPE_AAC_ADTS)
			apid = epid;
		else if (type == 0x01 || type == 0x02 || type == 0x10 || type == 0x42 ||
		    type == 0xd1 || type == 0xea)
			t->other_video = 1;
		else if (other_audio == NULL && type == 0x06)
			other_audio = private_audio_name(p + pos + 5,
			    pos + 5 + eil <= sl - 4 ? eil : sl - 4 - (pos + 5));
		else if (other_audio == NULL)
			other_audio = audio_type_name(type);
		pos += 5 + eil;
	}
	t->other_audio = apid == -1 ? other_audio : NULL;
	if (vpid != t->v.pid || vtype != t->v.type) {
		memset(&t->v, 0, sizeof(t->v));
		t->v.pid = vpid;
		t->v.type = vtype;
		t->v.cc = -1;
		t->vcodec = vtype == STREAM_TYPE_HEVC ? CODEC_HEVC : CODEC_H264;
		t->vused = 0;
		t->need_key = 1;
	}
	if (apid != t->a.pid) {
		memset(&t->a, 0, sizeof(t->a));
		t->a.pid = apid;
		t->a.cc = -1;
		t->alen = t->apart = t->astart = 0;	/* apart <= alen, always */
	}
}

/* Parameter sets found in the access unit: a new configuration if they differ. */
static void
video_params(struct ts *t, const uint8_t *au)
{
	const uint8_t *nals[16];
	size_t lens[16], k = 0;

	for (size_t i = 0; i < t->nals.n && k < 16; i++) {
		const uint8_t *nal = au + t->nals.v[i].off;

		if (nal_param_kind(t->vcodec, nal_type(t->vcodec, nal)) != 0) {
			nals[k] = nal;
			lens[k++] = t->nals.v[i].len;
		}
	}
	if (k == 0 || codec_config_from_params(&t->tmpcfg, t->vcodec, nals, lens, k) == -1)
		return;
	if (!t->have_vcfg || t->tmpcfg.reclen != t->vcfg.reclen ||
	    memcmp(t->tmpcfg.rec, t->vcfg.rec, t->vcfg.reclen) != 0)
		t->vcfg = t->tmpcfg;
	t->have_vcfg = 1;
}

/* The open video PES is complete: make it a sample, or keep or drop it. */
static int
video_finish(struct ts *t)
{
	struct es *e = &t->v;
	int vcl = 0, key = 0;
	size_t size;

	e->open = 0;
	if (e->damaged) {
		t->vused = 0;
		t->need_key = 1;
		return 0;
	}
	if (nal_split_annexb(t->room, t->vused, &t->nals) == -1)
		return -1;
	for (size_t i = 0; i < t->nals.n; i++) {
		int type = nal_type(t->vcodec, t->room + t->nals.v[i].off);

		if (nal_is_vcl(t->vcodec, type)) {
			if (!vcl)
				key = nal_is_key(t->vcodec, type);
			vcl = 1;
		}
	}
	if (!vcl)
		return 0;	/* parameter sets alone: they open the next picture */
	if (key)
		video_params(t, t->room);
	if ((t->need_key && !key) || !t->have_vcfg) {
		t->vused = 0;
		return 0;
	}
	/* No time of its own and none before it to go on from: dropped, and
	 * the pictures that depend on it. */
	if (e->dts == INT64_MIN && t->last_vdts == INT64_MIN) {
		t->vused = 0;
		t->need_key = 1;
		return 0;
	}
	t->need_key = 0;
	size = nal_lp_size(&t->nals);
	if ((t->room = t->sink.room(t->sink.ctx, t->vused, size)) == NULL)
		return -1;
	t->vcap = size;
	if (nal_annexb_to_lp(t->room, t->vused, &t->nals, &t->scratch, &t->scratch_cap) == -1)
		return -1;
	if (e->dts == INT64_MIN) {	/* no timestamps: the next frame time */
		e->dts = t->last_vdts + t->last_vdur;
		e->pts = e->dts;
	}
	if (t->last_vdts != INT64_MIN && e->dts > t->last_vdts)
		t->last_vdur = e->dts - t->last_vdts;
	t->last_vdts = e->dts;
	t->vready = (struct demux_sample){ .track = TRACK_VIDEO, .dts = e->dts, .pts = e->pts,
	    .key = key, .data = t->room, .size = size, .cfg = &t->vcfg };
	t->has_vready = 1;
	t->vused = 0;
	return 0;
}

/* Split the gathered audio into ADTS frames, keeping a partial one. */
static void
audio_finish(struct ts *t)
{
	struct es *e = &t->a;
	size_t pos = 0;
	int first = 1;
	struct adts h;

	e->open = 0;
	t->an = t->anext = 0;
	if (e->damaged) {
		t->alen = t->apart = 0;
		return;
	}
	while (pos + 7 <= t->alen) {
		if (!codec_adts_header(t->abuf + pos, t->alen - pos, &h)) {
			if (!t->warned_adts++)
				log_warnx("segment '%s': bad AAC frame header, skipping to "
				    "the next one", t->path);
			pos++;
			continue;
		}
		if (pos + h.frame > t->alen)
			break;
		codec_config_from_adts(&t->atmp, &h);
		if (!t->have_acfg || memcmp(t->atmp.rec, t->acfg.rec, 2) != 0)
			t->acfg = t->atmp;
		t->have_acfg = 1;
		if (first && pos >= t->astart) {
			/* the PES time is the first frame's that starts in it */
			if (e->pts != INT64_MIN) {
				t->aclock = e->pts;
				t->aclock_n = 0;
			}
			first = 0;
		}
		if (t->aclock != INT64_MIN && t->an < t->acap) {
			t->aq[t->an++] = (struct aframe){ pos, h.header, h.frame,
			    t->aclock + t->aclock_n * AAC_FRAME * 90000 /
			    t->acfg.sample_rate };
			t->aclock_n++;
		}
		pos += h.frame;
	}
	t->apart = pos;
}

static void
es_damage(struct ts *t)
{
	if (t->v.open)
		t->v.damaged = 1;
	if (t->a.open)
		t->a.damaged = 1;
}

/* The next 188-byte packet: 1, 0 at the end, -1 on a read error. */
static int
next_packet(struct ts *t, const uint8_t **pp)
{
	for (;;) {
		const uint8_t *p;

		if (t->off + TS_PACKET > t->len) {
			size_t rem = t->len - t->off;

			if (t->eof)
				return 0;
			memmove(t->buf, t->buf + t->off, rem);
			t->len = rem;
			t->off = 0;
			/* Whatever one read brings (a full buffer from a local
			 * disk): a slow one must not delay the cancel check. */
			while (t->len < TS_PACKET && !t->eof) {
				ssize_t r = read(t->fd, t->buf + t->len, READ_PKTS * TS_PACKET - t->len);

				if (r == -1 && errno == EINTR)
					continue;
				if (r == -1) {
					log_warn("cannot read segment '%s'", t->path);
					return -1;
				}
				if (r == 0)
					t->eof = 1;
				t->len += (size_t)r;
				t->pos += (uint64_t)r;
			}
			continue;
		}
		p = t->buf + t->off;
		if (p[0] == TS_SYNC) {
			t->off += TS_PACKET;
			*pp = p;
			return 1;
		}
		/* lost sync: the next sync byte followed by another a packet later */
		if (!t->warned_sync++)
			log_warnx("segment '%s' is damaged near byte %llu; skipping to the "
			    "next keyframe", t->path,
			    (unsigned long long)(t->pos - (t->len - t->off)));
		es_damage(t);
		t->off++;
		while (t->off < t->len && (t->buf[t->off] != TS_SYNC ||
		    (t->off + TS_PACKET < t->len && t->buf[t->off + TS_PACKET] != TS_SYNC)))
			t->off++;
	}
}

/* An adaptation field longer than its flagged fields is padding: the
 * muxer shortened the packet because the PES ended in it. */
static int
af_padded(const uint8_t *af, size_t len)
{
	size_t need = 1;
	uint8_t f;

	if (len == 0)
		return 1;
	f = af[0];
	need += (f & 0x10 ? 6 : 0) + (f & 0x08 ? 6 : 0) + (f & 0x04 ? 1 : 0);
	if ((f & 0x02) && need < len)
		need += 1 + af[need];
	if ((f & 0x01) && need < len)
		need += 1 + af[need];
	return len > need;
}

/*
 * Payload copies are always PAYLOAD bytes long: a constant size compiles to
 * a few vector moves, where a variable one became a slow "rep movs". The
 * bytes past n are junk that the next copy overwrites; buffers have room.
 */
static int
video_append(struct ts *t, const uint8_t *p, size_t n)
{
	if (t->vused + PAYLOAD > t->vcap) {
		if (t->vused > (64u << 20)) {	/* no picture is this big */
			t->v.damaged = 1;
			return 0;
		}
		t->room = t->sink.room(t->sink.ctx, t->vused, t->vused + VIDEO_STEP);
		if (t->room == NULL)
			return -1;
		t->vcap = t->vused + VIDEO_STEP;
	}
	memcpy(t->room + t->vused, p, PAYLOAD);
	t->vused += n;
	return 0;
}

static void
audio_append(struct ts *t, const uint8_t *p, size_t n)
{
	if (t->alen + PAYLOAD > AUDIO_MAX) {
		t->a.damaged = 1;
		return;
	}
	memcpy(t->abuf + t->alen, p, PAYLOAD);
	t->alen += n;
}

/* What packet() did with a transport packet. */
enum packet_rc {
	PACKET_DONE,
	PACKET_AGAIN,	/* it starts a PES while finished samples wait:
			 * process it again once they are out */
	PACKET_FATAL,
};

static enum packet_rc
packet(struct ts *t, const uint8_t *p)
{
	int pid = (p[1] & 0x1f) << 8 | p[2], pusi = p[1] & 0x40, afc = p[3] >> 4 & 3;
	int cc = p[3] & 0x0f, padded = 0;
	size_t off = 4, n, hl;
	struct es *e;

	if (afc & 2) {
		off = 5 + (size_t)p[4];
		if (off > TS_PACKET)
			return PACKET_DONE;
		padded = af_padded(p + 5, p[4]);
	}
	if (!(afc & 1))
		return PACKET_DONE;
	n = TS_PACKET - off;
	if (pid == 0 || pid == t->pmt_pid) {
		if (pusi)
			psi(t, p + off, n, pid);
		return PACKET_DONE;
	}
	e = pid == t->v.pid ? &t->v : pid == t->a.pid ? &t->a : NULL;
	if (e == NULL)
		return PACKET_DONE;
	if (pusi && e->open) {
		if (e == &t->v) {
			if (video_finish(t) == -1)
				return PACKET_FATAL;
			if (t->has_vready)
				return PACKET_AGAIN;
		} else {
			audio_finish(t);
			if (t->an > 0)
				return PACKET_AGAIN;
		}
	}
	if (p[1] & 0x80)
		e->damaged = 1;			/* transport_error_indicator */
	if (e->cc != -1) {
		if (cc == e->cc)
			return PACKET_DONE;	/* a repeated packet */
		if (cc != ((e->cc + 1) & 0x0f) && e->open)
			e->damaged = 1;
	}
	e->cc = cc;
	if (pusi) {
		hl = pes_header(t, e, p + off, n);
		e->open = 1;
		e->damaged = hl == 0 || (p[1] & 0x80);
		e->got = 0;
		off += hl;
		n -= hl;
		if (e == &t->a) {	/* frames are out: keep only the partial one */
			memmove(t->abuf, t->abuf + t->apart, t->alen - t->apart);
			t->alen -= t->apart;
			t->apart = 0;
			t->astart = t->alen;
		}
	} else if (!e->open)
		return PACKET_DONE;
	e->padded = padded;
	e->got += n;
	if (e == &t->v)
		return video_append(t, p + off, n) == -1 ? PACKET_FATAL : PACKET_DONE;
	audio_append(t, p + off, n);
	return PACKET_DONE;
}

/* End of file: finish what is open, unless the file was cut inside it. */
static int
ts_eof(struct ts *t)
{
	t->eof_done = 1;
	if (t->v.open) {
		int cut = t->size % TS_PACKET != 0 ||
		    (t->v.pes_len != 0 ? t->v.got < t->v.pes_len : !t->v.padded);

		if (cut) {
			log_warnx("segment '%s' ends inside a picture (cut short); "
			    "dropped that picture", t->path);
			t->truncated = 1;
			t->v.open = 0;
		} else if (video_finish(t) == -1)
			return -1;
	}
	if (t->a.open)
		audio_finish(t);
	return 0;
}

static int
ts_read(void *r, struct demux_sample *s)
{
	struct ts *t = r;
	const uint8_t *p;
	int rc;

	/* the caller may move the sink between calls */
	t->vcap = 0;
	for (;;) {
		if (t->anext < t->an) {
			struct aframe *f = &t->aq[t->anext++];

			*s = (struct demux_sample){ .track = TRACK_AUDIO, .dts = f->ts, .pts = f->ts,
			    .key = 1, .data = t->abuf + f->off + f->hdr,
			    .size = f->len - f->hdr, .cfg = &t->acfg };
			return 1;
		}
		if (t->has_vready) {
			*s = t->vready;
			t->has_vready = 0;
			return 1;
		}
		if (t->held != NULL) {
			p = t->held;
			t->held = NULL;
		} else if ((rc = next_packet(t, &p)) <= 0) {
			if (rc == -1)
				return -1;
			if (t->eof_done)
				return 0;
			if (ts_eof(t) == -1)
				return -1;
			continue;
		}
		switch (packet(t, p)) {
		case PACKET_FATAL:
			return -1;
		case PACKET_AGAIN:
			t->held = p;
			break;
		case PACKET_DONE:
			break;
		}
	}
}

static void
ts_close(void *r)
{
	struct ts *t = r;

	if (t == NULL)
		return;
	free(t->buf);
	free(t->abuf);
	free(t->aq);
	free(t->scratch);
	nal_list_release(&t->nals);
	free(t);
}

static uint32_t
ts_timescale(const void *r, int track)
{
	const struct ts *t = r;

	return (track == TRACK_VIDEO ? t->v.pid : t->a.pid) >= 0 ? 90000 : 0;
}

static uint64_t
ts_pos(const void *r)
{
	const struct ts *t = r;

	return t->pos - (t->len - t->off);
}

static int
ts_truncated(const void *r)
{
	return ((const struct ts *)r)->truncated;
}

/* Read the program tables from the first packets, so that the streams
 * are known at once; -1 if the program's video is in a codec we do not copy. */
static int
ts_probe(struct ts *t)
{
	ssize_t n;

	do
		n = pread(t->fd, t->buf, READ_PKTS * TS_PACKET, 0);
	while (n == -1 && errno == EINTR);
	for (ssize_t off = 0; off + TS_PACKET <= n && t->v.pid == -1; off += TS_PACKET) {
		const uint8_t *p = t->buf + off;
		int pid = (p[1] & 0x1f) << 8 | p[2];
		size_t o = 4;

		if (p[0] != TS_SYNC || !(p[1] & 0x40) || !(p[3] & 0x10))
			continue;
		if (p[3] & 0x20)
			o = 5 + (size_t)p[4];
		if (o < TS_PACKET && (pid == 0 || pid == t->pmt_pid))
			psi(t, p + o, TS_PACKET - o, pid);
	}
	return t->v.pid == -1 && t->other_video ? -1 : 0;
}

static const char *
ts_sound_left_out(const void *rp)
{
	return ((const struct ts *)rp)->other_audio;
}

static const struct demux_ops ts_ops = {
	ts_read, ts_close, ts_timescale, ts_pos, ts_truncated, ts_sound_left_out,
};

void *
demux_ts_open(int fd, uint64_t size, const char *path, struct demux_sink sink,
    const struct demux_ops **ops, int *unsupported)
{
	struct ts *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = fd;
	t->path = path;
	t->size = size;
	t->sink = sink;
	t->pmt_pid = -1;
	t->v.pid = t->a.pid = -1;
	t->v.cc = t->a.cc = -1;
	t->ref = INT64_MIN;
	t->aclock = INT64_MIN;
	t->last_vdts = INT64_MIN;
	t->need_key = 1;
	t->acap = 512;
	if ((t->buf = malloc(READ_PKTS * TS_PACKET + PAYLOAD)) == NULL ||
	    (t->abuf = malloc(AUDIO_MAX)) == NULL ||
	    (t->aq = calloc(t->acap, sizeof(*t->aq))) == NULL) {
		ts_close(t);
		return NULL;
	}
	if (ts_probe(t) == -1) {
		*unsupported = 1;
		log_warnx("segment '%s': its video is in a codec we cannot copy to MP4",
		    path);
		ts_close(t);
		return NULL;
	}
	*ops = &ts_ops;
	return t;
}
