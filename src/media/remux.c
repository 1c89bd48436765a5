/*
 * The remux engine: recorded segments, read through demux.h, -> one MP4
 * written by mp4w.
 *
 * Timeline: a sample's wall time is its segment's start_us plus its pts
 * relative to the segment's first video pts. The output starts at the
 * keyframe at or before from_us with output time 0 at from_us: the lead-in
 * has negative times, which the edit list hides. Each later segment goes on
 * where the previous one's video ended, so gaps vanish from the timeline
 * and show only in the coverage. Output video ticks are 90 kHz, audio
 * ticks its sample rate; audio frames that sit within half a frame of the
 * previous one's end are snapped to it, so joins stay seamless.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "mp4w.h"
#include "codec.h"
#include "remux.h"
#include "demux.h"
#include "lib/util.h"
#include "lib/banned.h"

#define VTS		90000		/* output video timescale */
#define AAC_FRAME	1024
#define MERGE_US	USEC_PER_SEC		/* coverage pieces closer than this merge */
#define PROGRESS_US	250000		/* at most four progress calls a second */
#define CANCEL_US	20000		/* how often cancelled() is asked */
#define PEND_MAX	512		/* audio frames waiting for the video */
#define OVERLAP_US	20000		/* footage this much before the end is a repeat */

struct pend {			/* an audio frame before its segment's video starts */
	int64_t		 dts;		/* input ticks */
	size_t		 size;
	uint8_t		*data;
};

/* The segment being read. */
struct seg {
	const struct remux_segment *seg;
	struct demux	*in;
	uint32_t	 vts, ats;	/* input timescales */
	int		 have_base;
	int64_t		 base;		/* first video pts, input video ticks */
	int		 live;		/* samples go out */
	int64_t		 last_in_dts;	/* video, input ticks */
	int64_t		 first_wall, end_wall;	/* coverage piece */
	int		 vdone, adone;
	struct pend	 pend[PEND_MAX];
	size_t		 npend;
};

struct rx {
	const struct remux_job *job;
	struct remux_result *res;
	struct mp4w	*w;
	int		 begun;		/* moov space reserved */
	int		 started;	/* output has its first keyframe */
	int		 leadin;	/* ...kept only if the video reaches from_us */
	int		 done, stop, cancel;
	int		 audio;		/* the output has an audio track */
	int		 have_acfg;
	struct codec_config vcfg, acfg;	/* the output's sample descriptions */
	int64_t		 start_wall;	/* wall time of output time 0 */
	int64_t		 wall_end;	/* wall time where the footage written ends */
	int64_t		 off;		/* this segment: out = off + (ts - base), 90 kHz */
	int64_t		 vlast, vdur;	/* last video dts out, its duration */
	int64_t		 vend;		/* presentation end, 90 kHz */
	int64_t		 aend;		/* end of the last audio frame, audio ticks */
	int64_t		 afirst;	/* first audio dts */
	int64_t		 bytes_total, bytes_done;
	int64_t		 last_progress, last_poll;
	size_t		 nbad, nunsupported;
	const char	*sound_left_out;	/* a codec of sound not carried */
	uint64_t	 reserve;
	struct seg	 s;
	uint8_t		 inject[CODEC_CONFIG_MAX];
};

