/* Probing one recorded segment with libavformat. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/dict.h>
#include <libavutil/mathematics.h>

#include "fragtail.h"
#include "segprobe.h"
#include "lib/timefmt.h"
#include "lib/banned.h"

/* B-frames put the lowest pts a few pictures after the first in decode
 * order; this many is more than any encoder reorders. */
#define HEAD_PACKETS	16
/* The first tail read of a stream without an index: some pictures. */
#define TAIL_BYTES	(256 * 1024)
/* What avformat_find_stream_info may read: enough pictures for the frame
 * rate; the picture size comes from the parameter sets. */
#define ANALYZE_BYTES	(1024 * 1024)
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

/* Every audio decoder's name, comma-separated: a codec whitelist that
 * keeps avformat_find_stream_info from decoding pictures. */
static const char *
audio_decoders(void)
{
	static char list[16384];
	const AVCodec *c;
	void *it = NULL;
	size_t n = 0;

	if (list[0] != '\0')
		return list;
	while ((c = av_codec_iterate(&it)) != NULL) {
		size_t len = strlen(c->name);

		if (!av_codec_is_decoder(c) || c->type != AVMEDIA_TYPE_AUDIO ||
		    n + len + 2 > sizeof(list))
			continue;
		if (n > 0)
			list[n++] = ',';
		memcpy(list + n, c->name, len + 1);
		n += len;
	}
	return list;
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

/* What packets said: the lowest video pts, where the last picture ends and
 * where the last packet of any stream ends. */
struct scan {
	int64_t	 first, vend, end;
	int64_t	 key;		/* the decode time of the last keyframe */
	int	 video;		/* video packets seen */
	int	*width, *height;	/* to fill from the first keyframe, or NULL */
	int	 size_tries;		/* keyframes left to take it from */
};

static void
scan_init(struct scan *sc)
{
	*sc = (struct scan){ INT64_MAX, INT64_MIN, INT64_MIN, INT64_MIN, 0, NULL, NULL, 0 };
}

/* The picture size, from the parameter sets (the stream's, then the
 * keyframe's own) through libavcodec's parser: no picture is decoded. */
static void
picture_size(const AVCodecParameters *par, const AVPacket *pkt, int *w, int *h)
{
	AVCodecParserContext *pc = av_parser_init(par->codec_id);
	AVCodecContext *ctx = avcodec_alloc_context3(NULL);
	uint8_t *data;
	int len;

	if (pc == NULL || ctx == NULL)
		goto out;
	if (par->extradata_size > 0) {
		ctx->extradata = av_mallocz((size_t)par->extradata_size +
		    AV_INPUT_BUFFER_PADDING_SIZE);
		if (ctx->extradata == NULL)
			goto out;
		memcpy(ctx->extradata, par->extradata, (size_t)par->extradata_size);
		ctx->extradata_size = par->extradata_size;
	}
	pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
	av_parser_parse2(pc, ctx, &data, &len, pkt->data, pkt->size, pkt->pts,
	    pkt->dts, pkt->pos);
	if (pc->width > 0 && pc->height > 0) {
		*w = pc->width;
		*h = pc->height;
	}
out:
	av_parser_close(pc);
	avcodec_free_context(&ctx);
}

/*
 * Read packets into sc until `enough` video packets (0: the end of the
 * file). Returns av_read_frame's last status: AVERROR_EOF at the end, 0
 * when it stopped at `enough`, another error when the file went bad.
 */
static int
scan_packets(AVFormatContext *fmt, AVPacket *pkt, int vidx, int enough,
    struct scan *sc)
{
	int rc;

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
		if (is_video && (pkt->flags & AV_PKT_FLAG_KEY)) {
			int64_t k = to_us(pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts,
			    st->time_base);

			if (k > sc->key)
				sc->key = k;
			if (sc->width != NULL && *sc->width <= 0 && sc->size_tries-- > 0)
				picture_size(st->codecpar, pkt, sc->width, sc->height);
		}
		av_packet_unref(pkt);
		if (e > sc->end)
			sc->end = e;
		if (!is_video)
			continue;
		sc->video++;
		if (b < sc->first)
			sc->first = b;
		if (e > sc->vend)
			sc->vend = e;
		if (enough > 0 && sc->video >= enough)
			return 0;
	}
	return rc;
}

