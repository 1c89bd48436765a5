/* What an operator watches: /metrics for Prometheus, /api/health for a
 * load balancer or a monitor (no token; it reveals no data). */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>

#include "lib/conf.h"
#include "lib/metrics.h"
#include "lib/util.h"
#include "handlers.h"
#include "lib/banned.h"

void
h_metrics(struct request *r)
{
	struct buf out;

	/* Off: as if there were no such page. */
	if (!r->conf->metrics) {
		respond_not_found(r);
		return;
	}
	if (!addr_in_list(r->remote_addr, r->conf->metrics_allow)) {
		respond_message(r, 403, "This address may not read the metrics"
		    " (metrics_allow).");
		return;
	}
	buf_init(&out);
	if (metrics_render(r->db, r->conf, &out) == -1) {
		buf_release(&out);
		respond_db_error(r);
		return;
	}
	respond_text(r, 200, "text/plain; version=0.0.4; charset=utf-8",
	    buf_detach(&out));
}

void
h_health(struct request *r)
{
	json_t *body;

	switch (health_check(r->db, r->conf, &body)) {
	case 1:
		respond_json(r, 200, body);
		break;
	case 0:
		respond_json(r, 503, body);
		break;
	default:
		respond_json(r, 503, json_pack("{s:s, s:s, s:s}", "status", "error",
		    "reason", "the database cannot be written", "database", "error"));
		break;
	}
}