static void
res_set(struct remux_result *res, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
res_set(struct remux_result *res, const char *code, const char *fmt, ...)
{
	va_list ap;

	snprintf(res->code, sizeof(res->code), "%s", code);
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* v * num / den, rounded to nearest, without overflow. */
static int64_t
rescale(int64_t v, int64_t num, int64_t den)
{
	__int128 x;

	if (num == den)
		return v;
	if (v > -(INT64_C(1) << 31) && v < (INT64_C(1) << 31) && num < (INT64_C(1) << 31))
		x = v * num;	/* the common case fits: no 128-bit division */
	else
		x = (__int128)v * num;
	if (x >= INT64_MIN / 2 && x <= INT64_MAX / 2) {
		int64_t y = (int64_t)x;

		return y >= 0 ? (y + den / 2) / den : -((-y + den / 2) / den);
	}
	return (int64_t)(x >= 0 ? (x + den / 2) / den : -((-x + den / 2) / den));
}

static int
coverage_add(struct remux_result *res, int64_t from, int64_t to)
{
	int64_t (*c)[2];

	if (to <= from)
		return 0;
	if (res->ncoverage > 0) {
		int64_t *last = res->coverage[res->ncoverage - 1];

		if (from - last[1] < MERGE_US) {
			if (to > last[1])
				last[1] = to;
			return 0;
		}
	}
	if ((c = reallocarray(res->coverage, res->ncoverage + 1, sizeof(*c))) == NULL)
		return -1;
	res->coverage = c;
	res->coverage[res->ncoverage][0] = from;
	res->coverage[res->ncoverage][1] = to;
	res->ncoverage++;
	return 0;
}

static int
rx_cancelled(struct rx *rx)
{
	int64_t now;

	if (rx->cancel || rx->job->cancelled == NULL)
		return rx->cancel;
	now = mono_us();
	if (now - rx->last_poll < CANCEL_US)
		return 0;
	rx->last_poll = now;
	if (rx->job->cancelled(rx->job->arg))
		rx->cancel = 1;
	return rx->cancel;
}

static void
rx_progress(struct rx *rx, int64_t pos, int final)
{
	int64_t now, done;

	if (rx->job->progress == NULL)
		return;
	now = mono_us();
	if (!final && now - rx->last_progress < PROGRESS_US)
		return;
	rx->last_progress = now;
	done = final ? rx->bytes_total : rx->bytes_done + pos;
	if (done > rx->bytes_total)
		done = rx->bytes_total;
	if (rx->job->progress(rx->job->arg, done, rx->bytes_total) != 0)
		rx->cancel = 1;
}

static int64_t
seg_bytes(const struct remux_segment *seg)
{
	struct stat st;

	if (seg->bytes > 0)
		return seg->bytes;
	return stat(seg->path, &st) == 0 ? st.st_size : 0;
}

/* The input bytes an export reads: whole segments, the last one up to to_us. */
static int64_t
job_bytes(const struct remux_job *job)
{
	int64_t total = 0;

	for (size_t i = 0; i < job->nsegs; i++) {
		const struct remux_segment *s = &job->segs[i];
		int64_t b = seg_bytes(s);

		if (s->end_us > s->start_us && job->to_us < s->end_us &&
		    job->to_us > s->start_us)
			b = (int64_t)((double)b * (double)(job->to_us - s->start_us) /
			    (double)(s->end_us - s->start_us));
		total += b;
	}
	return total;
}

static uint8_t *
sink_room(void *ctx, size_t used, size_t need)
{
	return mp4w_room(ctx, used, need);
}

/* For a reader blocked inside libavformat. */
static int
seg_cancelled(void *arg)
{
	return rx_cancelled(arg);
}

/* Microseconds of input ticks ts (timescale tsc) after the segment's base. */
static int64_t
rel_us(const struct seg *s, int64_t ts, uint32_t tsc)
{
	return rescale(ts, USEC_PER_SEC, tsc) - rescale(s->base, USEC_PER_SEC, s->vts);
}

static int64_t
wall_of(const struct seg *s, int64_t ts, uint32_t tsc)
{
	return s->seg->start_us + rel_us(s, ts, tsc);
}

/* Output video ticks of input video ticks. */
static int64_t
vout(const struct rx *rx, int64_t ts)
{
	return rx->off + rescale(ts - rx->s.base, VTS, rx->s.vts);
}

static void
fmt_wall(int64_t us, char *buf, size_t len)
{
	time_t t = (time_t)(us / USEC_PER_SEC);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)us);
}

