/* Kicks: best-effort UNIX datagrams that wake a daemon early. The database
 * stays the truth; a lost kick costs only a poll interval. */
#ifndef ARCHIVED_KICK_H
#define ARCHIVED_KICK_H

#define KICK_WORKER	"archived.sock"
#define KICK_PUSHD	"pushd.sock"

/* Send one datagram to run_dir/name. Never blocks; failures are ignored
 * (returns -1 only for the caller's curiosity). */
int	 kick_send(const char *run_dir, const char *name);
/* Bind a non-blocking datagram socket at run_dir/name (replacing a stale
 * one). Returns the fd or -1. */
int	 kick_listen(const char *run_dir, const char *name);
/* Read and discard every pending datagram; returns how many. */
int	 kick_drain(int fd);

struct conf;
struct db;

/*
 * Wake name's daemons on every host: the kick on this one, and on
 * PostgreSQL a NOTIFY that the daemons elsewhere hear through their relay.
 * Best-effort, as kicks are.
 */
void	 kick_wake(struct db *db, const char *run_dir, const char *name);
/* On PostgreSQL: a thread with its own connection that LISTENs for name's
 * wake-ups and turns each into a kick on this host (reconnecting when the
 * server goes away). Nothing on SQLite. 0, or -1 logged. */
int	 kick_relay_start(const struct conf *c, const char *name);

#endif
