/* The responder's pages, one file per resource, and what they share. */
#ifndef ARCHIVED_HANDLERS_H
#define ARCHIVED_HANDLERS_H

#include <jansson.h>
#include <stdint.h>

#include "http.h"

typedef void (*handler_fn)(struct request *r);

/* Route flags. */
#define R_AUTH		0x01	/* Bearer token required */
#define R_LICENCE	0x02	/* licence must allow exports */
#define R_BODY		0x04	/* takes a body */
#define R_SIGNED	0x08	/* a signed URL may stand in for the token */

enum { M_GET = 1, M_POST = 2, M_DELETE = 4, M_PUT = 8, M_PATCH = 16, M_HEAD = 32 };

struct route {
	unsigned	 methods;
	const char	*pattern;	/* "{id}" matches a positive integer */
	unsigned	 flags;
	handler_fn	 handler;
};

/* Match path against the table. Returns the route, or NULL with *allow set
 * to the methods the path takes (0: no such path). Fills r->ids. */
const struct route *route_match(struct request *r, unsigned *allow);
/* Run one request through the checks (405, 413, 401, 402, body) and its
 * handler; the response is left in r. */
void	 route_dispatch(struct request *r);
unsigned method_bit(const char *method);

/* h_auth.c */
void	 h_login(struct request *r);
void	 h_logout(struct request *r);
void	 h_user(struct request *r);
void	 h_client_login(struct request *r);
void	 h_client_logout(struct request *r);
void	 h_users_self(struct request *r);
void	 h_broadcast_auth(struct request *r);
/* h_downloads.c */
void	 h_download_create(struct request *r);
void	 h_download_list(struct request *r);
void	 h_download_show(struct request *r);
void	 h_download_delete(struct request *r);
void	 h_download_repeat(struct request *r);
void	 h_download_file(struct request *r);
/* h_cameras.c */
void	 h_cameras(struct request *r);
void	 h_stream_archive(struct request *r);
/* h_client.c */
void	 h_client_create(struct request *r);
void	 h_client_list(struct request *r);
void	 h_client_delete(struct request *r);
void	 h_client_link(struct request *r);
void	 h_wsurl(struct request *r);
/* h_ops.c */
void	 h_metrics(struct request *r);
void	 h_health(struct request *r);

/* Shared by the handlers. */
void	 respond_db_error(struct request *r);
void	 respond_not_found(struct request *r);
/* page and per_page from the query; a bad value falls back to the
 * default, as Laravel's paginator does. */
void	 page_params(struct request *r, int64_t *page, int64_t *per_page);
/* {"data", "links", "meta"} as Laravel paginates; steals data. */
json_t	*paginate(struct request *r, json_t *data, int64_t total, int64_t page,
	    int64_t per_page);
struct verrors;
enum dl_create;
/* Validate "from" and "to" of a new download (order, max_range). */
void	 validate_range(struct request *r, struct verrors *v, int64_t *from,
	    int64_t *to);
/* How a created download is answered: the admin API's object, or the
 * apps' array of history items. */
enum created_as { AS_OBJECT, AS_APP_ARRAY };
/* Answer the outcome of download_create/repeat: the object(s), 429 or 503. */
void	 respond_create_result(struct request *r, enum dl_create res,
	    const int64_t *ids, size_t n, enum created_as as);
/* One page of downloads, each as the admin object or the apps' item. */
void	 respond_download_page(struct request *r, const int64_t *ids, size_t n,
	    int64_t total, int64_t page, int64_t per_page, enum created_as as);
/* 0 if the download r->ids[0] is visible to the caller (app: as the apps
 * see it, without what they removed); else 404/503 sent. */
int	 own_download(struct request *r, int app);

#endif
