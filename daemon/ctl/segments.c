/* archivectl segments list and prune, and what the recording commands share. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "lib/conf.h"
#include "segments.h"
#include "lib/db.h"
#include "lib/model.h"
#include "recordings/segindex.h"
#include "lib/timefmt.h"
#include "lib/util.h"
#include "lib/banned.h"


int
ctl_stream_check(struct db *db, const char *cmd, int64_t stream_id)
{
	int64_t camera;

	switch (stream_exists(db, stream_id, &camera)) {
	case 1:
		return 0;
	case 0:
		return ctl_fail("%s: --stream: no stream %lld", cmd, (long long)stream_id);
	default:
		return ctl_fail("%s: cannot read stream %lld", cmd, (long long)stream_id);
	}
}

void
ctl_format_time(int64_t us, char out[24])
{
	char base[TIME_LOCAL_LEN];
	int64_t ms = ((us % USEC_PER_SEC) + USEC_PER_SEC) % USEC_PER_SEC / 1000;

	time_format_local(us, base);
	snprintf(out, 24, "%s.%03d", base, (int)ms);
}

/* ---- segments list ---- */

struct span {
	int64_t	 from, to;
	int	 segments;
	int64_t	 bytes;
};

struct listing {
	struct ctl	*ctl;
	int64_t		 from, to;
	int		 has_from, has_to;
	int		 with_segments;
	struct buf	 lines;		/* the current interval's segments, as text */
	struct span	 cur;
	int		 have;
	int		 nintervals;
	int64_t		 recorded;
	int64_t		 last_end;	/* of the previous interval, for the gap */
	json_t		*intervals, *gaps, *segments;
};

/* One tab-separated line: what, from, to, seconds[, extra]. */
static void
span_line(struct buf *b, const char *what, int64_t from, int64_t to,
    const char *extra)
{
	char f[24], t[24];

	ctl_format_time(from, f);
	ctl_format_time(to, t);
	buf_printf(b, "%s\t%s\t%s\t%.3f s%s%s\n", what, f, t, (to - from) / 1e6,
	    extra[0] ? "\t" : "", extra);
}

static void
print_span(const char *what, int64_t from, int64_t to, const char *extra)
{
	struct buf b;

	buf_init(&b);
	span_line(&b, what, from, to, extra);
	fputs(b.data, stdout);
	buf_release(&b);
}

static json_t *
span_json(int64_t from, int64_t to)
{
	char f[24], t[24];

	ctl_format_time(from, f);
	ctl_format_time(to, t);
	return json_pack("{s:s, s:s, s:I, s:I, s:f}", "from", f, "to", t,
	    "from_us", (json_int_t)from, "to_us", (json_int_t)to,
	    "duration", (to - from) / 1e6);
}

static void
gap(struct listing *l, int64_t from, int64_t to)
{
	if (to <= from)
		return;
	if (l->ctl->json)
		json_array_append_new(l->gaps, span_json(from, to));
	else
		print_span("gap", from, to, "");
}

/* The interval in l->cur is complete. */
static void
flush(struct listing *l)
{
	char extra[64];

	if (!l->have)
		return;
	if (l->nintervals > 0 || l->has_from)
		gap(l, l->nintervals == 0 ? l->from : l->last_end, l->cur.from);
	if (l->ctl->json) {
		json_t *o = span_json(l->cur.from, l->cur.to);

		json_object_set_new(o, "segments", json_integer(l->cur.segments));
		json_object_set_new(o, "bytes", json_integer(l->cur.bytes));
		json_array_append_new(l->intervals, o);
	} else {
		snprintf(extra, sizeof(extra), "%d segment%s", l->cur.segments,
		    l->cur.segments == 1 ? "" : "s");
		print_span("recorded", l->cur.from, l->cur.to, extra);
		if (l->lines.len > 0)
			fputs(l->lines.data, stdout);
	}
	buf_release(&l->lines);
	buf_init(&l->lines);
	l->recorded += l->cur.to - l->cur.from;
	l->last_end = l->cur.to;
	l->nintervals++;
	l->have = 0;
}

static int
list_row(void *arg, const struct seg_row *row)
{
	struct listing *l = arg;
	int64_t s = row->start_us < l->from ? l->from : row->start_us;
	int64_t e = row->end_us > l->to ? l->to : row->end_us;

	/* The API's rule: segments closer than a second are one interval. */
	if (l->have && s > l->cur.to + MODEL_JOIN_US)
		flush(l);
	if (!l->have) {
		l->cur = (struct span){ s, e, 0, 0 };
		l->have = 1;
	}
	if (e > l->cur.to)
		l->cur.to = e;
	l->cur.segments++;
	l->cur.bytes += row->bytes;
	if (!l->with_segments)
		return 0;
	if (l->ctl->json) {
		json_t *o = span_json(row->start_us, row->end_us);

		json_object_update_new(o, json_pack("{s:I, s:s, s:I, s:s, s:i, s:i, s:b}",
		    "id", (json_int_t)row->id, "path", row->path,
		    "bytes", (json_int_t)row->bytes, "codec", row->codec,
		    "width", row->width, "height", row->height,
		    "has_audio", row->has_audio));
		json_array_append_new(l->segments, o);
	} else {
		char extra[4096];

		snprintf(extra, sizeof(extra), "%lld\t%lld bytes\t%s %dx%d%s\t%s",
		    (long long)row->id, (long long)row->bytes, row->codec, row->width,
		    row->height, row->has_audio ? " audio" : "", row->path);
		span_line(&l->lines, "  segment", row->start_us, row->end_us, extra);
	}
	return 0;
}

