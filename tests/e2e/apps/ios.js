#!/usr/bin/env node
// The vendor's iOS app on the wire: its SDK (aipix-dev/vms-mobile-sdk-ios)
// carries its own fork of PusherSwift 10.0.1 over NWWebSocket, and
// Alamofire for the API. What each line reproduces, and where it was
// read, is in README.md.
//
//   node ios.js --base URL --login L --password P --camera ID
//     --from-us US --to-us US --empty-from-us US --empty-to-us US
//     [--idle S] [--timeout S] [--dup-wait S] [--save DIR]
'use strict';

const crypto = require('node:crypto');
const { main, request, show, isObj, isInt, isIntArray, channelEvent } = require('./common.js');

const BACKEND_VERSION = '24.03.0.0';	// HeadersBuilder APIKeys.BackendVersion
const PUSHER_VERSION = '10.0.1';	// PusherSwift.swift VERSION in the SDK's fork
const SUBPROTOCOL = 'pusher-channels-protocol-7';
const TOKEN_PUSH = 'App\\Events\\TokenPush';
const VENDOR_ID = crypto.randomUUID().toUpperCase();	// identifierForVendor
// "<model> <system version> / <short>.<build> / IOS"
const USER_AGENT = 'iPhone15,2 17.4 / 1.0.1 / IOS';
// What URLSession adds to a request that sets none of these (PusherSwift's
// auth request); Alamofire's SessionManager.defaultHTTPHeaders for the rest.
const CFNETWORK = {
	'Accept': '*/*',
	'Accept-Language': 'en-GB,en;q=0.9',
	'Accept-Encoding': 'gzip, deflate, br',
	'User-Agent': 'VMSMobileSDKExample/1 CFNetwork/1494.0.7 Darwin/23.4.0',
};
const ALAMOFIRE = {
	'Accept-Encoding': 'gzip;q=1.0, compress;q=0.5',
	'Accept-Language': 'en;q=1.0',
};

