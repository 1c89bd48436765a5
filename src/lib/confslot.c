#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "confslot.h"
#include "db.h"
#include "log.h"
#include "banned.h"

int
confslot_fill(struct conf *c, struct db *db, const char *db_path)
{
	struct db *own = NULL;
	int ret;

	if (db == NULL || db_path == NULL || strcmp(db_path, c->database) != 0) {
		if ((own = db_open_checked(c)) == NULL)
			return -1;
		db = own;
	}
	ret = db_load_secrets(db, c);
	db_close(own);
	return ret;
}

void
confslot_init(struct confslot *s, struct conf *c)
{
	pthread_mutex_init(&s->lock, NULL);
	s->cur = c;
	s->tried = c->file;
}

void
confslot_release(struct confslot *s)
{
	conf_free(s->cur);
	s->cur = NULL;
	pthread_mutex_destroy(&s->lock);
}

struct conf *
confslot_get(struct confslot *s)
{
	struct conf *c;

	pthread_mutex_lock(&s->lock);
	c = conf_ref(s->cur);
	pthread_mutex_unlock(&s->lock);
	return c;
}

/* Has the file changed since it was last loaded or tried? A bad edit is
 * reported once, not at every check. */
static int
changed(struct confslot *s, const char *path)
{
	struct conf_file f;

	if (path == NULL || conf_file_stat(path, &f) == -1 ||
	    (f.mtime_ns == s->tried.mtime_ns && f.size == s->tried.size &&
	    f.ino == s->tried.ino))
		return 0;
	s->tried = f;
	return 1;
}

int
confslot_reload(struct confslot *s, const char *flag, struct db *db, int force)
{
	struct conf *old = confslot_get(s), *fresh = NULL;
	char err[512];
	int ret = -1;

	if (!force && !changed(s, old->path)) {
		conf_free(old);
		return 0;
	}
	fresh = old->path != NULL ? conf_load(old->path, 1, err, sizeof(err)) :
	    conf_load_start(flag, err, sizeof(err));
	if (fresh == NULL) {
		log_warnx("configuration not reloaded, the old one stays: %s", err);
		goto out;
	}
	if (confslot_fill(fresh, db, old->database) == -1) {
		char *shown = db_shown(fresh->database);

		log_warnx("configuration not reloaded, the old one stays:"
		    " cannot read the settings of '%s'", shown);
		free(shown);
		goto out;
	}
	if (s->accept != NULL && s->accept(old, fresh, err, sizeof(err)) == -1) {
		log_warnx("configuration not reloaded, the old one stays: %s", err);
		goto out;
	}
	pthread_mutex_lock(&s->lock);
	conf_free(s->cur);	/* the slot's reference; old still holds one */
	s->cur = fresh;
	conf_apply(fresh);
	pthread_mutex_unlock(&s->lock);
	fresh = NULL;
	log_info("configuration reloaded from '%s'", old->path ? old->path : "defaults");
	ret = 1;
out:
	conf_free(fresh);
	conf_free(old);
	return ret;
}