/*
 * The tail of a stream without an index (MPEG-TS, MPEG-PS): from a byte
 * position near the end, which libavformat resynchronises on, to the end;
 * from further back while that holds too few pictures to be sure of the
 * last one (B-frames put it a few pictures before the end in decode
 * order). Returns 0, or an av_read_frame error.
 */
static int
scan_tail_bytes(AVFormatContext *fmt, AVPacket *pkt, int vidx, int64_t size,
    int need_key, struct scan *tail)
{
	for (int64_t window = TAIL_BYTES;; window *= 4) {
		int64_t pos = size > window ? size - window : 0;
		int rc;

		if ((rc = avformat_seek_file(fmt, -1, INT64_MIN, pos, INT64_MAX,
		    AVSEEK_FLAG_BYTE)) < 0)
			return rc;
		scan_init(tail);
		rc = scan_packets(fmt, pkt, vidx, 0, tail);
		if (rc != AVERROR_EOF && tail->video == 0)
			return rc;
		if ((tail->video >= HEAD_PACKETS && (!need_key || tail->key != INT64_MIN)) ||
		    pos == 0)
			return 0;
	}
}

/* The tail of an indexed stream (MP4, fragmented MP4): from the last
 * keyframe the container's index knows. */
static int
scan_tail_index(AVFormatContext *fmt, AVPacket *pkt, int vidx, struct scan *tail)
{
	int rc;

	if ((rc = av_seek_frame(fmt, vidx, INT64_MAX, AVSEEK_FLAG_BACKWARD)) < 0)
		return rc;
	scan_init(tail);
	rc = scan_packets(fmt, pkt, vidx, 0, tail);
	return rc == AVERROR_EOF || tail->video > 0 ? 0 : rc;
}

static int
scan_file(AVFormatContext *fmt, int vidx, enum segprobe_mode mode,
    struct segprobe *out, char *err, size_t errlen)
{
	AVPacket *pkt = av_packet_alloc();
	struct scan sc, tail;
	int growing = mode == SEGPROBE_GROWING, rc, ret = -1;

	if (pkt == NULL)
		return fail(err, errlen, "out of memory");
	scan_init(&sc);
	sc.width = &out->width;
	sc.height = &out->height;
	sc.size_tries = 4;	/* a stream whose sizes cannot be parsed: not every keyframe */
	rc = scan_packets(fmt, pkt, vidx, mode == SEGPROBE_DEEP ? 0 : HEAD_PACKETS, &sc);
	if (rc < 0 && rc != AVERROR_EOF && sc.video == 0) {
		char msg[AV_ERROR_MAX_STRING_SIZE];

		av_strerror(rc, msg, sizeof(msg));
		fail(err, errlen, "cannot read its packets: %s", msg);
		goto out;
	}
	if (sc.video == 0) {
		fail(err, errlen, "no video frame with a timestamp");
		goto out;
	}
	if ((mode == SEGPROBE_FAST || mode == SEGPROBE_GROWING) && rc == 0) {
		/* More than the head: the end is in the tail; in a container
		 * whose seeking is not known here, in the rest of the file. */
		if (strcmp(out->container, "mov") == 0)
			rc = scan_tail_index(fmt, pkt, vidx, &tail);
		else if (strcmp(out->container, "mpegts") == 0 ||
		    strcmp(out->container, "mpeg") == 0)
			rc = scan_tail_bytes(fmt, pkt, vidx, out->bytes, growing, &tail);
		else {
			scan_init(&tail);
			rc = scan_packets(fmt, pkt, vidx, 0, &tail);
			rc = rc == AVERROR_EOF || tail.video > 0 ? 0 : rc;
		}
		if (rc < 0 || tail.video == 0) {
			fail(err, errlen, "cannot read its last pictures");
			goto out;
		}
		sc.vend = tail.vend > sc.vend ? tail.vend : sc.vend;
		sc.end = tail.end > sc.end ? tail.end : sc.end;
		sc.key = tail.key > sc.key ? tail.key : sc.key;
		sc.video += tail.video;
	}
	if (growing) {
		/* A file still being written: its last picture may be cut, and
		 * the pictures before the last keyframe (in decode order) are
		 * whole; it is known up to there. */
		if (sc.key == INT64_MIN || sc.key <= sc.first) {
			fail(err, errlen, "no whole group of pictures yet");
			goto out;
		}
		sc.vend = sc.end = sc.key;
	}
	out->packets = sc.video;
	out->first_pts = sc.first;
	out->video_end = sc.vend;
	out->duration = mode == SEGPROBE_HEAD ? 0 : sc.end - sc.first;
	if (mode != SEGPROBE_HEAD && out->duration <= 0) {
		fail(err, errlen, "its video lasts no time");
		goto out;
	}
	ret = 0;
out:
	out->read_bytes = fmt->pb != NULL ? fmt->pb->bytes_read : 0;
	av_packet_free(&pkt);
	return ret;
}