/* Keep what came before a change the output cannot carry. */
static void
stream_changed(struct rx *rx, int64_t wall, const char *why)
{
	char when[40];

	fmt_wall(wall, when, sizeof(when));
	res_set(rx->res, REMUX_STREAM_CHANGED, "the recording changed at %s (%s, "
	    "in '%s'); the archive ends there", when, why, rx->s.seg->path);
	log_warnx("export stops at %s: %s in '%s'", when, why, rx->s.seg->path);
	rx->stop = 1;
}

/* Put an audio frame out, or hold it until its segment's video is live. */
static int
audio_sample(struct rx *rx, int64_t dts, const uint8_t *data, size_t size,
    const struct codec_config *cfg)
{
	struct seg *s = &rx->s;
	int64_t wall, t;
	char why[128];

	if (!s->have_base || !s->live || rx->leadin) {
		struct pend *p;

		if (s->npend == PEND_MAX) {	/* no video for a long while */
			free(s->pend[0].data);
			memmove(s->pend, s->pend + 1, (PEND_MAX - 1) * sizeof(*p));
			s->npend--;
		}
		p = &s->pend[s->npend];
		if ((p->data = malloc(size)) == NULL)
			return -1;
		memcpy(p->data, data, size);
		p->size = size;
		p->dts = dts;
		s->npend++;
		return 0;
	}
	if (!rx->audio)
		return 0;
	wall = wall_of(s, dts, s->ats);
	if (wall >= rx->job->to_us) {
		s->adone = 1;
		return 0;
	}
	if (!rx->have_acfg) {
		rx->acfg = *cfg;
		if (mp4w_track(rx->w, TRACK_AUDIO, cfg, (uint32_t)cfg->sample_rate) == -1)
			return -1;
		rx->have_acfg = 1;
	} else if (memcmp(cfg->rec, rx->acfg.rec, rx->acfg.reclen) != 0 &&
	    !codec_config_compatible(&rx->acfg, cfg, why, sizeof(why))) {
		stream_changed(rx, wall, why);
		return 0;
	}
	if (wall + AAC_FRAME * USEC_PER_SEC / cfg->sample_rate <= rx->start_wall)
		return 0;	/* ends before the export starts */
	t = rescale(rx->off, rx->acfg.sample_rate, VTS) +
	    rescale(dts, rx->acfg.sample_rate, s->ats) -
	    rescale(s->base, rx->acfg.sample_rate, s->vts);
	if (rx->aend != INT64_MIN) {
		if (llabs(t - rx->aend) <= AAC_FRAME / 2)
			t = rx->aend;		/* seamless */
		else if (t < rx->aend)
			return 0;		/* overlaps the previous segment */
	}
	if (mp4w_put_audio(rx->w, data, size, t) == -1)
		return -1;
	if (rx->afirst == INT64_MIN)
		rx->afirst = t;
	rx->aend = t + AAC_FRAME;
	return 0;
}

static int
pend_drain(struct rx *rx, const struct codec_config *acfg)
{
	struct seg *s = &rx->s;
	int ret = 0;

	for (size_t i = 0; i < s->npend; i++) {
		if (ret == 0 && acfg != NULL && !rx->stop)
			ret = audio_sample(rx, s->pend[i].dts, s->pend[i].data,
			    s->pend[i].size, acfg);
		free(s->pend[i].data);
	}
	s->npend = 0;
	return ret;
}

