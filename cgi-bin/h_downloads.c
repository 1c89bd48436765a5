/* The admin API's downloads: create, list, show, delete, repeat, file. */
#include "config.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/conf.h"
#include "lib/db.h"
#include "lib/download.h"
#include "handlers.h"
#include "lib/kick.h"
#include "lib/log.h"
#include "lib/model.h"
#include "lib/urlsign.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

static const char *const conditions[] = {
	"pending", "processing", "active", "failed", "expired", "cancelled", NULL,
};

/* Check from and to together: both valid, to after from, within max_range,
 * and to at most max_range ahead (a range may end in the future: the
 * download waits for its footage). */
void
validate_range(struct request *r, struct verrors *v, int64_t *from, int64_t *to)
{
	int f = v_time(v, request_param(r, "from"), "from", 1, 0, from);
	int t = v_time(v, request_param(r, "to"), "to", 1, 0, to);

	if (f != 1 || t != 1)
		return;
	if (*to <= *from)
		verr_add(v, "to", "The to must be a date after from.");
	else if (*to - *from > r->conf->max_range * USEC_PER_SEC)
		verr_add(v, "to", "The range from from to to must not be longer than"
		    " %lld seconds.", (long long)r->conf->max_range);
	else if (*to - now_us() > r->conf->max_range * USEC_PER_SEC)
		verr_add(v, "to", "The to must not be more than %lld seconds in"
		    " the future.", (long long)r->conf->max_range);
}

/* Answer a created download (or several) and wake the worker. */
static void
respond_created(struct request *r, const int64_t *ids, size_t n, enum created_as as)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *d = as == AS_APP_ARRAY ?
		    download_to_client_json(r->db, r->conf, ids[i]) :
		    download_to_json(r->db, r->conf, ids[i]);

		if (d == NULL) {
			json_decref(arr);
			respond_db_error(r);
			return;
		}
		json_array_append_new(arr, d);
	}
	/* The answer shows the download as created; only then wake the worker. */
	kick_wake(r->db, r->conf->run_dir, KICK_WORKER);
	if (as == AS_APP_ARRAY)
		respond_json(r, 200, arr);
	else {
		respond_json(r, 200, json_incref(json_array_get(arr, 0)));
		json_decref(arr);
	}
}

void
respond_create_result(struct request *r, enum dl_create res, const int64_t *ids,
    size_t n, enum created_as as)
{
	char msg[160];

	switch (res) {
	case DL_CREATED:
		respond_created(r, ids, n, as);
		break;
	case DL_TOO_MANY:
		snprintf(msg, sizeof(msg), "Too many unfinished downloads (at most %d);"
		    " wait for one to finish.", r->conf->max_pending);
		respond_message(r, 429, msg);
		break;
	case DL_ERROR:
		respond_db_error(r);
		break;
	}
}

void
h_download_create(struct request *r)
{
	json_t *sid = request_param(r, "stream_id"), *cid = request_param(r, "camera_id");
	int64_t stream = 0, camera = 0, from = 0, to = 0, id, cam;
	struct verrors v;
	int hs, hc;

	verr_init(&v);
	hs = v_integer(&v, sid, "stream_id", 0, 1, INT64_MAX, &stream);
	hc = v_integer(&v, cid, "camera_id", 0, 1, INT64_MAX, &camera);
	if (hs == 0 && hc == 0)
		verr_add(&v, "stream_id", "The stream id field is required when"
		    " camera id is not present.");
	else if (hs != 0 && hc != 0)
		verr_add(&v, "camera_id", "The camera id field is prohibited when"
		    " stream id is present.");
	validate_range(r, &v, &from, &to);
	if (hs == 1 && hc == 0) {
		int rc = stream_exists(r->db, stream, &cam);

		if (rc == 0)
			verr_add(&v, "stream_id", "The selected stream id is invalid.");
		else if (rc == -1)
			goto dberr;
	} else if (hc == 1 && hs == 0) {
		int rc = camera_stream_id(r->db, camera, "high", &stream);

		if (rc == 0)
			verr_add(&v, "camera_id", "The selected camera id is invalid"
			    " (no such camera, or it has no high stream).");
		else if (rc == -1)
			goto dberr;
	}
	if (!verr_respond(&v, r))
		respond_create_result(r, download_create(r->db, r->conf, &r->who,
		    &stream, 1, from, to, &id), &id, 1, AS_OBJECT);
	verr_release(&v);
	return;
dberr:
	verr_release(&v);
	respond_db_error(r);
}

