/* The client API the product's apps call: downloads by camera, the archive
 * link, deletion, and where to connect the push client. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/download.h"
#include "handlers.h"
#include "lib/kick.h"
#include "lib/model.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

#define MAX_IDS 100

void
h_client_create(struct request *r)
{
	json_t *ids = request_param(r, "ids"), *val;
	int64_t streams[MAX_IDS], out[MAX_IDS], from = 0, to = 0;
	struct verrors v;
	size_t i, n = 0;

	verr_init(&v);
	validate_range(r, &v, &from, &to);
	if (ids == NULL || json_is_null(ids))
		verr_add(&v, "ids", "The ids field is required.");
	else if (!json_is_array(ids) || json_array_size(ids) == 0)
		verr_add(&v, "ids", "The ids must be a non-empty array of camera ids.");
	else if (json_array_size(ids) > MAX_IDS)
		verr_add(&v, "ids", "The ids must not have more than %d items.", MAX_IDS);
	else json_array_foreach(ids, i, val) {
		char field[32];
		int64_t cam;
		int rc;

		snprintf(field, sizeof(field), "ids.%zu", i);
		if (v_integer(&v, val, field, 1, 1, INT64_MAX, &cam) != 1)
			continue;
		rc = camera_stream_id(r->db, cam, "high", &streams[n]);
		if (rc == -1) {
			verr_release(&v);
			respond_db_error(r);
			return;
		}
		if (rc == 0)
			verr_add(&v, field, "The selected %s is invalid.", field);
		else
			n++;
	}
	if (!verr_respond(&v, r))
		respond_create_result(r, download_create(r->db, r->conf, &r->who,
		    streams, n, from, to, out), out, n, AS_APP_ARRAY);
	verr_release(&v);
}

/* The apps' history, newest first: their own downloads less what they
 * removed, filtered on creation time by from and to. */
void
h_client_list(struct request *r)
{
	struct download_filter f = { .user_id = r->who.user_id, .app = 1 };
	int64_t page, per_page, total, *ids = NULL;
	struct verrors v;
	size_t n;
	int bad;

	page_params(r, &page, &per_page);
	verr_init(&v);
	v_time(&v, json_object_get(r->query_params, "from"), "from", 0, 1, &f.from);
	v_time(&v, json_object_get(r->query_params, "to"), "to", 0, 1, &f.to);
	bad = verr_respond(&v, r);
	verr_release(&v);
	if (bad)
		return;
	if (download_list(r->db, &f, (page - 1) * per_page, per_page, &ids, &n,
	    &total) == -1) {
		respond_db_error(r);
		return;
	}
	respond_download_page(r, ids, n, total, page, per_page, AS_APP_ARRAY);
	free(ids);
}

/* Removed from the apps' history (a second delete is 404); cancelled if
 * it was running, its file removed; the admin side still lists it. */
void
h_client_delete(struct request *r)
{
	if (own_download(r, 1) != 0)
		return;
	if (download_cancel_hide(r->db, r->conf, r->ids[0]) == -1) {
		respond_db_error(r);
		return;
	}
	respond_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

void
h_client_link(struct request *r)
{
	int64_t from = 0, to = 0, stream, id;
	struct verrors v;
	char *link;
	enum dl_create res;
	int rc;

	verr_init(&v);
	validate_range(r, &v, &from, &to);
	rc = verr_respond(&v, r);
	verr_release(&v);
	if (rc)
		return;
	if ((rc = camera_stream_id(r->db, r->ids[0], "high", &stream)) != 1) {
		if (rc == 0)
			respond_not_found(r);
		else
			respond_db_error(r);
		return;
	}
	res = download_create(r->db, r->conf, &r->who, &stream, 1, from, to, &id);
	if (res != DL_CREATED) {
		respond_create_result(r, res, NULL, 0, 0);
		return;
	}
	kick_wake(r->db, r->conf->run_dir, KICK_WORKER);
	/* The link outlives the wait for the file; the row decides 404/410. */
	link = download_link(r->db, r->conf, id, now_us() / USEC_PER_SEC +
	    r->conf->download_ttl + r->conf->max_range + 86400);
	if (link == NULL) {
		respond_db_error(r);
		return;
	}
	/* The Android app reads "status", the desktop client "link". */
	respond_json(r, 200, json_pack("{s:s, s:s}", "status", "ok", "link", link));
	free(link);
}

void
h_wsurl(struct request *r)
{
	const char *url = r->conf->public_url;
	int tls = strncmp(url, "https://", 8) == 0;
	const char *host = url + (tls ? 8 : 7);
	size_t hostlen = strcspn(host, "/");
	char hostbuf[256], bucket[80], *colon;
	int port = tls ? 443 : 80;
	struct buf ws;

	snprintf(bucket, sizeof(bucket), "wsurl:%s", r->remote_addr);
	switch (rate_hit(r->db, bucket, r->conf->wsurl_limit, 300 * USEC_PER_SEC)) {
	case 0:
		break;
	case 1:
		respond_header(r, "Retry-After", "300");
		respond_message(r, 429, "Too many requests.");
		return;
	default:
		respond_db_error(r);
		return;
	}
	snprintf(hostbuf, sizeof(hostbuf), "%.*s", (int)hostlen, host);
	if (hostbuf[0] != '[' && (colon = strrchr(hostbuf, ':')) != NULL) {
		int64_t p;

		*colon = '\0';
		if (parse_i64(colon + 1, &p) == 0 && p > 0 && p < 65536)
			port = (int)p;
	}
	buf_init(&ws);
	buf_printf(&ws, "%s://%.*s%s", tls ? "wss" : "ws", (int)hostlen, host,
	    r->conf->pusher.path);
	respond_json(r, 200, json_pack("{s:s, s:s, s:i, s:s, s:s, s:b}",
	    "ws_url", ws.data, "app_key", r->conf->pusher.key, "port", port,
	    "host", hostbuf, "path", r->conf->pusher.path, "is_encrypted", tls));
	buf_release(&ws);
}