/* Write one video sample; the offset of its segment is fixed. */
static int
video_write(struct rx *rx, struct demux_sample *smp, int64_t wall)
{
	struct seg *s = &rx->s;
	int64_t dts = vout(rx, smp->dts), pts = vout(rx, smp->pts), dur, end, cap;
	size_t size = smp->size;

	if (rx->vlast != INT64_MIN && dts <= rx->vlast)
		return 0;	/* out of order input: not decodable in MP4 */
	if (smp->key && smp->params_out_of_band && (smp->cfg->reclen != rx->vcfg.reclen ||
	    memcmp(smp->cfg->rec, rx->vcfg.rec, rx->vcfg.reclen) != 0)) {
		/* other parameter sets than the sample description's: in band */
		size_t n = codec_config_params_lp(smp->cfg, rx->inject, sizeof(rx->inject));
		uint8_t *p = mp4w_room(rx->w, size, size + n);

		if (p == NULL)
			return -1;
		memmove(p + n, p, size);
		memcpy(p, rx->inject, n);
		size += n;
	}
	if (mp4w_put_video(rx->w, size, dts, pts, smp->key) == -1)
		return -1;
	if (rx->vlast != INT64_MIN)
		rx->vdur = dts - rx->vlast;
	rx->vlast = dts;
	dur = rx->vdur > 0 ? rx->vdur : VTS / 25;
	/* output time of to_us: no picture shows past it */
	cap = rx->off + rescale(rx->job->to_us - s->seg->start_us, VTS, USEC_PER_SEC);
	end = pts + dur < cap ? pts + dur : cap;
	if (end > rx->vend)
		rx->vend = end;
	end = wall + rescale(dur, USEC_PER_SEC, VTS);
	if (end > rx->job->to_us)
		end = rx->job->to_us;
	if (end > s->end_wall)
		s->end_wall = end;
	if (end > rx->wall_end)
		rx->wall_end = end;
	s->last_in_dts = smp->dts;
	return 0;
}

/* The first keyframe of the export: sample descriptions, output time 0. */
static int
out_start(struct rx *rx, struct demux_sample *smp, int64_t wall)
{
	struct seg *s = &rx->s;

	if (!rx->begun) {
		if (mp4w_begin(rx->w, rx->reserve) == -1)
			return -1;
		rx->begun = 1;
	}
	if (!rx->vcfg.codec) {
		rx->vcfg = *smp->cfg;
		rx->audio = s->ats != 0;
		if (mp4w_track(rx->w, TRACK_VIDEO, &rx->vcfg, VTS) == -1)
			return -1;
	}
	/* from_us inside this GOP: a lead-in, final once the video reaches it */
	rx->leadin = wall <= rx->job->from_us;
	rx->start_wall = rx->leadin ? rx->job->from_us : wall;
	rx->off = rescale(s->seg->start_us - rx->start_wall, VTS, USEC_PER_SEC);
	rx->started = 1;
	return 0;
}

/* Forget what was written: a lead-in that never reached from_us. */
static int
out_restart(struct rx *rx, size_t keep)
{
	if (mp4w_reset(rx->w, keep) == -1)
		return -1;
	rx->started = rx->leadin = 0;
	rx->vlast = rx->aend = rx->afirst = INT64_MIN;
	rx->vdur = rx->vend = 0;
	rx->wall_end = INT64_MIN;
	return 0;
}

