/*
 * The remux engine, stage 1: libavformat demuxers into libavformat's mp4
 * muxer (+faststart). Correct but a second pass over the output, and the
 * muxer keeps every sample's index entry in memory.
 *
 * Timeline: a packet's wall time is its segment's start_us plus its pts
 * relative to the segment's first video pts. The output starts at the
 * keyframe at or before from_us, rebased so that from_us is 0 (the lead-in
 * has negative times and the muxer's edit list hides it); each later
 * segment continues where the previous one's video ended, so gaps vanish.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>

#include "log.h"
#include "remux.h"
#include "util.h"
#include "banned.h"

#define US		((AVRational){ 1, 1000000 })
#define MERGE_US	1000000		/* coverage pieces closer than this merge */
#define PROGRESS_US	250000		/* at most four progress calls a second */
#define CUT_US		500000		/* a segment this much shorter than indexed was cut */

struct pktq {
	AVPacket	**p;
	size_t		  n, cap;
};

/* One input segment being read. */
struct seg_in {
	const struct remux_segment *seg;
	AVFormatContext	*ic;
	int		 vi, ai;	/* input stream indices; ai -1 without audio */
	int64_t		 base;		/* first video pts, in the video stream's tb */
	int		 live;		/* output offset fixed, packets go out */
	int64_t		 off_us;	/* output time = off_us + (pts - base) */
	int		 vdone, adone;	/* reached to_us */
	int64_t		 last_vdts_us;	/* relative to base, last written */
	int64_t		 vdur_us;	/* last video frame duration */
	int64_t		 first_wall, last_wall_end;
	struct pktq	 gop;		/* lead-in: keyframe at or before from_us on */
	struct pktq	 audio;		/* audio waiting for the video to start */
	AVPacket	*held;		/* last video packet: dropped if the file is cut */
};

struct rx {
	const struct remux_job *job;
	struct remux_result *res;
	AVFormatContext	*oc;
	AVCodecParameters *vpar, *apar;	/* copies of what the output was made from */
	int		 ovs, oas;	/* output stream indices, -1 none */
	int		 started;	/* the output has its first keyframe */
	int		 done;		/* to_us reached */
	int		 stop;		/* stream changed: keep what is written */
	int		 cancel;
	int		 created;	/* out_path is ours to remove on failure */
	int64_t		 end_us;	/* output time where presentation ends */
	int64_t		 next_us;	/* output time where the next segment goes */
	int64_t		 last_dts[2];	/* per output stream, output tb */
	int64_t		 bytes_total, bytes_done;
	int64_t		 last_progress;
	size_t		 nbad;		/* segments that could not be read */
	int64_t		 out_start_wall;
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

static const char *
av_err(int err, char *buf, size_t len)
{
	if (av_strerror(err, buf, len) < 0)
		snprintf(buf, len, "error %d", err);
	return buf;
}

/* Record [from, to) as footage that went in, merging with the last piece. */
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
	c = realloc(res->coverage, (res->ncoverage + 1) * sizeof(*c));
	if (c == NULL)
		return -1;
	res->coverage = c;
	res->coverage[res->ncoverage][0] = from;
	res->coverage[res->ncoverage][1] = to;
	res->ncoverage++;
	return 0;
}

static int
pktq_push(struct pktq *q, AVPacket *pkt)
{
	if (q->n == q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 64;
		AVPacket **p = realloc(q->p, cap * sizeof(*p));

		if (p == NULL)
			return -1;
		q->p = p;
		q->cap = cap;
	}
	if ((q->p[q->n] = av_packet_clone(pkt)) == NULL)
		return -1;
	q->n++;
	return 0;
}

static void
pktq_clear(struct pktq *q)
{
	for (size_t i = 0; i < q->n; i++)
		av_packet_free(&q->p[i]);
	q->n = 0;
}

static void
pktq_release(struct pktq *q)
{
	pktq_clear(q);
	free(q->p);
	q->p = NULL;
	q->cap = 0;
}

