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

#endif
