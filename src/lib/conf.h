/* Configuration: one libconfig file, every key in one table with its
 * default. With no file, embedded defaults put everything under data_dir. */
#ifndef ARCHIVED_CONF_H
#define ARCHIVED_CONF_H

#include <stddef.h>
#include <stdint.h>

/* Which version of a file was read: an edit changes one of these. */
struct conf_file {
	int64_t	 mtime_ns, size;
	uint64_t ino;
};

struct conf {
	char	*path;			/* file read, or NULL for defaults */
	int	 refs;			/* conf_ref/conf_free; 1 when loaded */
	struct conf_file file;		/* as it was read */

	char	*data_dir;
	char	*database;
	char	*downloads_dir;
	char	*run_dir;		/* kick sockets */
	char	*node;			/* this recording server; "" when alone */
	int	 shared_storage;	/* every node sees every recording */
	int64_t	 node_timeout;		/* seconds a node may be down before its jobs fail */
	char	*timezone;
	char	*public_url;		/* no trailing slash */
	char	*licence_file;		/* NULL: no licence check */
	char	*url_key;		/* NULL: taken from the database */
	char	*sendfile;		/* "x-sendfile" or "x-accel-redirect" */
	char	*sendfile_prefix;
	char	*log_level;
	char	*log_file;		/* NULL: stderr, or syslog where stderr goes nowhere */

	int64_t	 download_ttl;		/* seconds */
	int64_t	 max_range;		/* seconds */
	int64_t	 footage_wait;		/* seconds after "to" */
	int64_t	 token_ttl;		/* seconds, login tokens */
	int	 max_pending;
	int	 workers;
	int	 max_attempts;
	int	 poll_interval_ms;
	int	 lease_seconds;
	int	 shutdown_grace;
	int	 login_failures;	/* per login per minute before 429 */
	int	 login_rate;		/* login attempts per address per minute */
	int	 login_concurrency;	/* passwords hashed at once, per host */
	int	 wsurl_limit;		/* per address per 5 minutes */
	int	 metrics;		/* serve /metrics */
	char	*metrics_allow;		/* addresses and prefixes it answers */
	int	 health_stale;		/* seconds of daemon silence before 503 */
	char	*health_daemons;	/* the daemons /api/health requires */

	struct {
		char	*app_id;
		char	*key;		/* NULL: taken from the database */
		char	*secret;	/* NULL: taken from the database */
		char	*listen;
		char	*path;		/* the apps' WebSocket prefix, "/ws" */
		char	**allowed_origins;
		size_t	 n_origins;
		int64_t	 event_retention;
		int	 activity_timeout;
		int	 max_connections_per_user;
		int	 max_connections_per_address;
		int	 max_frame;
		/* archive_generated also on private-user (the product sends it
		 * on the token's channel only). */
		int	 generated_on_user_channel;
	} pusher;
};

/* The identity of path now; 0, or -1 if it cannot be stat'ed. */
int	 conf_file_stat(const char *path, struct conf_file *f);

/* The file to read: --config, else $ARCHIVED_CONFIG, else the default. */
const char *conf_default_path(const char *flag);

/* Load path (NULL or a missing default file: embedded defaults only).
 * On error returns NULL and writes one line naming the key and its line
 * into err. must_exist: a missing file is an error. Caller conf_free()s. */
struct conf *conf_load(const char *path, int must_exist, char *err, size_t errlen);
/* Configurations are shared read-only once published (see confslot.h):
 * conf_ref() takes another reference, conf_free() drops one and frees the
 * last. */
struct conf *conf_ref(struct conf *c);
void	 conf_free(struct conf *c);
/* What a program loads at start: the file named by flag (--config), else
 * $ARCHIVED_CONFIG (both must exist), else the default file if present. */
struct conf *conf_load_start(const char *flag, char *err, size_t errlen);

/* Point TZ at the configured zone so local-time calls agree on every host. */
int	 conf_apply_timezone(const struct conf *c);
/* What a configuration sets process-wide: the time zone and the log level. */
void	 conf_apply(const struct conf *c);

/* Write every key with its value, as a libconfig file, to stdout. */
void	 conf_dump(const struct conf *c);

/* Is origin allowed by pusher.allowed_origins? */
int	 conf_origin_allowed(const struct conf *c, const char *origin);
/* A node's name: 1 to 63 of [A-Za-z0-9._-]. */
int	 conf_node_name_ok(const char *name);
/* Does this node hold the recordings and archives of node (its own, or
 * every node's on shared storage)? */
int	 conf_holds(const struct conf *c, const char *node);

#endif
