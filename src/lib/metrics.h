/* What an operator watches: the Prometheus text of /metrics and the
 * verdict of /api/health, both read from the database (the daemons'
 * own numbers arrive there with their heartbeats, heartbeat.h). */
#ifndef ARCHIVED_METRICS_H
#define ARCHIVED_METRICS_H

#include <jansson.h>

struct db;

struct buf;
struct conf;

/* Append the Prometheus text exposition (format 0.0.4) to out. 0, or -1
 * logged (out then holds a partial text the caller drops). */
int	 metrics_render(struct db *db, const struct conf *c, struct buf *out);

/* Is the service well? 1 yes, 0 no, -1 the database cannot be read or
 * written; *body (caller json_decref()s) says what was checked:
 * {"status", "reason"?, "database", "daemons": [{name, host, age}]}. */
int	 health_check(struct db *db, const struct conf *c, json_t **body);

/* Is addr (an IPv4 or IPv6 text address) in list, a comma- or
 * space-separated list of addresses and CIDR prefixes? 1 yes, 0 no. */
int	 addr_in_list(const char *addr, const char *list);

#endif
