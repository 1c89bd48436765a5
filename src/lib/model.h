/* Cameras and streams as the product shows them: every field of its
 * objects, with stream.url never carrying credentials. */
#ifndef ARCHIVED_MODEL_H
#define ARCHIVED_MODEL_H

#include <jansson.h>
#include <stdint.h>

#include "util.h"

struct db;

/* The camera object, optionally with its "streams" array. NULL if there
 * is no such camera (or on error, logged). Caller json_decref()s. */
json_t	*camera_to_json(struct db *db, int64_t camera_id, int with_streams);
/* One page of the cameras that are not deleted, by id, as JSON objects
 * with their streams, and how many there are in all. NULL on error. */
json_t	*camera_list_json(struct db *db, int64_t offset, int64_t limit,
	    int64_t *total);
/* The user object of the client API (POST /api/v1/token, users/self), as
 * the product's apps decode it: access_token_id is a string. NULL if the
 * user is gone. */
json_t	*client_user_to_json(struct db *db, int64_t user_id, int64_t token_id);
/* The short stream of the apps' download history: id, type, camera_id,
 * is_preview_from_server, is_archive_from_server, status, has_sound,
 * width, height. NULL if none. */
json_t	*stream_short_json(struct db *db, int64_t stream_id);
/* The stream object with its nested "camera". NULL if none. */
json_t	*stream_to_json(struct db *db, int64_t stream_id);

/* The stream of a camera with the given type ("high"); 1 found, 0 not, -1 error. */
int	 camera_stream_id(struct db *db, int64_t camera_id, const char *type,
	    int64_t *stream_id);
/* 1 if the stream exists (its camera id in *camera_id), 0 if not, -1 error. */
int	 stream_exists(struct db *db, int64_t stream_id, int64_t *camera_id);

/* "<camera address, else name>" for a stream, for archive names. Caller frees. */
char	*stream_label(struct db *db, int64_t stream_id);

/* The id of the camera group named group, made if new; run it inside the
 * caller's transaction. */
int	 camera_group_id(struct db *db, const char *group, int64_t *gid);
int	 camera_create(struct db *db, const char *name, const char *group,
	    const char *address, int64_t *id);
/* node: the recording server that holds its footage ("" when alone). */
int	 stream_create(struct db *db, int64_t camera_id, const char *type,
	    const char *url, const char *node, int64_t *id);

/* Segments closer than this are one recorded interval. */
#define MODEL_JOIN_US USEC_PER_SEC

/* Recorded intervals of a stream within [from, to): [{"from","to"}, ...],
 * with segments closer than join_us merged. */
json_t	*stream_intervals_json(struct db *db, int64_t stream_id, int64_t from,
	    int64_t to, int64_t join_us);

#endif