/* An MP4 or QuickTime file (a box of a known type first): 0 if not, 2 if
 * a moov comes before any mdat (fragmented, as recorders write it), 1 if
 * not. */
static int
mp4_kind(int fd, int64_t size)
{
	static const char *const first[] = { "ftyp", "moov", "mdat", "free", "wide" };
	uint8_t h[8];
	int64_t at = 0;
	size_t k;

	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return 0;
	for (k = 0; k < sizeof(first) / sizeof(first[0]); k++)
		if (memcmp(h + 4, first[k], 4) == 0)
			break;
	if (k == sizeof(first) / sizeof(first[0]))
		return 0;
	for (int i = 0; i < 8 && pread(fd, h, sizeof(h), at) == (ssize_t)sizeof(h); i++) {
		uint32_t len = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
		    (uint32_t)h[2] << 8 | h[3];

		if (memcmp(h + 4, "moov", 4) == 0)
			return 2;
		if (memcmp(h + 4, "mdat", 4) == 0 || len < 8 || at + len >= size)
			break;
		at += len;
	}
	return 1;
}

/* A fragmented MP4's parts (fragtail.h), read in order as one file. */
struct splice {
	int			 fd;
	const struct fragtail	*ft;
	int64_t			 pos, size;
};

static int
splice_read(void *opaque, uint8_t *buf, int len)
{
	struct splice *sp = opaque;
	int64_t at = 0;

	for (size_t i = 0; i < sp->ft->n; i++) {
		int64_t off = sp->ft->r[i].off, rlen = sp->ft->r[i].len;
		ssize_t n;

		if (sp->pos >= at + rlen) {
			at += rlen;
			continue;
		}
		if (len > at + rlen - sp->pos)
			len = (int)(at + rlen - sp->pos);
		do
			n = pread(sp->fd, buf, (size_t)len, off + sp->pos - at);
		while (n == -1 && errno == EINTR);
		if (n <= 0)
			return n == 0 ? AVERROR_EOF : AVERROR(errno);
		sp->pos += n;
		return (int)n;
	}
	return AVERROR_EOF;
}

static int64_t
splice_seek(void *opaque, int64_t offset, int whence)
{
	struct splice *sp = opaque;

	if (whence & AVSEEK_SIZE)
		return sp->size;
	switch (whence & ~AVSEEK_FORCE) {
	case SEEK_SET:
		break;
	case SEEK_CUR:
		offset += sp->pos;
		break;
	case SEEK_END:
		offset += sp->size;
		break;
	default:
		return AVERROR(EINVAL);
	}
	if (offset < 0)
		return AVERROR(EINVAL);
	return sp->pos = offset;
}

#define SPLICE_BUF	(8 * 1024)

/* Open the spliced parts as an input; 0 or an AVERROR. */
static int
splice_open(AVFormatContext **fmt, const char *path, struct splice *sp)
{
	uint8_t *buf;
	AVIOContext *pb;
	int rc;

	sp->size = 0;
	for (size_t i = 0; i < sp->ft->n; i++)
		sp->size += sp->ft->r[i].len;
	if ((buf = av_malloc(SPLICE_BUF)) == NULL)
		return AVERROR(ENOMEM);
	if ((pb = avio_alloc_context(buf, SPLICE_BUF, 0, sp, splice_read, NULL,
	    splice_seek)) == NULL) {
		av_free(buf);
		return AVERROR(ENOMEM);
	}
	if ((*fmt = avformat_alloc_context()) == NULL) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
		return AVERROR(ENOMEM);
	}
	(*fmt)->pb = pb;
	(*fmt)->flags |= AVFMT_FLAG_CUSTOM_IO;
	if ((rc = avformat_open_input(fmt, path, NULL, NULL)) < 0) {
		/* avformat_open_input freed the context, not its I/O */
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
	return rc;
}

