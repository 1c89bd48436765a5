/* A program's current configuration, replaced whole on reload. The one
 * reload pattern of the responder, the worker and pushd: a new
 * configuration is loaded and filled completely (the secrets the database
 * holds included) before it is published, so no reader ever sees one
 * half-filled; readers hold a reference, so the old one lives exactly as
 * long as someone still uses it. */
#ifndef ARCHIVED_CONFSLOT_H
#define ARCHIVED_CONFSLOT_H

#include <pthread.h>

#include "conf.h"

struct db;

struct confslot {
	pthread_mutex_t	 lock;
	struct conf	*cur;
	struct conf_file tried;		/* the file last loaded, or tried */
	/* Refuse a reload (the old configuration stays): 0, or -1 with the
	 * reason in err. NULL accepts every valid file. */
	int		(*accept)(const struct conf *old, const struct conf *fresh,
			    char *err, size_t len);
};

/* Fill c's secrets from db, or, where db is NULL or is not c's database,
 * from a connection of its own. 0, or -1 logged. */
int	 confslot_fill(struct conf *c, struct db *db, const char *db_path);

/* Start with c, which must be filled already; the slot takes the
 * reference. */
void	 confslot_init(struct confslot *s, struct conf *c);
void	 confslot_release(struct confslot *s);
/* A reference to the current configuration; conf_free() it when done. */
struct conf *confslot_get(struct confslot *s);
/*
 * Load the file again (the same one, or the one its path names), fill it
 * with db (the caller's connection to the current database, or NULL),
 * check it with accept, then publish it and apply its time zone and log
 * level. 1 replaced, 0 nothing to do (force 0 and the file unchanged
 * since the last load), -1 error: logged, the old configuration stays.
 */
int	 confslot_reload(struct confslot *s, const char *flag, struct db *db,
	    int force);

#endif