static int
video_sample(struct rx *rx, struct demux_sample *smp)
{
	struct seg *s = &rx->s;
	int64_t wall, dwall;
	char why[128];

	if (!s->have_base) {
		s->base = smp->pts;
		s->have_base = 1;
	}
	wall = wall_of(s, smp->pts, s->vts);
	dwall = wall_of(s, smp->dts, s->vts);
	if (dwall >= rx->job->to_us) {
		s->vdone = 1;
		return 0;
	}
	if (rx->vcfg.codec && smp->key &&
	    !codec_config_compatible(&rx->vcfg, smp->cfg, why, sizeof(why))) {
		stream_changed(rx, wall, why);
		return 0;
	}
	if (!s->live) {
		if (!smp->key)
			return 0;	/* a piece starts with a keyframe */
		/* segments that overlap in time (a duplicate in the index):
		 * only what comes after the footage already written */
		if (rx->started && !rx->leadin && wall < rx->wall_end - OVERLAP_US)
			return 0;
		if (rx->leadin && out_restart(rx, smp->size) == -1)
			return -1;
		if (!rx->started) {
			if (out_start(rx, smp, wall) == -1)
				return -1;
			s->first_wall = rx->start_wall;
		} else {
			/* (audio that comes or goes is no reason to stop: the
			 * sound track has a gap, or new sound is left out) */
			/* go on where the previous piece's video ended */
			rx->off = rx->vlast + (rx->vdur > 0 ? rx->vdur : VTS / 25) -
			    rescale(smp->dts - s->base, VTS, s->vts);
			s->first_wall = wall;
		}
		s->live = 1;
	} else if (rx->leadin && smp->key && wall <= rx->job->from_us) {
		/* a later keyframe still at or before from_us: start there */
		if (out_restart(rx, smp->size) == -1 || out_start(rx, smp, wall) == -1)
			return -1;
		s->first_wall = rx->start_wall;
	} else if (smp->dts <= s->last_in_dts)
		return 0;
	if (video_write(rx, smp, wall) == -1)
		return -1;
	if (rx->leadin && wall >= rx->job->from_us)
		rx->leadin = 0;
	return 0;
}

/* Copy one segment's samples in range; -1 only for job-fatal errors. */
static int
seg_run(struct rx *rx, const struct remux_segment *seg)
{
	struct seg *s = &rx->s;
	struct demux_sink sink = { sink_room, rx->w };
	struct demux_sample smp;
	const struct codec_config *acfg = NULL;
	uint32_t *tsc;
	int unsupported, r, ret = -1;

	memset(s, 0, sizeof(*s));
	s->seg = seg;
	s->last_in_dts = INT64_MIN;
	s->end_wall = INT64_MIN;
	if ((s->in = demux_open_job(seg->path, sink, seg_cancelled, rx,
	    &unsupported)) == NULL) {
		rx->nbad++;
		rx->nunsupported += unsupported;
		ret = 0;
		goto out;
	}
	s->vts = demux_timescale(s->in, TRACK_VIDEO);
	s->ats = demux_timescale(s->in, TRACK_AUDIO);
	while (!rx->stop && !rx_cancelled(rx)) {
		if ((r = demux_read(s->in, &smp)) <= 0) {
			if (r == -1)
				log_warnx("keeping what was read of segment '%s'", seg->path);
			break;
		}
		/* A stream found after the open (a damaged TS whose program map
		 * comes late) has its timescale only now; none: not ours. */
		tsc = smp.track == TRACK_AUDIO ? &s->ats : &s->vts;
		if (*tsc == 0 && (*tsc = demux_timescale(s->in, smp.track)) == 0)
			continue;
		if (smp.track == TRACK_AUDIO) {
			acfg = smp.cfg;
			r = audio_sample(rx, smp.dts, smp.data, smp.size, smp.cfg);
		} else
			r = video_sample(rx, &smp);
		if (r == -1)
			goto out;
		/* audio held for the video: now it can go */
		if (s->npend > 0 && s->live && !rx->leadin && pend_drain(rx, acfg) == -1)
			goto out;
		if (s->vdone && (!s->live || !rx->audio || s->ats == 0 || s->adone))
			break;
		rx_progress(rx, (int64_t)demux_pos(s->in), 0);
	}
	if (s->live && !rx->leadin && s->end_wall > s->first_wall &&
	    coverage_add(rx->res, s->first_wall, s->end_wall) == -1)
		goto out;
	if (s->vdone)
		rx->done = 1;
	if (s->live && rx->sound_left_out == NULL)
		rx->sound_left_out = demux_sound_left_out(s->in);
	ret = 0;
out:
	pend_drain(rx, NULL);
	rx->bytes_done += seg_bytes(seg);
	demux_close(s->in);
	s->in = NULL;
	return ret;
}

/* Growable memory for the samples read while planning. */
struct scratch {
	uint8_t		*p;
	size_t		 cap;
};

