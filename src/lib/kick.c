#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "kick.h"
#include "log.h"
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
