/* Cameras with their streams, and the recorded intervals of a stream. */
#include "config.h"

#include <jansson.h>
#include <stdint.h>

#include "lib/db.h"
#include "handlers.h"
#include "lib/model.h"
#include "lib/util.h"
#include "validate.h"
#include "lib/banned.h"

void
h_cameras(struct request *r)
{
	int64_t page, per_page, total;
	json_t *data;

	page_params(r, &page, &per_page);
	if ((data = camera_list_json(r->db, (page - 1) * per_page, per_page,
	    &total)) == NULL) {
		respond_db_error(r);
		return;
	}
	respond_json(r, 200, paginate(r, data, total, page, per_page));
}

void
h_stream_archive(struct request *r)
{
	int64_t from = 0, to = INT64_MAX, cam;
	struct verrors v;
	json_t *data;
	int bad, rc;

	verr_init(&v);
	v_time(&v, request_param(r, "from"), "from", 0, 1, &from);
	v_time(&v, request_param(r, "to"), "to", 0, 1, &to);
	if (!verr_has(&v, "from") && !verr_has(&v, "to") && to <= from)
		verr_add(&v, "to", "The to must be a date after from.");
	bad = verr_respond(&v, r);
	verr_release(&v);
	if (bad)
		return;
	if ((rc = stream_exists(r->db, r->ids[0], &cam)) != 1) {
		if (rc == 0)
			respond_not_found(r);
		else
			respond_db_error(r);
		return;
	}
	if ((data = stream_intervals_json(r->db, r->ids[0], from, to, MODEL_JOIN_US)) == NULL) {
		respond_db_error(r);
		return;
	}
	respond_json(r, 200, json_pack("{s:o}", "data", data));
}