/* Close an input, and its I/O if it is ours. */
static void
input_close(AVFormatContext **fmt)
{
	AVIOContext *pb;

	if (*fmt == NULL)
		return;
	pb = ((*fmt)->flags & AVFMT_FLAG_CUSTOM_IO) ? (*fmt)->pb : NULL;
	avformat_close_input(fmt);
	if (pb != NULL) {
		av_freep(&pb->buffer);
		avio_context_free(&pb);
	}
}

/*
 * Open path (spliced: through sp, a fragmented MP4's head and tail), read
 * its streams and scan it into out. 0, or -1 with err set.
 */
static int
probe_input(const char *path, struct splice *sp, enum segprobe_mode mode,
    struct segprobe *out, char *err, size_t errlen)
{
	AVFormatContext *fmt = NULL;
	AVDictionary *opts = NULL;
	const AVCodecParameters *par;
	char msg[AV_ERROR_MAX_STRING_SIZE];
	int rc, vidx, ret = -1;
	size_t i;

	if (sp != NULL)
		rc = splice_open(&fmt, path, sp);
	else {
		av_dict_set(&opts, "protocol_whitelist", "file", 0);
		/* the length is ours to measure, from the tail */
		av_dict_set(&opts, "skip_estimate_duration_from_pts", "1", 0);
		rc = avformat_open_input(&fmt, path, NULL, &opts);
		av_dict_free(&opts);
	}
	if (rc < 0) {
		av_strerror(rc, msg, sizeof(msg));
		return fail(err, errlen, "cannot open it as media: %s", msg);
	}
	/* Only audio is decoded here: H.264 or H.265 pictures would cost
	 * 5 ms each at 720p, and seven are decoded to guess the delay. */
	fmt->codec_whitelist = av_strdup(audio_decoders());
	fmt->probesize = ANALYZE_BYTES;
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
	ret = scan_file(fmt, vidx, mode, out, err, errlen);
out:
	input_close(&fmt);
	return ret;
}

int
segprobe_file(const char *path, enum segprobe_mode mode, struct segprobe *out, char *err,
    size_t errlen)
{
	struct stat sb;
	struct fragtail ft;
	struct splice sp = { .fd = -1, .ft = &ft };
	int64_t bytes;
	int rc, ret = -1;

	memset(out, 0, sizeof(*out));
	if ((sp.fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return fail(err, errlen, "%s", strerror(errno));
	if (fstat(sp.fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		fail(err, errlen, "not a regular file");
		goto out;
	}
	if (sb.st_size == 0) {
		fail(err, errlen, "the file is empty");
		goto out;
	}
	bytes = out->bytes = sb.st_size;
	/* Quiet: a damaged recording would fill the terminal; the one line
	 * of err says what matters. */
	av_log_set_level(AV_LOG_QUIET);
	/* A fragmented MP4 read whole would be walked fragment by fragment;
	 * its head and tail say all the fast probe needs (whole fragments:
	 * nothing in them is cut). Should they not read (a crafted file can
	 * look like one), the file is read as usual. */
	if (mode != SEGPROBE_DEEP && fragtail_find(sp.fd, sb.st_size, &ft) == 1) {
		ret = probe_input(path, &sp, mode == SEGPROBE_HEAD ? mode : SEGPROBE_DEEP,
		    out, err, errlen);
		out->read_bytes += ft.read_bytes;
		if (ret == 0 || mode == SEGPROBE_GROWING)
			goto out;
		memset(out, 0, sizeof(*out));
		out->bytes = bytes;
	} else if (mode == SEGPROBE_GROWING && (rc = mp4_kind(sp.fd, sb.st_size)) != 0) {
		fail(err, errlen, "%s", rc == 2 ?
		    "a fragmented MP4 being written, with no whole fragment yet" :
		    "an MP4 being written cannot be read yet: a plain MP4's index"
		    " (moov) is written when it is closed");
		goto out;
	}
	ret = probe_input(path, NULL, mode, out, err, errlen);
out:
	close(sp.fd);
	return ret;
}