static uint8_t *
scratch_room(void *ctx, size_t used, size_t need)
{
	struct scratch *sc = ctx;
	uint8_t *p;

	(void)used;
	if (need <= sc->cap)
		return sc->p;
	if ((p = realloc(sc->p, need)) == NULL)
		return NULL;
	sc->p = p;
	sc->cap = need;
	return p;
}

/*
 * Bytes to reserve for moov: the range's recorded seconds times the index
 * bytes per second of the first readable segment's first seconds, with a
 * margin. Too little costs a second pass at the end, not a failure.
 */
static uint64_t
plan_reserve(const struct remux_job *job)
{
	struct scratch sc = { NULL, 0 };
	struct demux_sink sink = { scratch_room, &sc };
	double secs = 2, vps = 30, aps = 0, kps = 1, span;
	int ctts = 0, irregular = 0, unsupported;
	uint64_t nv, na, nk, nchunks, bytes;

	for (size_t i = 0; i < job->nsegs; i++) {
		const struct remux_segment *g = &job->segs[i];
		int64_t a = g->start_us > job->from_us ? g->start_us : job->from_us;
		int64_t b = g->end_us < job->to_us ? g->end_us : job->to_us;

		secs += g->end_us > g->start_us ? (b > a ? (double)(b - a) / USEC_PER_SEC : 0) :
		    (double)(job->to_us - job->from_us) / USEC_PER_SEC / (double)job->nsegs;
	}
	for (size_t i = 0; i < job->nsegs; i++) {
		struct demux *in = demux_open(job->segs[i].path, sink, &unsupported);
		struct demux_sample smp;
		int64_t first = INT64_MIN, last = 0, delta = 0;
		uint32_t vts;
		int n = 0, nvid = 0, naud = 0, nkey = 0;

		if (in == NULL)
			continue;
		vts = demux_timescale(in, TRACK_VIDEO);
		while (n++ < 600 && demux_read(in, &smp) == 1) {
			if (smp.track == TRACK_AUDIO) {
				naud++;
				continue;
			}
			if (first == INT64_MIN)
				first = smp.dts;
			else if (delta == 0)
				delta = smp.dts - last;
			else if (llabs(smp.dts - last - delta) > 1)
				irregular = 1;
			ctts |= smp.pts != smp.dts;
			nkey += smp.key;
			last = smp.dts;
			if (++nvid >= 150 || last - first >= 3 * (int64_t)vts)
				break;
		}
		demux_close(in);
		span = nvid > 1 && vts > 0 ? (double)(last - first) / vts : 0;
		if (span > 0) {
			vps = (nvid - 1) / span;
			aps = naud / span;
			kps = nkey / span + 0.5;
		}
		break;
	}
	free(sc.p);
	nv = (uint64_t)(secs * vps * 1.2) + 100;
	na = (uint64_t)(secs * aps * 1.2) + 100;
	nk = (uint64_t)(secs * kps * 1.5) + 20;
	/* a video chunk per keyframe and per audio chunk, two audio chunks a second */
	nchunks = (uint64_t)(secs * (kps + 4) * 1.3) + 2 * job->nsegs + 20;
	bytes = nv * (4 + (ctts ? 8 : 0) + (irregular ? 8 : 0)) + na * 4 + nk * 4 +
	    nchunks * 20 + job->nsegs * 64 + 8192;
	return bytes;
}

void
remux_result_release(struct remux_result *res)
{
	free(res->coverage);
	res->coverage = NULL;
	res->ncoverage = 0;
}

