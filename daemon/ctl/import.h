/* segments import, shared by its one-pass (import.c) and --watch
 * (watch.c) halves. */
#ifndef ARCHIVED_CTL_IMPORT_H
#define ARCHIVED_CTL_IMPORT_H

#include <jansson.h>
#include <stdint.h>

#include "recordings/layout.h"
#include "recordings/segindex.h"
#include "recordings/segprobe.h"

struct db;

struct ctl;

#define IMPORT_CMD	"segments import"
#define IMPORT_MAX_DEPTH 16	/* directories below DIR */

/* F_WAIT: a file still being written that cannot be indexed yet. */
enum import_state { F_NEW, F_KNOWN, F_GROWN, F_BAD, F_OTHER_STREAM, F_WAIT };

struct import_file {
	char		*path;		/* resolved: what the index stores */
	char		*shown;		/* as found under DIR, for messages */
	enum import_state	 state;
	int		 growing;	/* still being written (--watch) */
	int		 force;		/* probe again though its size is indexed */
	int		 announce;	/* F_WAIT: say why (once per file) */
	int		 has_name;
	struct layout_time lt;
	struct segprobe	 pr;
	struct seg_row	 old;		/* F_GROWN, F_OTHER_STREAM: the indexed row */
	int64_t		 start_us;
	int		 media_wins;
	const char	*follows;	/* media_wins: the file it continues */
	char		 camera[128];	/* Frigate: the camera directory */
	char		 why[256];	/* F_BAD */
};

struct import {
	struct ctl	*ctl;
	struct db		*db;
	int64_t		 stream;
	enum layout	 layout;
	int		 utc;
	int		 verbose;
	const char	*source;	/* frigate camera, or NULL */
	char		 source_buf[128];
	const char	*dir;
	struct import_file	*files;
	size_t		 n, cap;
	/* the whole run */
	int		 added, known, updated, bad, warned;
	int64_t		 started_us;	/* for the importer's heartbeat */
	int64_t		 busy_us;	/* spent in batches */
	json_t		*problems;	/* --json: [{"path", "problem", "message"}] */
};

/* Every media file under dir (shown: the same, as the user named it),
 * in name order, added to im->files. */
int	 import_walk(struct import *im, const char *dir, const char *shown, int depth);
/* One file, if its name is a recording (and, with --source, of that
 * camera); the entry added, or NULL. */
struct import_file *import_add(struct import *im, const char *path, const char *shown);
/* Frigate keeps every camera under one root, and one stream is one
 * camera: without --source, im->files must hold one camera's files (it
 * becomes the source), else 2 after saying which cameras there are. */
int	 import_check_cameras(struct import *im);
/* Probe, place and store im->files in one transaction, reporting each
 * file skipped or placed by its media. 0, or the exit status. */
int	 import_batch(struct import *im);
/* Forget im->files (after a batch). */
void	 import_clear(struct import *im);
/* The counts so far: a line on stderr, and JSON on stdout with --json. */
void	 import_summary(struct import *im);
/* --watch: the first pass, then every file a recorder writes (as it grows,
 * then once closed), until SIGINT or SIGTERM. 0, or the exit status. */
int	 import_watch(struct import *im);

#endif
