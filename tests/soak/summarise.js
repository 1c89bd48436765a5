#!/usr/bin/env node
// The soak's summary: reads what soak.sh left in its work directory
// (load.json from load.js, push.json from push.js, samples.txt from the
// sampler, downloads.txt / events.txt / files.txt from the database and the
// downloads directory, product.log), prints the summary table on stdout and
// writes the figures the checks read to --metrics (JSON).
//
//   node summarise.js --dir DIR --seconds S --load-start MS --load-end MS
//     --drain-ms MS --warmup 0.2 --rss-factor 1.5 --rss-slack-kb 16384
//     --wal-bound BYTES --metrics FILE
'use strict';

const fs = require('fs');
const path = require('path');

const o = {};
{
	const a = process.argv.slice(2);
	while (a.length > 0) {
		const k = a.shift().replace(/^--/, '');
		o[k] = a.shift();
	}
	for (const k of ['seconds', 'load-start', 'load-end', 'drain-ms', 'warmup',
	    'rss-factor', 'rss-slack-kb', 'wal-bound'])
		o[k] = Number(o[k]);
}
const dir = o.dir;
const read = (f) => { try { return fs.readFileSync(path.join(dir, f), 'utf8'); } catch (e) { return ''; } };
const lines = (f) => read(f).split('\n').filter((l) => l !== '');
const json = (f) => { try { return JSON.parse(read(f)); } catch (e) { return null; } };
const MiB = (kb) => (kb / 1024).toFixed(1);
const pct = (a, p) => {
	if (a.length === 0)
		return 0;
	const s = a.slice().sort((x, y) => x - y);
	return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const f0 = (x) => Number(x).toFixed(0);
const f1 = (x) => Number(x).toFixed(1);
const out = [];
const say = (s = '') => out.push(s);
const M = {};

// Requests.
const load = json('load.json') || { types: {} };
M.types = {};
say(`soak summary: ${o.seconds} s of load, rates per second: ` +
    Object.entries(load.rates || {}).map(([k, v]) => `${k} ${v}`).join(', '));
say('');
say('requests     sent   done errors  5xx   p50 ms   p99 ms   max ms  p99 first/last fifth  statuses');
for (const t of ['create', 'list', 'show', 'delete', 'file']) {
	const s = load.types[t] || { statuses: {}, first_errors: [] };
	const s5xx = Object.entries(s.statuses || {}).filter(([k]) => /^5/.test(k))
		.reduce((n, [, v]) => n + v, 0);
	const errs = (s.first_errors || []).map((e) => `${e.status} ${e.detail}`.slice(0, 120));
	M.types[t] = { sent: s.sent || 0, done: s.done || 0, errors: s.errors || 0, s5xx,
	    statuses: s.statuses, p50: s.p50 || 0, p99: s.p99 || 0, max: s.max || 0,
	    p99_text: f0(s.p99 || 0), skipped: s.skipped || 0,
	    errors_text: (s.errors || 0) + (errs.length ? ': ' + errs.slice(0, 2).join('; ') : '') };
	say(`${t.padEnd(8)} ${String(s.sent || 0).padStart(8)} ${String(s.done || 0).padStart(6)}` +
	    ` ${String(s.errors || 0).padStart(6)} ${String(s5xx).padStart(4)}` +
	    ` ${f1(s.p50 || 0).padStart(8)} ${f1(s.p99 || 0).padStart(8)} ${f1(s.max || 0).padStart(8)}` +
	    `  ${(f0(s.p99_first_fifth || 0) + ' / ' + f0(s.p99_last_fifth || 0)).padStart(20)}` +
	    `  ${Object.entries(s.statuses || {}).map(([k, v]) => `${k}:${v}`).join(' ')}`);
	for (const e of errs.slice(0, 3))
		say(`           error: ${e}`);
}
// p99 over each tenth of the run: latency that climbs with time or with
// the size of the tables shows here.
const tenths = (t) => ((load.types[t] || {}).p99_tenths || []).map(f0).join(' ');
say('p99 ms in each tenth of the run:');
for (const t of ['create', 'list', 'show', 'delete', 'file'])
	say(`  ${t.padEnd(7)} ${tenths(t)}`);
say(`(latency from each request's planned moment to the end of its body;` +
    ` most in flight at once: ${load.inflight_max}; skipped for want of a target:` +
    ` ${['show', 'delete', 'file'].map((t) => `${t} ${(load.types[t] || {}).skipped || 0}`).join(', ')})`);

// Jobs.
const created = new Set(lines('created.txt').map(Number));
const deleted = new Set(lines('deleted.txt').map(Number));
const rows = lines('downloads.txt').map((l) => {
	const [id, cond, code, hidden, exists, file, createdAt, finishedAt] = l.split(' ');
	return { id: Number(id), cond, code, hidden: hidden === '1', exists: exists === '1',
	    file, createdAt: Number(createdAt), finishedAt: Number(finishedAt) };
});
const byCond = {};
const failedCodes = {};
for (const r of rows) {
	byCond[r.cond] = (byCond[r.cond] || 0) + 1;
	if (r.cond === 'failed')
		failedCodes[r.code] = (failedCodes[r.code] || 0) + 1;
}
const ids = new Set(rows.map((r) => r.id));
const evRows = lines('events.txt').map((l) => {
	const [id, createdAt, dl, status] = l.split(' ');
	return { id: Number(id), createdAt: Number(createdAt), dl: Number(dl), status };
});
const evByDl = new Map();
for (const e of evRows)
	evByDl.set(e.dl, (evByDl.get(e.dl) || 0) + 1);
const files = lines('files.txt');
const fileSet = new Set(files);
const rowFiles = new Set(rows.filter((r) => r.exists && r.file !== '-').map((r) => r.file));
const jobLat = rows.filter((r) => r.finishedAt > 0).map((r) => (r.finishedAt - r.createdAt) / 1000);
const finishedTimes = rows.filter((r) => r.finishedAt > 0).map((r) => r.finishedAt / 1000);
M.jobs = {
	created_by_load: created.size, in_db: rows.length,
	created_missing_in_db: [...created].filter((id) => !ids.has(id)).length,
	rows_not_created: rows.filter((r) => !created.has(r.id)).length,
	by_condition: byCond,
	by_condition_text: Object.entries(byCond).map(([k, v]) => `${k} ${v}`).join(', '),
	failed: byCond.failed || 0,
	failed_text: Object.keys(failedCodes).length ?
		Object.entries(failedCodes).map(([k, v]) => `${k}: ${v}`).join(', ') : 'none',
	cancelled: byCond.cancelled || 0, deleted: deleted.size,
	cancelled_not_deleted: rows.filter((r) => r.cond === 'cancelled' && !deleted.has(r.id)).length,
	other_state: rows.filter((r) => !['active', 'expired', 'cancelled', 'failed'].includes(r.cond)).length,
	files_missing: [...rowFiles].filter((f) => !fileSet.has(f)).length,
	files_orphan: files.filter((f) => !f.startsWith('.') && !rowFiles.has(f)).length,
	files_tmp: files.filter((f) => f.startsWith('.')).length,
	events: evRows.length, finished: evByDl.size,
	event_dups: [...evByDl.values()].filter((n) => n > 1).length,
	events_missing: rows.filter((r) => ['active', 'expired', 'failed'].includes(r.cond) &&
	    !evByDl.has(r.id)).length,
	job_p50_ms: pct(jobLat, 50), job_p99_ms: pct(jobLat, 99), job_max_ms: jobLat.length ? Math.max(...jobLat) : 0,
};
M.jobs.files_text = `${files.length} files, ${rowFiles.size} rows with a file, ` +
    `${M.jobs.files_missing} missing, ${M.jobs.files_orphan} orphans, ${M.jobs.files_tmp} temporary`;
// Throughput: finished jobs per second while the load ran.
const during = finishedTimes.filter((t) => t >= o['load-start'] && t <= o['load-end']).length;
M.jobs.finished_per_s_during_load = during / ((o['load-end'] - o['load-start']) / 1000);
say('');
say(`jobs: ${created.size} created (200), ${rows.length} rows; ${M.jobs.by_condition_text};` +
    ` failed: ${M.jobs.failed_text}; ${deleted.size} deleted by the load`);
say(`      finished ${f1(M.jobs.finished_per_s_during_load)}/s during the load;` +
    ` create -> finished p50 ${f0(M.jobs.job_p50_ms)} ms, p99 ${f0(M.jobs.job_p99_ms)} ms,` +
    ` max ${f0(M.jobs.job_max_ms)} ms; queue empty ${f1(o['drain-ms'] / 1000)} s after the load stopped`);
say(`      ${M.jobs.files_text}; ${evRows.length} archive_generated events` +
    ` (${evRows.filter((e) => e.status === 'ok').length} ok)`);

// Samples: "ms wal pending processing name:pid:rss:cpu ...".
const samples = lines('samples.txt').map((l) => {
	const f = l.split(' ');
	const s = { t: Number(f[0]), wal: Number(f[1]), pending: Number(f[2]),
	    processing: Number(f[3]), procs: {} };
	for (const p of f.slice(4)) {
		const [name, pid, rss, cpu] = p.split(':');
		const key = name === 'fcgi' ? `fcgi:${pid}` : name;
		// No pid (not started yet) or no VmRSS (exited, not yet reaped).
		if (!Number(pid) || !Number(rss))
			continue;
		s.procs[key] = { pid: Number(pid), rss: Number(rss), cpu: Number(cpu) };
	}
	return s;
});
const wals = samples.map((s) => s.wal);
M.wal = { min: wals.length ? Math.min(...wals) : 0, max: wals.length ? Math.max(...wals) : 0,
    final: wals.length ? wals[wals.length - 1] : 0 };
M.wal.max_text = `${MiB(M.wal.max / 1024)} MiB`;
const pend = samples.map((s) => s.pending).filter((x) => !Number.isNaN(x));
M.queue = { pending_max: pend.length ? Math.max(...pend) : 0,
    processing_max: Math.max(0, ...samples.map((s) => s.processing).filter((x) => !Number.isNaN(x))) };
say('');
say(`WAL (-wal file) over ${samples.length} samples: min ${MiB(M.wal.min / 1024)} MiB,` +
    ` max ${MiB(M.wal.max / 1024)} MiB, final ${MiB(M.wal.final / 1024)} MiB` +
    ` (bound ${MiB(o['wal-bound'] / 1024)} MiB)`);
say(`queue: pending at most ${M.queue.pending_max}, processing at most ${M.queue.processing_max};` +
    ` pending per sample: ${samples.map((s) => s.pending).join(' ')}`);

// RSS: the first sample at or after warm-up, and the last one.
const warmAt = o['load-start'] + o.warmup * o.seconds * 1000;
const warm = samples.find((s) => s.t >= warmAt) || samples[0];
const last = samples[samples.length - 1];
const first = samples[0];
M.rss = {};
say('');
say(`RSS (VmRSS)   pid     start MiB  warm MiB  last MiB  peak MiB  last/warm  CPU s`);
const keys = new Set();
for (const s of samples)
	for (const k of Object.keys(s.procs))
		keys.add(k);
M.tools = {};
for (const k of keys) {
	const tool = k.startsWith('node-');
	const seen = samples.filter((s) => s.procs[k]);
	const w = warm && warm.procs[k];
	// The load generator ends before the last sample: its own last one.
	const l = tool ? seen[seen.length - 1].procs[k] : last && last.procs[k];
	const peak = Math.max(...seen.map((s) => s.procs[k].rss));
	const st = seen[0].procs[k];
	if ((!w || !l) && tool)
		continue;
	if (!w || !l) {
		M.rss[k] = { ok: false, text: `${k} not sampled from warm-up to the end` };
		say(`${k.padEnd(13)} missing from warm-up or the last sample`);
		continue;
	}
	const bound = o['rss-factor'] * w.rss + o['rss-slack-kb'];
	const cpu = (l.cpu - st.cpu) / 100;
	(tool ? M.tools : M.rss)[k] = { warm_kb: w.rss, last_kb: l.rss, peak_kb: peak, bound_kb: bound,
	    ratio: l.rss / w.rss, ok: l.rss <= bound && l.rss > 0, cpu_s: cpu,
	    text: `${MiB(w.rss)} MiB after warm-up, ${MiB(l.rss)} MiB at the end` +
		` (x${(l.rss / w.rss).toFixed(2)}; bound ${MiB(bound)} MiB)` };
	say(`${(tool ? `(${k})` : k.replace(/:\d+$/, '')).padEnd(13)} ${String(l.pid).padEnd(7)} ${MiB(st.rss).padStart(9)}` +
	    ` ${MiB(w.rss).padStart(9)} ${MiB(l.rss).padStart(9)} ${MiB(peak).padStart(9)}` +
	    ` ${(l.rss / w.rss).toFixed(2).padStart(10)} ${f1(cpu).padStart(6)}`);
}
if (first && last)
	say(`(warm-up sample at +${f0((warm.t - o['load-start']) / 1000)} s of the load;` +
	    ` CPU from the first sample to the last, ${f0((last.t - first.t) / 1000)} s;` +
	    ` (node-*): the test's own clients, not checked)`);

// Push.
const push = json('push.json') || { status: {}, clients: [], events: [] };
const evCreated = new Map(evRows.map((e) => [e.id, e.createdAt / 1000]));
const firstLat = [], lastLat = [];
for (const [id, , t1, t2] of push.events) {
	const c = evCreated.get(id);
	if (c === undefined)
		continue;
	firstLat.push(t1 - c);
	lastLat.push(t2 - c);
}
const received = push.clients.map((c) => push.expected - c.missing);
const codes = {};
for (const c of push.clients)
	for (const [k, v] of Object.entries(c.close_codes))
		codes[k] = (codes[k] || 0) + v;
M.push = { clients: push.clients.length, expected: push.expected || 0,
    min_received: received.length ? Math.min(...received) : 0,
    max_missing: push.clients.reduce((n, c) => Math.max(n, c.missing), 0),
    clients_missing: push.clients.filter((c) => c.missing > 0).length,
    dups: push.clients.reduce((n, c) => n + c.dups, 0),
    out_of_order: push.clients.reduce((n, c) => n + c.out_of_order, 0),
    disconnects: push.clients.reduce((n, c) => n + c.disconnects, 0), close_codes: codes,
    delivered: push.clients.reduce((n, c) => n + c.count, 0),
    latency_first_p50: pct(firstLat, 50), latency_first_p99: pct(firstLat, 99),
    latency_all_p50: pct(lastLat, 50), latency_all_p99: pct(lastLat, 99),
    latency_all_max: lastLat.length ? Math.max(...lastLat) : 0,
    auth_ms_p99: push.auth_ms_p99 };
M.push.text = `${M.push.clients} clients, ${M.push.expected} events each expected,` +
    ` fewest received ${M.push.min_received}, ${M.push.clients_missing} clients missing some`;
say('');
say(`push: ${M.push.clients} clients, ${M.push.expected} archive_generated expected each,` +
    ` ${M.push.delivered} delivered in all (${M.push.clients * M.push.expected} expected);` +
    ` fewest received by a client ${M.push.min_received}; duplicates ${M.push.dups},` +
    ` out of order ${M.push.out_of_order}; reconnections ${M.push.disconnects}` +
    (Object.keys(codes).length ? ` (close codes ${JSON.stringify(codes)})` : ''));
say(`      event row -> first client p50 ${f0(M.push.latency_first_p50)} ms, p99 ${f0(M.push.latency_first_p99)} ms;` +
    ` -> all ${M.push.clients} clients p50 ${f0(M.push.latency_all_p50)} ms, p99 ${f0(M.push.latency_all_p99)} ms,` +
    ` max ${f0(M.push.latency_all_max)} ms; channel auth p99 ${f0(M.push.auth_ms_p99)} ms`);
const errs = push.clients.flatMap((c) => c.errors);
if (errs.length)
	say(`      client errors (${errs.length}): ${[...new Set(errs)].slice(0, 3).join('; ')}`);

// The programs' log (log_file: no level in its lines): lines per program,
// and the ones that read like trouble.
const log = lines('product.log');
const perProg = {};
const trouble = {};
for (const l of log) {
	const m = /^\S+ ([^[]+)\[\d+\]: (.*)$/.exec(l);
	if (!m)
		continue;
	perProg[m[1]] = (perProg[m[1]] || 0) + 1;
	// ("expiry: 1 expired, 0 repaired, 0 orphan files removed, 0 errors")
	if (/cannot|fail|error|locked|busy|too slow|lost|timed? ?out|refus|denied/i.test(
	    m[2].replace(/\b0 (errors?|fail\w*)\b/g, ''))) {
		const k = `${m[1]}: ${m[2].replace(/\d+/g, 'N').slice(0, 140)}`;
		trouble[k] = (trouble[k] || 0) + 1;
	}
}
M.log = { lines: log.length, per_program: perProg, trouble };
say('');
say(`log: ${log.length} lines (${Object.entries(perProg).map(([k, v]) => `${k} ${v}`).join(', ')})`);
for (const [k, v] of Object.entries(trouble).sort((a, b) => b[1] - a[1]).slice(0, 8))
	say(`      ${String(v).padStart(6)} x ${k}`);

fs.writeFileSync(o.metrics, JSON.stringify(M, null, 1));
process.stdout.write(out.map((l) => '# ' + l).join('\n') + '\n');