/* Close the file: edit lists from output time 0 to the presentation end. */
static int
out_finish(struct rx *rx)
{
	struct mp4w_edit edit[2] = { { 0, rx->vend, 0 }, { 0, 0, 0 } };
	int64_t end[2] = { rx->vlast + (rx->vdur > 0 ? rx->vdur : VTS / 25), rx->aend };
	uint64_t size;

	if (rx->have_acfg && rx->afirst != INT64_MIN) {
		int sr = rx->acfg.sample_rate;

		edit[1].end = rescale(rx->vend, sr, VTS);
		if (rx->afirst > 0) {	/* the sound starts late */
			edit[1].start = rx->afirst;
			edit[1].delay_us = rescale(rx->afirst, USEC_PER_SEC, sr);
		}
	}
	if (mp4w_finish(rx->w, end, edit, &size) == -1) {
		res_set(rx->res, REMUX_OUTPUT_ERROR, "cannot finish the output file: %s",
		    errno ? strerror(errno) : "internal error");
		return -1;
	}
	rx->res->size = (int64_t)size;
	rx->res->duration_us = rescale(rx->vend, USEC_PER_SEC, VTS);
	return 0;
}

int
remux_run(const struct remux_job *job, struct remux_result *res)
{
	struct rx *rx;
	struct stat st;
	int ret = -1;

	memset(res, 0, sizeof(*res));
	if (job->out_path == NULL || job->to_us <= job->from_us ||
	    (job->nsegs > 0 && job->segs == NULL)) {
		res_set(res, REMUX_INPUT_ERROR, "invalid export request");
		return -1;
	}
	if ((rx = calloc(1, sizeof(*rx))) == NULL) {
		res_set(res, REMUX_OUTPUT_ERROR, "out of memory");
		return -1;
	}
	rx->job = job;
	rx->res = res;
	rx->vlast = rx->aend = rx->afirst = rx->wall_end = INT64_MIN;
	rx->bytes_total = job_bytes(job);
	rx->last_progress = mono_us();
	if ((rx->w = mp4w_open(job->out_path, job->tmp_dir)) == NULL) {
		res_set(res, REMUX_OUTPUT_ERROR, "cannot create the output file: %s",
		    strerror(errno));
		goto out;
	}
	rx->reserve = plan_reserve(job);
	for (size_t i = 0; i < job->nsegs && !rx->done && !rx->stop; i++)
		if (seg_run(rx, &job->segs[i]) == -1 || rx_cancelled(rx)) {
			if (!rx->cancel && res->code[0] == '\0')
				res_set(res, REMUX_OUTPUT_ERROR, "cannot write the output "
				    "file: %s", errno ? strerror(errno) : "out of memory");
			break;
		}
	if (rx->cancel) {
		res_set(res, REMUX_CANCELLED, "the export was cancelled");
		goto out;
	}
	if (res->code[0] != '\0' && strcmp(res->code, REMUX_STREAM_CHANGED) != 0)
		goto out;
	if (!rx->started || rx->leadin) {
		if (rx->nunsupported > 0 && !rx->started)
			res_set(res, REMUX_UNSUPPORTED, "the recording's video codec cannot "
			    "be exported to MP4 without re-encoding");
		else if (!rx->started && rx->nbad > 0)
			res_set(res, REMUX_NO_FOOTAGE, "no readable recording in the range "
			    "(%zu of %zu segments unreadable)", rx->nbad, job->nsegs);
		else
			res_set(res, REMUX_NO_FOOTAGE, "no recording in the range");
		goto out;
	}
	if (out_finish(rx) == -1)
		goto out;
	if (rx->sound_left_out != NULL && res->code[0] == '\0')
		res_set(res, REMUX_SOUND_LEFT_OUT, "the recording's sound is %s, which an"
		    " MP4 export does not carry (AAC only): the archive has no sound",
		    rx->sound_left_out);
	rx_progress(rx, 0, 1);
	ret = 0;
out:
	if (rx->w != NULL) {
		mp4w_free(rx->w);
		/* never a device or a fifo the caller pointed us at */
		if (ret == -1 && stat(job->out_path, &st) == 0 && S_ISREG(st.st_mode))
			unlink(job->out_path);
	}
	if (ret == -1)
		remux_result_release(res);
	free(rx);
	return ret;
}