static int
rx_cancelled(struct rx *rx)
{
	if (!rx->cancel && rx->job->cancelled != NULL &&
	    rx->job->cancelled(rx->job->arg))
		rx->cancel = 1;
	return rx->cancel;
}

static int
rx_interrupt(void *arg)
{
	return rx_cancelled(arg);
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
	if (stat(seg->path, &st) == 0)
		return st.st_size;
	return 0;
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

static void
seg_close(struct seg_in *si)
{
	avformat_close_input(&si->ic);
	pktq_release(&si->gop);
	pktq_release(&si->audio);
	av_packet_free(&si->held);
}

/* Open a segment; -1 (logged) makes it a gap. */
static int
seg_open(struct rx *rx, struct seg_in *si)
{
	AVDictionary *opts = NULL;
	char eb[128];
	int err, ret = -1;

	if ((si->ic = avformat_alloc_context()) == NULL)
		return error("out of memory");
	si->ic->interrupt_callback.callback = rx_interrupt;
	si->ic->interrupt_callback.opaque = rx;
	av_dict_set(&opts, "protocol_whitelist", "file", 0);
	if ((err = avformat_open_input(&si->ic, si->seg->path, NULL, &opts)) < 0) {
		if (!rx->cancel)
			log_warnx("cannot open segment '%s': %s", si->seg->path,
			    av_err(err, eb, sizeof(eb)));
		goto out;
	}
	if ((err = avformat_find_stream_info(si->ic, NULL)) < 0) {
		log_warnx("cannot read segment '%s': %s", si->seg->path,
		    av_err(err, eb, sizeof(eb)));
		goto out;
	}
	si->vi = av_find_best_stream(si->ic, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
	if (si->vi < 0) {
		log_warnx("segment '%s' has no video", si->seg->path);
		goto out;
	}
	si->ai = -1;
	for (unsigned i = 0; i < si->ic->nb_streams; i++)
		if (si->ic->streams[i]->codecpar->codec_id == AV_CODEC_ID_AAC) {
			si->ai = (int)i;
			break;
		}
	si->base = si->ic->streams[si->vi]->start_time;
	if (si->base == AV_NOPTS_VALUE)
		si->base = 0;
	ret = 0;
out:
	av_dict_free(&opts);
	if (ret == -1)
		avformat_close_input(&si->ic);
	return ret;
}

static int
codec_supported(enum AVCodecID id)
{
	return id == AV_CODEC_ID_H264 || id == AV_CODEC_ID_HEVC;
}

/* Does this segment fit the output made so far? */
static int
seg_compatible(struct rx *rx, struct seg_in *si, char *why, size_t len)
{
	const AVCodecParameters *v = si->ic->streams[si->vi]->codecpar;

	if (v->codec_id != rx->vpar->codec_id) {
		snprintf(why, len, "video codec changed from %s to %s",
		    avcodec_get_name(rx->vpar->codec_id), avcodec_get_name(v->codec_id));
		return 0;
	}
	if (v->width != rx->vpar->width || v->height != rx->vpar->height) {
		snprintf(why, len, "resolution changed from %dx%d to %dx%d",
		    rx->vpar->width, rx->vpar->height, v->width, v->height);
		return 0;
	}
	if ((si->ai >= 0) != (rx->apar != NULL)) {
		snprintf(why, len, "audio %s", si->ai >= 0 ? "appeared" : "disappeared");
		return 0;
	}
	if (si->ai >= 0) {
		const AVCodecParameters *a = si->ic->streams[si->ai]->codecpar;

		if (a->sample_rate != rx->apar->sample_rate ||
		    a->ch_layout.nb_channels != rx->apar->ch_layout.nb_channels) {
			snprintf(why, len, "audio format changed");
			return 0;
		}
	}
	return 1;
}

/* Create the muxer from the first usable segment's streams. */
static int
out_open(struct rx *rx, struct seg_in *si)
{
	AVDictionary *opts = NULL;
	AVStream *st;
	char eb[128];
	int err, ret = -1;

	err = avformat_alloc_output_context2(&rx->oc, NULL, "mp4", rx->job->out_path);
	if (err < 0)
		goto fail;
	rx->oc->interrupt_callback.callback = rx_interrupt;
	rx->oc->interrupt_callback.opaque = rx;
	if ((st = avformat_new_stream(rx->oc, NULL)) == NULL ||
	    (err = avcodec_parameters_copy(st->codecpar,
	    si->ic->streams[si->vi]->codecpar)) < 0)
		goto fail;
	st->codecpar->codec_tag = st->codecpar->codec_id == AV_CODEC_ID_HEVC ?
	    MKTAG('h', 'v', 'c', '1') : 0;
	st->time_base = (AVRational){ 1, 90000 };
	rx->ovs = st->index;
	if ((rx->vpar = avcodec_parameters_alloc()) == NULL ||
	    avcodec_parameters_copy(rx->vpar, st->codecpar) < 0)
		goto fail;
	if (si->ai >= 0) {
		if ((st = avformat_new_stream(rx->oc, NULL)) == NULL ||
		    (err = avcodec_parameters_copy(st->codecpar,
		    si->ic->streams[si->ai]->codecpar)) < 0)
			goto fail;
		st->codecpar->codec_tag = 0;
		st->time_base = (AVRational){ 1, st->codecpar->sample_rate };
		rx->oas = st->index;
		if ((rx->apar = avcodec_parameters_alloc()) == NULL ||
		    avcodec_parameters_copy(rx->apar, st->codecpar) < 0)
			goto fail;
	}
	rx->created = 1;
	if ((err = avio_open2(&rx->oc->pb, rx->job->out_path, AVIO_FLAG_WRITE,
	    &rx->oc->interrupt_callback, NULL)) < 0)
		goto fail;
	av_dict_set(&opts, "movflags", "+faststart", 0);
	if ((err = avformat_write_header(rx->oc, &opts)) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	if (!rx->cancel)
		res_set(rx->res, REMUX_OUTPUT_ERROR, "cannot start the output file: %s",
		    av_err(err, eb, sizeof(eb)));
out:
	av_dict_free(&opts);
	return ret;
}

/* Rebase and write one packet of stream in_idx as output stream os. */
static int
out_write(struct rx *rx, struct seg_in *si, AVPacket *pkt, int os)
{
	AVRational itb = si->ic->streams[pkt->stream_index]->time_base;
	AVRational otb = rx->oc->streams[os]->time_base;
	int64_t off = av_rescale_q(si->off_us, US, otb), base;
	char eb[128];
	int err;

	base = av_rescale_q(si->base, si->ic->streams[si->vi]->time_base, itb);
	pkt->pts = av_rescale_q(pkt->pts - base, itb, otb) + off;
	pkt->dts = av_rescale_q(pkt->dts - base, itb, otb) + off;
	pkt->duration = av_rescale_q(pkt->duration, itb, otb);
	if (pkt->dts <= rx->last_dts[os])
		return 0;	/* overlap at a segment boundary: drop */
	rx->last_dts[os] = pkt->dts;
	pkt->stream_index = os;
	pkt->pos = -1;
	if ((err = av_interleaved_write_frame(rx->oc, pkt)) < 0) {
		if (!rx->cancel)
			res_set(rx->res, REMUX_OUTPUT_ERROR, "cannot write the output file: %s",
			    av_err(err, eb, sizeof(eb)));
		return -1;
	}
	return 0;
}

/* Relative microseconds of ts (in stream s's tb) from the segment's base. */
static int64_t
seg_rel_us(struct seg_in *si, int s, int64_t ts)
{
	AVRational tb = si->ic->streams[s]->time_base;
	int64_t base = av_rescale_q(si->base, si->ic->streams[si->vi]->time_base, tb);

	return av_rescale_q(ts - base, tb, US);
}

static int
video_write(struct rx *rx, struct seg_in *si, AVPacket *pkt)
{
	int64_t rel = seg_rel_us(si, si->vi, pkt->dts);
	AVRational tb = si->ic->streams[si->vi]->time_base;
	int64_t dur = pkt->duration > 0 ? av_rescale_q(pkt->duration, tb, US) : 0;

	if (si->last_vdts_us != INT64_MIN && rel > si->last_vdts_us)
		si->vdur_us = rel - si->last_vdts_us;
	else if (dur > 0)
		si->vdur_us = dur;
	si->last_vdts_us = rel;
	si->last_wall_end = si->seg->start_us + seg_rel_us(si, si->vi, pkt->pts) +
	    (dur > 0 ? dur : si->vdur_us);
	if (si->last_wall_end > rx->job->to_us)
		si->last_wall_end = rx->job->to_us;
	if (si->off_us + si->last_wall_end - si->seg->start_us > rx->end_us)
		rx->end_us = si->off_us + si->last_wall_end - si->seg->start_us;
	return out_write(rx, si, pkt, rx->ovs);
}

/* Write the previous video packet and keep this one: a file cut short ends
 * in a partial frame, known only at its end. */
static int
video_hold(struct rx *rx, struct seg_in *si, AVPacket *pkt)
{
	int ret = 0;

	if (si->held == NULL && (si->held = av_packet_alloc()) == NULL)
		return -1;
	if (si->held->data != NULL)
		ret = video_write(rx, si, si->held);
	av_packet_unref(si->held);
	if (ret == 0 && av_packet_ref(si->held, pkt) < 0)
		ret = -1;
	return ret;
}

/* Fix the segment's output offset and send what waited. */
static int
seg_go_live(struct rx *rx, struct seg_in *si, int64_t start_wall, int64_t first_dts)
{
	if (!rx->started) {
		if (out_open(rx, si) == -1)
			return -1;
		/* from_us (or the first frame after it) is output time 0 */
		si->off_us = si->seg->start_us - start_wall;
		rx->started = 1;
		rx->out_start_wall = start_wall;
	} else
		si->off_us = rx->next_us - seg_rel_us(si, si->vi, first_dts);
	si->live = 1;
	si->first_wall = start_wall;
	si->last_vdts_us = INT64_MIN;
	for (size_t i = 0; i < si->gop.n; i++)
		if (video_write(rx, si, si->gop.p[i]) == -1)
			return -1;
	pktq_clear(&si->gop);
	for (size_t i = 0; i < si->audio.n; i++)
		if (out_write(rx, si, si->audio.p[i], rx->oas) == -1)
			return -1;
	pktq_clear(&si->audio);
	return 0;
}

static int
seg_video(struct rx *rx, struct seg_in *si, AVPacket *pkt)
{
	int64_t wall = si->seg->start_us + seg_rel_us(si, si->vi, pkt->pts);
	int64_t dwall = si->seg->start_us + seg_rel_us(si, si->vi, pkt->dts);
	int key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;

	if (dwall >= rx->job->to_us) {
		si->vdone = 1;
		return 0;
	}
	if (si->live)
		return video_hold(rx, si, pkt);
	if (!rx->started && key && wall <= rx->job->from_us) {
		/* a later keyframe at or before from_us: the lead-in restarts */
		pktq_clear(&si->gop);
		return pktq_push(&si->gop, pkt);
	}
	if (si->gop.n > 0) {
		if (!key && wall < rx->job->from_us)
			return pktq_push(&si->gop, pkt);
		if (seg_go_live(rx, si, rx->job->from_us, si->gop.p[0]->dts) == -1)
			return -1;
		return video_hold(rx, si, pkt);
	}
	if (!key)
		return 0;	/* no keyframe yet to start from */
	if (seg_go_live(rx, si, wall > rx->job->from_us ? wall : rx->job->from_us,
	    pkt->dts) == -1)
		return -1;
	return video_hold(rx, si, pkt);
}

static int
seg_audio(struct rx *rx, struct seg_in *si, AVPacket *pkt)
{
	AVRational tb = si->ic->streams[si->ai]->time_base;
	int64_t wall = si->seg->start_us + seg_rel_us(si, si->ai, pkt->pts);
	int64_t dur = av_rescale_q(pkt->duration, tb, US);

	if (wall >= rx->job->to_us) {
		si->adone = 1;
		return 0;
	}
	if (wall + dur <= rx->job->from_us)
		return 0;
	if (!si->live)
		return pktq_push(&si->audio, pkt);
	return out_write(rx, si, pkt, rx->oas);
}

/* Copy one segment's packets in range; -1 only for job-fatal errors. */
static int
seg_copy(struct rx *rx, const struct remux_segment *seg)
{
	struct seg_in si = { .seg = seg, .vi = -1, .ai = -1 };
	AVPacket *pkt = NULL;
	char why[160], eb[128];
	int err, cut = 0, ret = -1;

	if (seg_open(rx, &si) == -1) {
		rx->nbad++;
		ret = 0;
		goto out;
	}
	if (!codec_supported(si.ic->streams[si.vi]->codecpar->codec_id)) {
		if (rx->started) {
			res_set(rx->res, REMUX_STREAM_CHANGED, "recording changed at %s: "
			    "video codec %s cannot be exported", seg->path,
			    avcodec_get_name(si.ic->streams[si.vi]->codecpar->codec_id));
			rx->stop = 1;
			ret = 0;
		} else
			res_set(rx->res, REMUX_UNSUPPORTED, "video codec %s of '%s' "
			    "cannot be exported to MP4 without re-encoding",
			    avcodec_get_name(si.ic->streams[si.vi]->codecpar->codec_id),
			    seg->path);
		goto out;
	}
	if (rx->started && !seg_compatible(rx, &si, why, sizeof(why))) {
		res_set(rx->res, REMUX_STREAM_CHANGED,
		    "the archive ends at the change: %s in '%s'", why, seg->path);
		rx->stop = 1;
		ret = 0;
		goto out;
	}
	if ((pkt = av_packet_alloc()) == NULL)
		goto out;
	while (!si.vdone || (si.ai >= 0 && !si.adone && si.live)) {
		if (rx_cancelled(rx))
			goto out;
		if ((err = av_read_frame(si.ic, pkt)) < 0) {
			if (rx->cancel)
				goto out;
			if (err != AVERROR_EOF) {
				log_warnx("segment '%s' is damaged after byte %" PRId64
				    ": %s; keeping what was read", seg->path,
				    avio_tell(si.ic->pb), av_err(err, eb, sizeof(eb)));
				cut = 1;
			}
			break;
		}
		if (pkt->pts == AV_NOPTS_VALUE)
			pkt->pts = pkt->dts;
		if (pkt->dts == AV_NOPTS_VALUE)
			pkt->dts = pkt->pts;
		if (pkt->pts == AV_NOPTS_VALUE)
			err = 0;
		else if (pkt->stream_index == si.vi)
			err = seg_video(rx, &si, pkt);
		else if (pkt->stream_index == si.ai && (!rx->started || rx->oas >= 0))
			err = seg_audio(rx, &si, pkt);
		else
			err = 0;
		av_packet_unref(pkt);
		if (err == -1)
			goto out;
		rx_progress(rx, avio_tell(si.ic->pb), 0);
		if (rx->cancel)
			goto out;
	}
	if (si.vdone)
		rx->done = 1;
	/* TS is written in 188-byte packets: anything else was cut short. */
	if (!si.vdone && strcmp(si.ic->iformat->name, "mpegts") == 0 &&
	    avio_size(si.ic->pb) % 188 != 0)
		cut = 1;
	/* Footage ending well before the index says is a file cut short too. */
	if (!si.vdone && si.held != NULL && si.held->data != NULL &&
	    seg->end_us > seg->start_us && seg->start_us +
	    seg_rel_us(&si, si.vi, si.held->pts) + si.vdur_us < seg->end_us - CUT_US)
		cut = 1;
	if (si.held != NULL && si.held->data != NULL) {
		if (cut)
			log_warnx("segment '%s' ends in a partial frame; dropped it",
			    seg->path);
		else if (video_write(rx, &si, si.held) == -1)
			goto out;
	}
	if (si.live) {
		rx->next_us = si.off_us + si.last_vdts_us + si.vdur_us;
		if (coverage_add(rx->res, si.first_wall, si.last_wall_end) == -1)
			goto out;
	}
	ret = 0;
out:
	rx->bytes_done += seg_bytes(seg);
	av_packet_free(&pkt);
	seg_close(&si);
	return ret;
}

/* libavformat's own messages are jargon: debug level only. */
static void
av_log_to_debug(void *avcl, int level, const char *fmt, va_list ap)
{
	char msg[512];

	(void)avcl;
	if (level > AV_LOG_WARNING || log_get_level() < LOG_LVL_DEBUG)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("libav: %s", msg);
}

void
remux_result_release(struct remux_result *res)
{
	free(res->coverage);
	res->coverage = NULL;
	res->ncoverage = 0;
}

int
remux_run(const struct remux_job *job, struct remux_result *res)
{
	struct rx rx = { .job = job, .res = res, .ovs = -1, .oas = -1 };
	char eb[128];
	struct stat st;
	int err, ret = -1;

	memset(res, 0, sizeof(*res));
	av_log_set_callback(av_log_to_debug);
	rx.last_dts[0] = rx.last_dts[1] = INT64_MIN;
	if (job->out_path == NULL || job->to_us <= job->from_us ||
	    (job->nsegs > 0 && job->segs == NULL)) {
		res_set(res, REMUX_INPUT_ERROR, "invalid export request");
		return -1;
	}
	rx.bytes_total = job_bytes(job);
	rx.last_progress = mono_us();
	for (size_t i = 0; i < job->nsegs && !rx.done && !rx.stop; i++)
		if (seg_copy(&rx, &job->segs[i]) == -1 || rx_cancelled(&rx)) {
			if (!rx.cancel && res->code[0] == '\0')
				res_set(res, REMUX_OUTPUT_ERROR, "out of memory");
			break;
		}
	if (rx.cancel) {
		res_set(res, REMUX_CANCELLED, "the export was cancelled");
		goto out;
	}
	if (res->code[0] != '\0' && strcmp(res->code, REMUX_STREAM_CHANGED) != 0)
		goto out;
	if (!rx.started) {
		if (res->code[0] == '\0')
			res_set(res, REMUX_NO_FOOTAGE, rx.nbad > 0 ?
			    "no readable recording in the range (%zu of %zu segments unreadable)" :
			    "no recording in the range", rx.nbad, job->nsegs);
		goto out;
	}
	if ((err = av_write_trailer(rx.oc)) < 0 ||
	    (err = avio_closep(&rx.oc->pb)) < 0) {
		res_set(res, rx.cancel ? REMUX_CANCELLED : REMUX_OUTPUT_ERROR,
		    "cannot finish the output file: %s", av_err(err, eb, sizeof(eb)));
		goto out;
	}
	if (stat(job->out_path, &st) == -1) {
		res_set(res, REMUX_OUTPUT_ERROR, "cannot stat the output file");
		goto out;
	}
	res->size = st.st_size;
	res->duration_us = rx.end_us;
	rx_progress(&rx, 0, 1);
	ret = 0;
out:
	if (rx.oc != NULL) {
		avio_closep(&rx.oc->pb);
		avformat_free_context(rx.oc);
	}
	avcodec_parameters_free(&rx.vpar);
	avcodec_parameters_free(&rx.apar);
	if (ret == -1) {
		/* never a device or a fifo the caller pointed us at */
		if (rx.created && stat(job->out_path, &st) == 0 && S_ISREG(st.st_mode))
			unlink(job->out_path);
		remux_result_release(res);
	}
	return ret;
}