// JSONSerialization with .prettyPrinted: two-space indent, " : " between
// key and value, and "/" escaped as "\/".
function applePretty(v, ind = '') {
	const str = (s) => JSON.stringify(s).replace(/\//g, '\\/');
	if (Array.isArray(v)) {
		if (v.length === 0)
			return '[\n\n' + ind + ']';
		return '[\n' + v.map((x) => ind + '  ' + applePretty(x, ind + '  ')).join(',\n') + '\n' + ind + ']';
	}
	if (isObj(v)) {
		const keys = Object.keys(v);
		if (keys.length === 0)
			return '{\n\n' + ind + '}';
		return '{\n' + keys.map((k) => `${ind}  ${str(k)} : ${applePretty(v[k], ind + '  ')}`).join(',\n') +
		    '\n' + ind + '}';
	}
	return typeof v === 'string' ? str(v) : JSON.stringify(v);
}

// JSONSerialization without options: compact, "/" escaped.
const appleCompact = (v) => JSON.stringify(v).replace(/\//g, '\\/');

// --- What JSONDecoder (.convertFromSnakeCase) accepts

const optional = (v, test) => v === undefined || v === null || test(v);
const isStr = (v) => typeof v === 'string';

// VMSUser: id: Int; phone, email, name, login, token, accessTokenId:
// String?; permissions: [VMSPermission]?; canUpdatePassword: Bool?
function decodeUser(u) {
	if (!isObj(u))
		return 'user is not an object';
	if (!isInt(u.id))
		return `id: expected Int, got ${JSON.stringify(u.id)}`;
	for (const k of ['phone', 'email', 'name', 'login', 'token', 'access_token_id'])
		if (!optional(u[k], isStr))
			return `${k}: expected String, got ${JSON.stringify(u[k])}`;
	if (!optional(u.permissions, (p) => Array.isArray(p) && p.every((x) => isObj(x) && isStr(x.type))))
		return `permissions: expected [VMSPermission], got ${JSON.stringify(u.permissions).slice(0, 100)}`;
	if (!optional(u.can_update_password, (b) => typeof b === 'boolean'))
		return `can_update_password: expected Bool, got ${JSON.stringify(u.can_update_password)}`;
	return null;
}

// VMSAppSocketType: the types the app knows; any other fails the decode.
const APP_TYPES = [
	'cameras_updated', 'camera.destroy_favorite', 'camera.store_favorite', 'permissions_updated',
	'layouts_updated', 'groups_updated', 'groups_created', 'groups_deleted', 'camera_groups_synced',
	'mark_created', 'mark_deleted', 'mark_updated', 'archive_generated', 'logout',
	'analytic_case_motion_detect_event_created', 'analytic_case_line_intersection_event_created',
	'analytic_case_smoke_fire_event_created', 'analytic_case_loud_sound_event_created',
	'analytic_case_camera_obstacle_event_created', 'analytic_case_face_event_created',
	'analytic_case_license_plate_event_created', 'analytic_case_person_counting_event_created',
	'analytic_case_visitor_counting_event_created',
	'analytic_case_container_number_recognition_event_created',
];

// VMSAppPushData {data: TypeData?, subject: String?}; TypeData {type,
// data: CamerasData?, status: "ok"|"error"?}. Returns {value} or {error}.
function decodeAppPush(text) {
	let v;
	try { v = JSON.parse(text); } catch (e) { return { error: 'not JSON' }; }
	if (!isObj(v))
		return { error: 'not an object' };
	if (!optional(v.subject, isStr))
		return { error: `subject: expected String, got ${JSON.stringify(v.subject)}` };
	const d = v.data;
	if (d === undefined || d === null)
		return { value: v };
	if (!isObj(d))
		return { error: 'data: expected an object' };
	if (!isStr(d.type) || !APP_TYPES.includes(d.type))
		return { error: `data.type: ${JSON.stringify(d.type)} is not a VMSAppSocketType` };
	if (!optional(d.status, (s) => s === 'ok' || s === 'error'))
		return { error: `data.status: ${JSON.stringify(d.status)} is neither "ok" nor "error"` };
	const c = d.data;
	if (!optional(c, isObj))
		return { error: 'data.data: expected an object' };
	if (isObj(c)) {
		const fields = {
			detached: isIntArray, attached: isIntArray, id: isInt, ids: isIntArray,
			title: isStr, name: isStr, from: isStr, url: isStr,
			is_intercom: (b) => typeof b === 'boolean', camera_id: isInt,
			download: (o) => isObj(o) && optional(o.url, isStr),
		};
		for (const [k, test] of Object.entries(fields))
			if (!optional(c[k], test))
				return { error: `data.data.${k}: ${JSON.stringify(c[k]).slice(0, 100)} does not decode` };
	}
	return { value: v };
}

const profile = {
	name: 'ios',
	loginDescription: 'pretty-printed JSON {password, login, rememberMe: false}',
	logoutDescription: 'pretty-printed JSON {uuid}',
	apiViolations: [],
	apiViolationsDesc: 'every 2xx API answer is JSON with Content-Type application/json (Alamofire\'s validate() checks it against Accept; responseJSON refuses an empty 200)',

	// HeadersBuilder.getHeaders() on every call, GET and DELETE included,
	// over Alamofire's session defaults. GET parameters go in the query;
	// the others as JSONEncoding.prettyPrinted.
	apiRequest(method, pth, body, ctx) {
		const h = Object.assign({}, ALAMOFIRE, {
			'Accept': 'application/json',
			'Content-Type': 'application/json',
			'X-UUID': VENDOR_ID,
			'User-Agent': USER_AGENT,
			'X-Client': 'ios',
			'hl': 'en',
			'X-Version': BACKEND_VERSION,
		});
		if (ctx.token)
			h['Authorization'] = 'Bearer ' + ctx.token;
		const payload = body && body.json !== undefined ? applePretty(body.json) : null;
		return { headers: h, body: payload };
	},
	checkApiResponse(method, pth, r) {
		if (r.status < 200 || r.status >= 300 || r.status === 204)
			return;
		const ct = (r.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
		if (ct !== 'application/json' || r.json === undefined)
			this.apiViolations.push(`${method} ${pth.split('?')[0]}: ${show(r)}`);
	},

	// AuthorizationApi.login: rememberMe always; session_id, captcha and
	// key only when set (nil removes the key).
	loginBody(login, password) {
		return { json: { password, login, rememberMe: false } };
	},
	// UserApi.logout
	logoutBody() { return { json: { uuid: VENDOR_ID } }; },

	checkLogin(t, j) {
		let err = null;
		if (!isObj(j))
			err = 'not an object';
		else if (!isStr(j.access_token))
			err = `access_token: expected String, got ${JSON.stringify(j.access_token)}`;
		else
			err = decodeUser(j.user);
		t.ok(err === null, 'the login answer decodes as the iOS SDK decodes it (VMSUserResponse)', err || '');
	},
	checkUser(t, u, what) {
		const err = decodeUser(u);
		t.ok(err === null, `${what} decodes as VMSUser`, err || '');
	},

	// DateFormatter.serverUTC: "yyyy-MM-dd'T'HH:mm:ss.SSSSSSZZZZZ", UTC
	// (ZZZZZ writes "Z").
	formatTime(us) {
		const d = new Date(Math.floor(us / 1000));
		const p = (n, w = 2) => String(n).padStart(w, '0');
		return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T` +
		    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
		    `${p(((us % 1e6) + 1e6) % 1e6, 6)}Z`;
	},
	// Alamofire's URLEncoding escape: RFC 3986 query characters less
	// ":#[]@!$&'()*+,;=".
	encodeQuery(s) {
		return s.replace(/[^A-Za-z0-9\-._~/?]/g, (c) =>
		    encodeURIComponent(c) === c ? '%' + c.charCodeAt(0).toString(16).toUpperCase() : encodeURIComponent(c));
	},

	// VMSSocketUrl(ws_url): host, port (else 443/80), path, wss -> TLS;
	// URL.channelsSocketUrl: "...{path}/app/KEY?client=pusher-websocket-
	// swift&version=10.0.1&protocol=7"; NWWebSocket with the subprotocol
	// pusher-channels-protocol-7.
	wsAttempts(ws) {
		const u = new URL(ws.ws_url);
		const tls = u.protocol === 'wss:';
		const port = u.port !== '' ? u.port : (tls ? 443 : 80);
		const path = u.pathname === '/' && !/^[a-z]+:\/\/[^/]+\//.test(ws.ws_url) ? '' : u.pathname;
		const url = `${tls ? 'wss' : 'ws'}://${u.hostname}:${port}${path}/app/${ws.app_key}` +
		    `?client=pusher-websocket-swift&version=${PUSHER_VERSION}&protocol=7`;
		return [{
			url, protocols: [SUBPROTOCOL],
			check: {
				handshake: `the WebSocket handshake with Sec-WebSocket-Protocol: ${SUBPROTOCOL} (as PusherSwift asks) succeeds`,
				subprotocol: SUBPROTOCOL,
				subprotocolDesc: `the handshake answers Sec-WebSocket-Protocol: ${SUBPROTOCOL}`,
				established: 'pusher:connection_established on the iOS URL (protocol=7)',
			},
		}, {
			url, protocols: [], why: 'the handshake with the subprotocol failed; retrying without it',
		}];
	},

	// The SDK's fork: activityTimeoutInterval 30 s unless the server's
	// activity_timeout is a *string* (then it minus 5); the ping is this
	// text message (its WebSocket ping frame is commented out as "not
	// working for us"); the pong wait is half the interval.
	activityMs: 30000,
	pongMs: 15000,
	pingText: appleCompact({ event: 'pusher:ping', data: {} }),
	onEstablished(est) {
		if (isObj(est) && isStr(est.activity_timeout) && Number.isFinite(Number(est.activity_timeout))) {
			this.activityMs = (Number(est.activity_timeout) - 5) * 1000;
			this.pongMs = this.activityMs / 2;
		}
	},

	// attemptSubscriptionsToUnsubscribedChannels: every channel's auth
	// request at once (VMSPusherApi's AuthRequestBuilder through
	// URLSession.shared), each subscription sent when its answer comes.
	async subscribe({ t, sock, base, ctx, channels }) {
		const one = async (ch) => {
			const body = `socket_id=${ctx.socketId}&channel_name=${ch}`;
			const r = await request('POST', base + '/api/v1/broadcasting/auth', Object.assign({}, CFNETWORK, {
				'Authorization': 'Bearer ' + ctx.token,
				'Content-Type': 'application/x-www-form-urlencoded',
			}), body);
			const auth = isObj(r.json) ? r.json.auth : undefined;
			if (!t.ok((r.status === 200 || r.status === 201) && isStr(auth),
			    `broadcasting/auth for ${ch} as the SDK's AuthRequestBuilder posts it (socket_id=..&channel_name=.., Authorization only) answers with auth`,
			    show(r)))
				return false;
			const from = sock.frames.length;
			sock.send(appleCompact({ event: 'pusher:subscribe', data: { channel: ch, auth } }));
			const f = await sock.waitFrame((m) => isObj(m) && (m.event === 'pusher:error' ||
			    (m.channel === ch && (m.event === 'pusher_internal:subscription_succeeded' ||
			    m.event === 'pusher:subscription_error'))), 10000, from);
			return t.ok(f && f.msg.event === 'pusher_internal:subscription_succeeded', `subscribed to ${ch}`,
			    f ? f.text : 'no answer within 10 s');
		};
		const res = await Promise.all(channels.map(one));
		return res.every(Boolean);
	},

	// VMSPusherApi's global callback: by event name, whatever the channel.
	// TokenPush: data (a string, else nil) decoded as VMSAppPushData;
	// archive_generated -> the archive, any other known type -> logout.
	// UserPush never carries what matters here.
	appEvents(frames) {
		const out = [];
		for (const f of frames) {
			const m = f.msg;
			if (!isObj(m) || m.event !== TOKEN_PUSH || !isStr(m.data))
				continue;
			const base = { event: m.event, channel: m.channel, downloadId: (channelEvent(f) || {}).downloadId };
			const d = decodeAppPush(m.data);
			if (d.error || !isObj(d.value.data))
				continue;
			const v = d.value.data;
			if (v.type !== 'archive_generated') {
				out.push(Object.assign(base, { kind: 'logout', why: `type ${v.type} on the token push` }));
				continue;
			}
			const c = isObj(v.data) ? v.data : {};
			const url = isStr(c.url) ? c.url : (isObj(c.download) && isStr(c.download.url) ? c.download.url : null);
			out.push(Object.assign(base, { kind: 'archive', url }));
		}
		return out;
	},

	// Every TokenPush must decode, or the app never sees it.
	checkFrames(t, frames) {
		const bad = [];
		for (const f of frames) {
			const m = f.msg;
			if (!isObj(m) || m.event !== TOKEN_PUSH)
				continue;
			if (!isStr(m.data)) {
				bad.push(`data is not a string: ${f.text.slice(0, 200)}`);
				continue;
			}
			const d = decodeAppPush(m.data);
			if (d.error)
				bad.push(`${d.error}: ${m.data.slice(0, 200)}`);
		}
		t.ok(bad.length === 0, 'every TokenPush decodes as VMSAppPushData', bad.slice(0, 5).join('\n'));
	},

	// VMS.downloadArchiveRequest: a plain URLRequest through the session.
	downloadHeaders: Object.assign({ 'Accept': '*/*', 'User-Agent': 'VMSMobileSDKExample/1.0.1 (com.example; build:1; iOS 17.4.0) Alamofire/4.9.1' }, ALAMOFIRE),
};

main(profile);
