/*
 * libavformat, libavcodec and libavutil loaded at run time, for the remux
 * engine's fallback reader. Linked, they would bring ~135 shared libraries
 * and ~26 MB of RSS into every program that links the media library, which
 * mostly never reads a segment that needs them. Compiled against the -dev headers
 * (types, sonames); nothing is linked. Internal to the media library.
 */
#ifndef ARCHIVED_AVLIB_H
#define ARCHIVED_AVLIB_H

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>

/* The functions used, typed by the headers: call avlib.f(...). */
#define AVLIB_FN(f)	__typeof__(f) *f
struct avlib {
	AVLIB_FN(avutil_version);
	AVLIB_FN(av_dict_set);
	AVLIB_FN(av_dict_free);
	AVLIB_FN(av_strerror);
	AVLIB_FN(av_log_set_callback);
	AVLIB_FN(av_log_format_line2);
	AVLIB_FN(avcodec_version);
	AVLIB_FN(av_packet_alloc);
	AVLIB_FN(av_packet_free);
	AVLIB_FN(av_packet_unref);
	AVLIB_FN(av_packet_move_ref);
	AVLIB_FN(av_packet_get_side_data);
	AVLIB_FN(avcodec_get_name);
	AVLIB_FN(avformat_version);
	AVLIB_FN(avformat_alloc_context);
	AVLIB_FN(av_find_input_format);
	AVLIB_FN(avformat_open_input);
	AVLIB_FN(avformat_find_stream_info);
	AVLIB_FN(av_read_frame);
	AVLIB_FN(avformat_close_input);
};

/* Filled by the first successful avlib_load(); read-only after it. */
extern struct avlib avlib;

/*
 * Load the libraries (once per process, thread-safe; they stay loaded)
 * and check that their major versions are the headers'. 0 when avlib is
 * usable, else -1 with *why saying why (static text).
 */
int	 avlib_load(const char **why);

#endif