static int
list_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *cmd = "segments list";
	struct listing l = {
		.ctl = ctl,
		.from = ctl_num(args, "from"),
		.to = ctl_has(args, "to") ? ctl_num(args, "to") : INT64_MAX,
		.has_from = ctl_has(args, "from"),
		.has_to = ctl_has(args, "to"),
		.with_segments = ctl_has(args, "segments"),
	};
	long long stream = ctl_num(args, "stream");
	int ret;

	if (l.to <= l.from)
		return ctl_usage_error("%s: --to must be after --from", cmd);
	if (ctl_stream_check(db, cmd, stream) != 0)
		return 1;
	if (ctl->json) {
		l.intervals = json_array();
		l.gaps = json_array();
		l.segments = l.with_segments ? json_array() : NULL;
	}
	l.last_end = l.from;
	buf_init(&l.lines);
	ret = segindex_foreach(db, stream, l.from, l.to, list_row, &l);
	flush(&l);
	buf_release(&l.lines);
	if (l.has_to && (l.nintervals > 0 || l.has_from))
		gap(&l, l.nintervals == 0 ? l.from : l.last_end, l.to);
	if (ctl->json) {
		json_t *o = json_pack("{s:I, s:o, s:o, s:f}", "stream_id",
		    (json_int_t)stream, "intervals", l.intervals, "gaps", l.gaps,
		    "recorded", l.recorded / 1e6);

		if (l.segments != NULL)
			json_object_set_new(o, "segments", l.segments);
		ctl_json_print(o, JSON_INDENT(2));
	} else if (l.nintervals == 0)
		fprintf(stderr, "archivectl: %s: stream %lld has no recording%s\n",
		    cmd, stream, l.has_from || l.has_to ? " in that range" : "");
	if (ret != 0)
		return ctl_fail("%s: cannot read the segments of stream %lld", cmd, stream);
	return 0;
}

const struct ctl_cmd ctl_cmd_segments_list = {
	.name = "segments list",
	.usage = "--stream ID [--from T] [--to T] [--segments]",
	.help = "show a stream's recorded intervals and the gaps between them"
	    " (--segments: every file)",
	.opts = (const struct ctl_opt[]){
		{ .name = "stream", .type = CTL_ID, .required = 1 },
		{ .name = "from", .type = CTL_TIME },
		{ .name = "to", .type = CTL_TIME },
		{ .name = "segments" },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = list_run,
};

/* ---- segments prune ---- */

static const struct {
	char	 unit;
	int64_t	 seconds;
} age_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 }, { 'w', 604800 },
};

/* "30d", "12h", "90m", "3600s", "2w": seconds; -1 if not an age. */
static int64_t
parse_age(const char *s)
{
	size_t len = strlen(s);
	char num[32];
	int64_t v;

	if (len < 2 || len >= sizeof(num))
		return -1;
	for (size_t i = 0; i < nitems(age_units); i++) {
		if (s[len - 1] != age_units[i].unit)
			continue;
		memcpy(num, s, len - 1);
		num[len - 1] = '\0';
		if (parse_i64(num, &v) == -1 || v < 0 || v > INT64_MAX / USEC_PER_SEC /
		    age_units[i].seconds)
			return -1;
		return v * age_units[i].seconds;
	}
	return -1;
}

static int
prune_run(struct ctl *ctl, struct db *db, struct ctl_args *args)
{
	const char *cmd = "segments prune", *older = ctl_str(args, "older-than");
	struct segindex_prune_stats st;
	long long stream = ctl_num(args, "stream");
	int64_t before, age;
	int dry = ctl_has(args, "dry-run");
	char when[TIME_LOCAL_LEN];

	if ((age = parse_age(older)) >= 0)
		before = now_us() - age * USEC_PER_SEC;
	else if (time_parse(older, 1, &before) != TIME_OK)
		return ctl_usage_error("%s: --older-than: '%s' is neither an age"
		    " (30d, 12h, 90m, 3600s, 2w) nor a time (YYYY-MM-DD HH:MM:SS)",
		    cmd, older);
	if (stream != 0 && ctl_stream_check(db, cmd, stream) != 0)
		return 1;
	if (segindex_prune(db, stream, before, dry, &st) == -1)
		return ctl_fail("%s: cannot prune the index; nothing was deleted", cmd);
	time_format_local(before, when);
	if (ctl->json)
		ctl_json_print(json_pack("{s:b, s:s, s:i, s:I, s:i, s:i}", "dry_run",
		    dry, "before", when, "deleted", st.deleted, "bytes",
		    (json_int_t)st.bytes, "pinned", st.pinned, "errors", st.errors),
		    JSON_COMPACT);
	fprintf(stderr, "archivectl: %s: %s %d segment%s (%.1f MB) that ended by %s;"
	    " kept %d needed by pending or processing downloads\n", cmd,
	    dry ? "would delete" : "deleted", st.deleted, st.deleted == 1 ? "" : "s",
	    st.bytes / 1e6, when, st.pinned);
	if (st.errors > 0)
		return ctl_fail("%s: %d file%s could not be removed (see above);"
		    " their rows are gone", cmd, st.errors, st.errors == 1 ? "" : "s");
	return 0;
}

const struct ctl_cmd ctl_cmd_segments_prune = {
	.name = "segments prune",
	.usage = "--older-than AGE|TIME [--stream ID] [--dry-run]",
	.help = "delete recordings that ended before AGE ago (30d, 12h) or TIME,"
	    " except those a pending or processing download needs",
	.opts = (const struct ctl_opt[]){
		{ .name = "older-than", .type = CTL_STRING, .required = 1,
		    .hint = "an age such as 30d, 12h, 90m, or a time" },
		{ .name = "stream", .type = CTL_ID },
		{ .name = "dry-run" },
		{ .name = NULL },
	},
	.needs_db = 1,
	.run = prune_run,
};
