/* The outbox: events written in the same transaction as the state change
 * that causes them, delivered by archive-pushd from the table. */
#ifndef ARCHIVED_EVENTS_H
#define ARCHIVED_EVENTS_H

#include <jansson.h>
#include <stdint.h>

struct db;

struct conf;

#define EV_GENERATED	"archive_generated"
#define EV_PROGRESS	"archive_progress"
#define EV_EXPIRED	"archive_expired"

/*
 * Insert an event about download id for its owner and the token that asked.
 * The stored payload is {"type", "status", "data": {"url", "download"}};
 * pushd adds "event_id" and the Pusher envelope. Must run inside the
 * caller's transaction. Returns the event id, or -1.
 */
int64_t	 event_insert(struct db *db, const struct conf *c, int64_t download_id,
	    const char *type, int ok);

/*
 * Which channel carries an event of type, as the product sends them:
 * archive_generated on private-token.<id> only (TokenPush), unless
 * pusher.generated_on_user_channel adds the user's copy; the others on
 * private-user.<id> only (UserPush). 1 yes, 0 no.
 */
int	 event_on_token_channel(const struct conf *c, const char *type);
int	 event_on_user_channel(const struct conf *c, const char *type);

/* The JSON string pushd sends as a Pusher event's data:
 * {"data": {type, status, event_id, data}, "subject": null, "message": null}.
 * Caller frees. */
char	*event_envelope(int64_t event_id, const char *payload);

#endif
