/* The remux engine: recorded segment files -> one MP4, samples copied bit
 * for bit, never re-encoded. It reads MPEG-TS, MP4 and fragmented MP4
 * itself, anything else libavformat demuxes through a fallback loaded on
 * first need (demux_lavf.c), and writes the MP4 itself, in memory that does
 * not grow with the length of the range. One job per call; separate jobs
 * may run in threads. */
#ifndef ARCHIVED_REMUX_H
#define ARCHIVED_REMUX_H

#include <stddef.h>
#include <stdint.h>

/* One recorded file as the index knows it. Borrowed by the engine. */
struct remux_segment {
	const char	*path;
	int64_t		 start_us;	/* wall clock (UTC us) of its first video frame */
	int64_t		 end_us;	/* wall clock of its end */
	int64_t		 bytes;		/* file size; 0 = unknown (then stat) */
};

struct remux_job {
	/* Ordered by start_us: those overlapping [from_us, to_us). */
	const struct remux_segment *segs;
	size_t		 nsegs;
	int64_t		 from_us, to_us;	/* wall clock, UTC microseconds */
	const char	*out_path;	/* created or truncated; the caller fsyncs/renames */
	const char	*tmp_dir;	/* spill files (unlinked at once); NULL: out_path's dir */
	/* At most a few times a second: input bytes done / total; nonzero cancels. */
	int		(*progress)(void *arg, int64_t done, int64_t total);
	/* Polled often, also while blocked in a read; nonzero cancels within ~100 ms. */
	int		(*cancelled)(void *arg);
	void		*arg;
};

/* Codes, as the download's error.code shows them. */
#define REMUX_NO_FOOTAGE	"no_footage"	/* nothing recorded (or readable) in the range */
#define REMUX_STREAM_CHANGED	"stream_changed" /* not fatal: the part before the change was written */
#define REMUX_SOUND_LEFT_OUT	"sound_left_out" /* not fatal: sound in a codec MP4 exports do not carry */
#define REMUX_INPUT_ERROR	"input_error"	/* the job itself is unusable (bad range, no segments list) */
#define REMUX_OUTPUT_ERROR	"output_error"	/* cannot write the output or spill files */
#define REMUX_CANCELLED		"cancelled"
#define REMUX_UNSUPPORTED	"unsupported"	/* a codec the MP4 cannot carry as recorded */

struct remux_result {
	int64_t		 duration_us;	/* of the written file's presentation */
	int64_t		 size;		/* bytes of the written file */
	/* Wall-clock [from, to) pieces that went in, in order; gaps between.
	 * Pieces closer than one second are merged. Owned; remux_result_release. */
	int64_t		(*coverage)[2];
	size_t		 ncoverage;
	char		 code[32];	/* "" on success, else one of REMUX_* */
	char		 message[256];	/* for operators: what failed, on which file */
};

/*
 * Write the MP4 of job's range to job->out_path. Returns 0 when the file is
 * written (res->code is "", "stream_changed" or "sound_left_out"), -1 on failure (res->code
 * says why; no output file is left behind). res is always initialised and
 * must be released with remux_result_release().
 */
int	 remux_run(const struct remux_job *job, struct remux_result *res);
void	 remux_result_release(struct remux_result *res);

#endif
