#include "config.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "kick.h"
#include "log.h"
#include "util.h"
#include "banned.h"

static int
kick_addr(const char *run_dir, const char *name, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if ((size_t)snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s",
	    run_dir, name) >= sizeof(sun->sun_path))
		return -1;
	return 0;
}

int
kick_send(const char *run_dir, const char *name)
{
	struct sockaddr_un sun;
	int fd, ret;

	if (kick_addr(run_dir, name, &sun) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	ret = sendto(fd, "k", 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
	    sizeof(sun)) == 1 ? 0 : -1;
	close(fd);
	return ret;
}

int
kick_listen(const char *run_dir, const char *name)
{
	struct sockaddr_un sun;
	mode_t old;
	int fd;

	if (kick_addr(run_dir, name, &sun) == -1)
		return error("kick socket path too long: '%s/%s'", run_dir, name);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("socket");
		return -1;
	}
	(void)unlink(sun.sun_path);
	/* Group-writable: the responder may run as the web server's user. */
	old = umask(007);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		log_warn("cannot bind kick socket '%s'", sun.sun_path);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

int
kick_drain(int fd)
{
	char b[16];
	int n = 0;

	while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
		n++;
	return n;
}

/* The notification channel that carries a kick socket's wake-ups. */
static const char *
kick_channel(const char *name)
{
	return strcmp(name, KICK_WORKER) == 0 ? "archived_worker" : "archived_pushd";
}

void
kick_wake(struct db *db, const char *run_dir, const char *name)
{
	(void)kick_send(run_dir, name);
	if (db != NULL && db_engine(db) == DB_POSTGRESQL)
		(void)db_notify(db, kick_channel(name));
}

struct relay {
	char		*database;
	char		*run_dir;
	const char	*name;
};

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	sigset_t all;
	int backoff = 1;

	/* The program's signals are its main thread's. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct db *db = db_open(r->database, 0);
		struct pollfd pfd = { .fd = -1, .events = POLLIN };

		if (db != NULL && (pfd.fd = db_listen(db, kick_channel(r->name))) != -1) {
			backoff = 1;
			/* Whatever was missed while not listening. */
			(void)kick_send(r->run_dir, r->name);
			while (poll(&pfd, 1, -1) >= 0 || errno == EINTR) {
				int n = db_notifications(db);

				if (n == -1)
					break;
				if (n > 0)
					(void)kick_send(r->run_dir, r->name);
			}
			log_warnx("lost the database's wake-ups (%s); polling until"
			    " they are back", db_errmsg(db));
		}
		db_close(db);
		sleep((unsigned)backoff);
		if (backoff < 30)
			backoff *= 2;
	}
	return NULL;
}

int
kick_relay_start(const struct conf *c, const char *name)
{
	struct relay *r;
	pthread_attr_t attr;
	pthread_t t;
	int rc;

	if (!db_is_url(c->database))
		return 0;
	r = xcalloc(1, sizeof(*r));
	r->database = xstrdup(c->database);
	r->run_dir = xstrdup(c->run_dir);
	r->name = name;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&t, &attr, relay_main, r);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		free(r->database);
		free(r->run_dir);
		free(r);
		return error("cannot start the wake-up relay");
	}
	return 0;
}