/* Filters of the list, validated; 0, or 422 answered. */
struct list_filter {
	int64_t		 stream_id, camera_id, from, to;
	const char	*condition;
	int64_t		 page, per_page;
};

static int
list_filter(struct request *r, struct list_filter *f)
{
	json_t *q = r->query_params;
	const char *cond = NULL, *to_s = NULL;
	struct verrors v;
	size_t i;
	int bad;

	memset(f, 0, sizeof(*f));
	page_params(r, &f->page, &f->per_page);
	verr_init(&v);
	v_integer(&v, json_object_get(q, "stream_id"), "stream_id", 0, 1, INT64_MAX, &f->stream_id);
	v_integer(&v, json_object_get(q, "camera_id"), "camera_id", 0, 1, INT64_MAX, &f->camera_id);
	v_time(&v, json_object_get(q, "from"), "from", 0, 1, &f->from);
	if (v_time(&v, json_object_get(q, "to"), "to", 0, 1, &f->to) == 1) {
		/* A date alone means through the end of that day. */
		v_string(&v, json_object_get(q, "to"), "to", 0, 40, &to_s);
		if (to_s != NULL && strlen(to_s) == 10)
			f->to += 86400LL * USEC_PER_SEC - 1;
	}
	if (v_string(&v, json_object_get(q, "condition"), "condition", 0, 20, &cond) == 1) {
		for (i = 0; conditions[i] != NULL; i++)
			if (strcmp(conditions[i], cond) == 0)
				break;
		if (conditions[i] == NULL)
			verr_add(&v, "condition", "The selected condition is invalid.");
		else
			f->condition = conditions[i];
	}
	bad = verr_respond(&v, r);
	verr_release(&v);
	return bad ? 422 : 0;
}

void
h_download_list(struct request *r)
{
	struct list_filter f;
	struct download_filter df;
	int64_t total, *ids = NULL;
	size_t n;

	if (list_filter(r, &f) != 0)
		return;
	df = (struct download_filter){ .user_id = r->who.user_id,
	    .is_admin = r->who.is_admin, .stream_id = f.stream_id,
	    .camera_id = f.camera_id, .condition = f.condition, .from = f.from,
	    .to = f.to };
	if (download_list(r->db, &df, (f.page - 1) * f.per_page, f.per_page,
	    &ids, &n, &total) == -1) {
		respond_db_error(r);
		return;
	}
	respond_download_page(r, ids, n, total, f.page, f.per_page, AS_OBJECT);
	free(ids);
}

void
respond_download_page(struct request *r, const int64_t *ids, size_t n,
    int64_t total, int64_t page, int64_t per_page, enum created_as as)
{
	json_t *data = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *d = as == AS_APP_ARRAY ?
		    download_to_client_json(r->db, r->conf, ids[i]) :
		    download_to_json(r->db, r->conf, ids[i]);

		if (d == NULL) {
			json_decref(data);
			respond_db_error(r);
			return;
		}
		json_array_append_new(data, d);
	}
	respond_json(r, 200, paginate(r, data, total, page, per_page));
}

int
own_download(struct request *r, int app)
{
	switch (download_visible(r->db, &r->who, r->ids[0], app)) {
	case 1:
		return 0;
	case 0:
		respond_not_found(r);
		return -1;
	default:
		respond_db_error(r);
		return -1;
	}
}

void
h_download_show(struct request *r)
{
	json_t *d;

	if (own_download(r, 0) != 0)
		return;
	if ((d = download_to_json(r->db, r->conf, r->ids[0])) == NULL)
		respond_db_error(r);
	else
		respond_json(r, 200, d);
}

void
h_download_delete(struct request *r)
{
	if (own_download(r, 0) != 0)
		return;
	if (download_cancel(r->db, r->conf, r->ids[0]) == -1) {
		respond_db_error(r);
		return;
	}
	/* The worker may be remuxing it: a kick makes it notice at once. */
	kick_wake(r->db, r->conf->run_dir, KICK_WORKER);
	respond_empty(r, 204);
}

void
h_download_repeat(struct request *r)
{
	if (own_download(r, 0) != 0)
		return;
	respond_create_result(r, download_repeat(r->db, r->conf, &r->who, r->ids[0]),
	    &r->ids[0], 1, AS_OBJECT);
}
