/* Loading libav* with dlopen: a table of function pointers filled by dlsym. */
#include "config.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "avlib.h"
#include "lib/log.h"
#include "lib/util.h"
#include "lib/banned.h"

enum { LIB_UTIL, LIB_CODEC, LIB_FORMAT };

/* The sonames are those of the headers built against: another major
 * version has other structure layouts. */
static const struct {
	const char	*soname;
	unsigned	 major, minor;
} libs[] = {
	[LIB_UTIL] = { "libavutil.so." AV_STRINGIFY(LIBAVUTIL_VERSION_MAJOR),
	    LIBAVUTIL_VERSION_MAJOR, LIBAVUTIL_VERSION_MINOR },
	[LIB_CODEC] = { "libavcodec.so." AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR),
	    LIBAVCODEC_VERSION_MAJOR, LIBAVCODEC_VERSION_MINOR },
	[LIB_FORMAT] = { "libavformat.so." AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR),
	    LIBAVFORMAT_VERSION_MAJOR, LIBAVFORMAT_VERSION_MINOR },
};

#define SYM(lib, f)	{ lib, #f, offsetof(struct avlib, f) }
static const struct {
	int		 lib;
	const char	*name;
	size_t		 off;
} syms[] = {
	SYM(LIB_UTIL, avutil_version), SYM(LIB_UTIL, av_dict_set),
	SYM(LIB_UTIL, av_dict_free), SYM(LIB_UTIL, av_strerror),
	SYM(LIB_UTIL, av_log_set_callback), SYM(LIB_UTIL, av_log_format_line2),
	SYM(LIB_CODEC, avcodec_version), SYM(LIB_CODEC, av_packet_alloc),
	SYM(LIB_CODEC, av_packet_free), SYM(LIB_CODEC, av_packet_unref),
	SYM(LIB_CODEC, av_packet_move_ref), SYM(LIB_CODEC, av_packet_get_side_data),
	SYM(LIB_CODEC, avcodec_get_name),
	SYM(LIB_FORMAT, avformat_version), SYM(LIB_FORMAT, avformat_alloc_context),
	SYM(LIB_FORMAT, av_find_input_format),
	SYM(LIB_FORMAT, avformat_open_input), SYM(LIB_FORMAT, avformat_find_stream_info),
	SYM(LIB_FORMAT, av_read_frame), SYM(LIB_FORMAT, avformat_close_input),
};

struct avlib avlib;
static pthread_once_t av_once = PTHREAD_ONCE_INIT;
static int av_ready;
static char av_why[512];	/* why not, when !av_ready */

/* libav's messages go to the debug log: what matters, we say ourselves. */
static void
av_log_cb(void *avcl, int level, const char *fmt, va_list ap)
{
	char line[512];
	int prefix = 1;

	if (level > AV_LOG_WARNING || log_get_level() < LOG_LVL_DEBUG)
		return;
	if (avlib.av_log_format_line2(avcl, level, fmt, ap, line, sizeof(line), &prefix) < 0)
		return;
	line[strcspn(line, "\n")] = '\0';
	log_debug("libav: %s", line);
}

/* Nothing is ever dlclose()d, on failure neither: the constructors of
 * ~135 libraries ran and may have left state (threads, atexit handlers)
 * that unloading would pull from under them. A failed load is an
 * installation problem, paid once. */
static void
av_load(void)
{
	void *h[nitems(libs)] = { NULL };
	unsigned v[nitems(libs)];

	for (size_t i = 0; i < nitems(libs); i++)
		if ((h[i] = dlopen(libs[i].soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
			snprintf(av_why, sizeof(av_why), "cannot load %s: %s",
			    libs[i].soname, dlerror());
			return;
		}
	for (size_t i = 0; i < nitems(syms); i++) {
		void *p = dlsym(h[syms[i].lib], syms[i].name);

		if (p == NULL) {
			snprintf(av_why, sizeof(av_why), "%s has no %s",
			    libs[syms[i].lib].soname, syms[i].name);
			return;
		}
		memcpy((char *)&avlib + syms[i].off, &p, sizeof(p));
	}
	v[LIB_UTIL] = avlib.avutil_version();
	v[LIB_CODEC] = avlib.avcodec_version();
	v[LIB_FORMAT] = avlib.avformat_version();
	for (size_t i = 0; i < nitems(libs); i++)
		if (v[i] >> 16 != libs[i].major || (v[i] >> 8 & 0xff) < libs[i].minor) {
			snprintf(av_why, sizeof(av_why), "%s is version %u.%u, built for "
			    "%u.%u or a later %u.x", libs[i].soname, v[i] >> 16,
			    v[i] >> 8 & 0xff, libs[i].major, libs[i].minor, libs[i].major);
			return;
		}
	avlib.av_log_set_callback(av_log_cb);
	av_ready = 1;
}

int
avlib_load(const char **why)
{
	if (pthread_once(&av_once, av_load) != 0) {
		*why = "pthread_once failed";
		return -1;
	}
	if (!av_ready) {
		*why = av_why;
		return -1;
	}
	return 0;
}
