/* Probing one recorded segment with libavformat. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>

#include "segprobe.h"
#include "lib/timefmt.h"
#include "lib/banned.h"

/* B-frames put the lowest pts a few pictures after the first in decode
 * order; this many is more than any encoder reorders. */
#define HEAD_PACKETS	16
/* A creation_time before this is an unset camera clock, not a time. */
#define CREATION_MIN_US	946684800000000LL

static const struct {
	enum AVCodecID	 id;
	const char	*name;
} codecs[] = {
	{ AV_CODEC_ID_H264, "h264" },
	{ AV_CODEC_ID_HEVC, "hevc" },
};

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int64_t
to_us(int64_t ts, AVRational tb)
{
	return av_rescale_q(ts, tb, AV_TIME_BASE_Q);
}

/* creation_time ("2026-01-15T10:00:00.000000Z") in UTC microseconds, or 0. */
static int64_t
creation_time(const AVFormatContext *fmt)
{
	const AVDictionaryEntry *e = av_dict_get(fmt->metadata, "creation_time", NULL, 0);
	int64_t us;

	if (e == NULL || time_parse(e->value, 0, &us) != TIME_OK ||
	    us < CREATION_MIN_US)
		return 0;
	return us;
}

/* Read packets: the lowest video pts, the video end and the end of any
 * stream's last packet. */
static int
scan_packets(AVFormatContext *fmt, int vidx, int head_only, struct segprobe *out,
    char *err, size_t errlen)
{
	AVPacket *pkt = av_packet_alloc();
	int64_t first = INT64_MAX, vend = INT64_MIN, end = INT64_MIN;
	int rc, ret = -1;

	if (pkt == NULL)
		return fail(err, errlen, "out of memory");
	while ((rc = av_read_frame(fmt, pkt)) >= 0) {
		AVStream *st = fmt->streams[pkt->stream_index];
		int is_video = pkt->stream_index == vidx;
		int64_t b, e;

		if (pkt->pts == AV_NOPTS_VALUE ||
		    (!is_video && st->codecpar->codec_type != AVMEDIA_TYPE_AUDIO)) {
			av_packet_unref(pkt);
			continue;
		}
		b = to_us(pkt->pts, st->time_base);
		e = to_us(pkt->pts + (pkt->duration > 0 ? pkt->duration : 0),
		    st->time_base);
		if (e > end)
			end = e;
		if (is_video) {
			out->packets++;
			if (b < first)
				first = b;
			if (e > vend)
				vend = e;
		}
		av_packet_unref(pkt);
		if (head_only && out->packets >= HEAD_PACKETS)
			break;
	}
	if (rc < 0 && rc != AVERROR_EOF && out->packets == 0) {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(rc, msg, sizeof(msg));
		fail(err, errlen, "cannot read its packets: %s", msg);
		goto out;
	}
	if (out->packets == 0) {
		fail(err, errlen, "no video frame with a timestamp");
		goto out;
	}
	out->first_pts = first;
	out->video_end = vend;
	out->duration = head_only ? 0 : end - first;
	if (!head_only && out->duration <= 0) {
		fail(err, errlen, "its video lasts no time");
		goto out;
	}
	ret = 0;
out:
	av_packet_free(&pkt);
	return ret;
}

int
segprobe_file(const char *path, int head_only, struct segprobe *out, char *err,
    size_t errlen)
{
	AVFormatContext *fmt = NULL;
	AVDictionary *opts = NULL;
	const AVCodecParameters *par;
	struct stat sb;
	char msg[AV_ERROR_MAX_STRING_SIZE];
	int rc, vidx, ret = -1;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (stat(path, &sb) == -1)
		return fail(err, errlen, "%s", strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return fail(err, errlen, "not a regular file");
	if (sb.st_size == 0)
		return fail(err, errlen, "the file is empty");
	out->bytes = sb.st_size;
	/* Quiet: a damaged recording would fill the terminal; the one line
	 * of err says what matters. */
	av_log_set_level(AV_LOG_QUIET);
	av_dict_set(&opts, "protocol_whitelist", "file", 0);
	rc = avformat_open_input(&fmt, path, NULL, &opts);
	av_dict_free(&opts);
	if (rc < 0) {
		av_strerror(rc, msg, sizeof(msg));
		return fail(err, errlen, "cannot open it as media: %s", msg);
	}
	if ((rc = avformat_find_stream_info(fmt, NULL)) < 0) {
		av_strerror(rc, msg, sizeof(msg));
		fail(err, errlen, "cannot read its streams: %s", msg);
		goto out;
	}
	if ((vidx = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0)) < 0) {
		fail(err, errlen, "no video stream");
		goto out;
	}
	par = fmt->streams[vidx]->codecpar;
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
		if (codecs[i].id == par->codec_id)
			break;
	if (i == sizeof(codecs) / sizeof(codecs[0])) {
		fail(err, errlen, "its video is %s, not H.264 or H.265",
		    avcodec_get_name(par->codec_id));
		goto out;
	}
	snprintf(out->codec, sizeof(out->codec), "%s", codecs[i].name);
	snprintf(out->container, sizeof(out->container), "%.*s",
	    (int)strcspn(fmt->iformat->name, ","), fmt->iformat->name);
	out->width = par->width;
	out->height = par->height;
	for (unsigned k = 0; k < fmt->nb_streams; k++)
		if (fmt->streams[k]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO)
			out->has_audio = 1;
	if (fmt->streams[vidx]->pts_wrap_bits > 0 && fmt->streams[vidx]->pts_wrap_bits < 63)
		out->wrap = to_us(1LL << fmt->streams[vidx]->pts_wrap_bits,
		    fmt->streams[vidx]->time_base);
	if (strcmp(out->container, "mpegts") != 0)
		out->wrap = 0;	/* only MPEG-TS clocks wrap in practice (33 bits) */
	out->creation = creation_time(fmt);
	ret = scan_packets(fmt, vidx, head_only, out, err, errlen);
out:
	avformat_close_input(&fmt);
	return ret;
}
