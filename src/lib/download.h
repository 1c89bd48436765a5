/* The download: one requested export, its row and its JSON object. */
#ifndef ARCHIVED_DOWNLOAD_H
#define ARCHIVED_DOWNLOAD_H

#include <jansson.h>
#include <stdint.h>

struct db;

struct conf;
struct principal;

/* The path of a download's file endpoint; out holds 64 bytes. */
void	 download_file_path(int64_t id, char out[64]);

/* "<label>, file.<YYYYMMDD-HHMMSS>-<HHMMSS>.mp4" with '/', quotes and
 * control characters replaced. Caller frees. */
char	*download_make_name(const char *label, int64_t from, int64_t to);

/* The download object (SPEC section 2), stream and camera nested. NULL if
 * there is no such download. Caller json_decref()s. */
json_t	*download_to_json(struct db *db, const struct conf *c, int64_t id);

/* The signed link of download id's file (its link key included), valid
 * until expires (unix seconds), whether or not the file exists yet. NULL
 * if there is no such download. Caller frees. */
char	*download_link(struct db *db, const struct conf *c, int64_t id, int64_t expires);
/* Does key (from a link's k=) open download id? 1 yes, 0 no, -1 error. */
int	 download_key_matches(struct db *db, int64_t id, const char *key);

/* The apps' history item: the download object with user_id, user {id,
 * login, name}, attributes [], status (the condition) and the short
 * stream instead of the full one. NULL if there is no such download. */
json_t	*download_to_client_json(struct db *db, const struct conf *c, int64_t id);

/* Is download id visible to p (its owner, or an admin)? 1 yes, 0 no, -1
 * error. app: as the apps see it, without what they removed from their
 * history. */
int	 download_visible(struct db *db, const struct principal *p, int64_t id,
	    int app);

/* Which downloads a list shows; 0 or NULL fields do not filter. */
struct download_filter {
	int64_t		 user_id;	/* the caller: its own downloads... */
	int		 is_admin;	/* ...or every user's */
	int64_t		 stream_id, camera_id;
	const char	*condition;
	int64_t		 from, to;	/* created_at, inclusive */
	int		 app;		/* leave out what the apps removed */
};

/* One page of the ids a filter selects, newest first, and how many it
 * selects in all. *ids (caller frees) holds *n ids. 0, or -1 logged. */
int	 download_list(struct db *db, const struct download_filter *f,
	    int64_t offset, int64_t limit, int64_t **ids, size_t *n, int64_t *total);

enum dl_create { DL_CREATED, DL_TOO_MANY, DL_ERROR };

/* Insert one pending download per stream (ids[i] for streams[i]) in one
 * transaction, refusing all when the user would exceed max_pending
 * unfinished ones. */
enum dl_create download_create(struct db *db, const struct conf *c,
	    const struct principal *p, const int64_t *streams, size_t n,
	    int64_t from, int64_t to, int64_t *ids);

/* Queue the same range again. A pending or processing download is left as
 * it is. Any old file is unlinked after the commit. */
enum dl_create download_repeat(struct db *db, const struct conf *c,
	    const struct principal *p, int64_t id);

/* Cancel (pending, processing) or withdraw (active) a download: the row
 * is marked first, the file unlinked after, then the row finished; a
 * crash in between leaves a row that cleanup completes. */
int	 download_cancel(struct db *db, const struct conf *c, int64_t id);
/* The apps' delete: cancel as above and leave the apps' history. */
int	 download_cancel_hide(struct db *db, const struct conf *c, int64_t id);

/* Unlink the file of a row already marked cancelled/expired, then record
 * it gone. Used by cancel and by the expiry sweep. 0 done, 1 left for the
 * node that holds the file (its sweep does it), -1 error. */
int	 download_remove_file(struct db *db, const struct conf *c, int64_t id);

#endif
