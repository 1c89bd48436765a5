#!/usr/bin/env node
// The vendor's Android app on the wire: its SDK (aipix-dev/vms-mobile-sdk-android)
// drives the stock Pusher Java client 2.0.2 through its own copies of the
// connection and channel classes, and Retrofit/OkHttp for the API. What
// each line reproduces, and where it was read, is in README.md.
//
//   node android.js --base URL --login L --password P --camera ID
//     --from-us US --to-us US --empty-from-us US --empty-to-us US
//     [--idle S] [--timeout S] [--dup-wait S] [--save DIR]
'use strict';

const crypto = require('node:crypto');
const { main, request, show, isObj, isInt, channelEvent } = require('./common.js');

const SDK_VERSION = '23.12.1.0';	// VMSClientApi.kt VERSION_SDK
const PUSHER_VERSION = '2.0.2';		// com.pusher:pusher-java-client, its pusher.properties
const TOKEN_PUSH = 'App\\Events\\TokenPush';
const USER_PUSH = 'App\\Events\\UserPush';
const INTERCOM_PUSH = 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated';
const UUID = crypto.randomUUID();	// VMSMobileSDK.Builder(url, uuid, ...)
const USER_AGENT = `Google / Pixel 7 / 14 / ${SDK_VERSION} / Android`;	// userAgent()
// What Android's HttpURLConnection (the SDK's HttpAuthorizer) adds itself.
const DALVIK_AGENT = 'Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)';

// Gson's default output: compact, fields in declaration order, and
// HTML-safe: < > & = ' written as \u003c ...
function gson(v) {
	return JSON.stringify(v).replace(/[<>&=']/g,
	    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

// java.net.URLEncoder.encode(s, "UTF-8").
function javaUrlEncode(s) {
	return encodeURIComponent(s).replace(/%20/g, '+')
	    .replace(/[!'()~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

// VMSPusherApi.parseSocketPort(baseUrl): the API base URL's port, else 443.
function parseSocketPort(name) {
	let a = name.split('://').pop();
	a = a.includes(':') ? a.split(':').pop() : '443';
	return a.includes('/') ? a.split('/')[0] : a;
}

const profile = {
	name: 'android',
	loginDescription: 'Gson {login, password, session_id: null, captcha: null, key: null}',
	logoutDescription: 'logout() with an empty body and Content-Type: application/json',

	// VMSClientApi's interceptor on every call, then OkHttp's bridge
	// (a JSON body's type "application/json; charset=UTF-8" replaces the
	// interceptor's Content-Type; Accept-Encoding: gzip).
	apiRequest(method, pth, body, ctx) {
		const h = {};
		if (ctx.token)
			h['Authorization'] = 'Bearer ' + ctx.token;
		h['X-UUID'] = UUID;
		if (ctx.socketId)
			h['X-Socket-ID'] = ctx.socketId;
		h['User-Agent'] = USER_AGENT;
		h['X-Version'] = SDK_VERSION;
		h['X-Client'] = 'android';
		h['Content-Type'] = 'application/json';
		h['Accept'] = 'application/json';
		h['hl'] = 'en';
		h['Accept-Encoding'] = 'gzip';
		let payload = null;
		if (body && body.json !== undefined) {
			payload = gson(body.json);
			h['Content-Type'] = 'application/json; charset=UTF-8';
		} else if (method === 'POST') {
			payload = '';	// Retrofit's empty body: Content-Length: 0
		}
		return { headers: h, body: payload };
	},

	// VMSLoginRequest through Gson with serializeNulls().
	loginBody(login, password) {
		return { json: { login, password, session_id: null, captcha: null, key: null } };
	},
	logoutBody() { return {}; },

	// Gson is lenient (a number would do for a String field): only the
	// shape the SDK cannot do without.
	checkLogin(t, j) {
		t.ok(typeof j.access_token === 'string' && isObj(j.user) && isInt(j.user.id),
		    'the login answer has access_token and user.id (VMSLoginResponse)', JSON.stringify(j).slice(0, 300));
	},
	checkUser(t, u, what) {
		t.ok(isInt(u.id) && typeof u.login === 'string',
		    `${what}: id and login as VMSUser reads them`, JSON.stringify(u).slice(0, 300));
	},

	// PlayerHelper.setCalendarServerToUTC: SimpleDateFormat
	// "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'" of the UTC time; SSSSSS is the
	// millisecond count padded to six digits.
	formatTime(us) {
		const d = new Date(Math.floor(us / 1000));
		const p = (n, w = 2) => String(n).padStart(w, '0');
		return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}T` +
		    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.` +
		    `${p(d.getUTCMilliseconds(), 6)}Z`;
	},
	// Retrofit @Query through OkHttp's query-component encoding.
	encodeQuery(s) {
		return s.replace(/[^A-Za-z0-9\-._*]/g,
		    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
	},
	// CustomPusherOptions.buildUrl: "wss://" + host of ws_url + ":" + the API
	// base URL's port + path of ws_url (else "/pusher") + "/app/KEY" +
	// "?client=java-client&protocol=5&version=2.0.2". The SDK always says
	// wss; ws here when the server's ws_url is plain (no TLS in the tests).
	wsAttempts(ws, base) {
		const after = ws.ws_url.split('://')[1] || '';
		const slash = after.indexOf('/');
		const hostport = slash < 0 ? after : after.slice(0, slash);
		let path = slash < 0 ? '' : after.slice(slash).replace(/[?#].*$/, '');
		if (path === '')
			path = '/pusher';
		const host = hostport.startsWith('[') ? hostport.replace(/\](:\d+)?$/, ']') : hostport.split(':')[0];
		const scheme = ws.ws_url.startsWith('ws://') ? 'ws' : 'wss';
		const port = parseSocketPort(base + '/');
		const url = (protocol) => `${scheme}://${host}:${port}${path}/app/${ws.app_key}` +
		    `?client=java-client&protocol=${protocol}&version=${PUSHER_VERSION}`;
		return [{
			url: url(5), protocols: [],
			check: {
				handshake: 'the WebSocket handshake as Java-WebSocket makes it (no subprotocol, no Origin) succeeds',
				noSubprotocol: 'its answer names no subprotocol (none was asked; Java-WebSocket would refuse one)',
				established: 'pushd accepts protocol=5 from the stock Java client: pusher:connection_established',
			},
		}, {
			url: url(7), protocols: [], why: 'protocol=5 was refused; retrying with protocol=7',
		}];
	},

	// Pusher level (CustomWebSocketConnection.ActivityTimer, VMSPusherApi
	// PING_TIMEOUT / PONG_TIMEOUT): 25 s without a frame -> this text; no
	// frame within 12.5 s -> disconnect. The server's activity_timeout only
	// changes the options object after the timer was made, so never these.
	activityMs: 25000,
	pongMs: 12500,
	pingText: '{"event": "pusher:ping"}',
	// WebSocket level: connectionLostTimeout = 25 s (LOST_TIMEOUT).
	wsPingMs: 25000,

	// On CONNECTED, CustomChannelManager sends each channel's subscription
	// in turn on the event thread: HttpAuthorizer's blocking POST, then the
	// message.
	async subscribe({ t, sock, base, ctx, channels }) {
		let all = true;
		for (const ch of channels) {
			const body = `channel_name=${javaUrlEncode(ch)}&socket_id=${javaUrlEncode(ctx.socketId)}`;
			const r = await request('POST', base + '/api/v1/broadcasting/auth', {
				'Content-Type': 'application/x-www-form-urlencoded',
				'charset': 'UTF-8',
				'Authorization': 'Bearer ' + ctx.token,
				'User-Agent': DALVIK_AGENT,
				'Accept-Encoding': 'gzip',
			}, body);
			const auth = isObj(r.json) ? r.json.auth : undefined;
			if (!t.ok((r.status === 200 || r.status === 201) && typeof auth === 'string',
			    `broadcasting/auth for ${ch} as HttpAuthorizer 2.0.2 posts it (form ${body.split('&').map((kv) => kv.split('=')[0]).join(', ')}; header charset: UTF-8) answers with auth`,
			    show(r))) {
				all = false;
				continue;
			}
			const from = sock.frames.length;
			sock.send(gson({ event: 'pusher:subscribe', data: { channel: ch, auth } }));
			const f = await sock.waitFrame((m) => isObj(m) && (m.event === 'pusher:error' ||
			    (m.channel === ch && (m.event === 'pusher_internal:subscription_succeeded' ||
			    m.event === 'pusher:subscription_error'))), 10000, from);
			if (!t.ok(f && f.msg.event === 'pusher_internal:subscription_succeeded', `subscribed to ${ch}`,
			    f ? f.text : 'no answer within 10 s'))
				all = false;
		}
		return all;
	},

	// What the app makes of the frames: PrivateChannel listeners are bound
	// to TokenPush (token channel) and UserPush (user channel) only, then
	// VMSPusherApi.onEvent -> handleAppSocket, every step as it reads.
	appEvents(frames, c) {
		const bound = {
			[c.tokenChannel]: [TOKEN_PUSH, INTERCOM_PUSH],
			[c.userChannel]: [USER_PUSH, INTERCOM_PUSH],
		};
		const out = [];
		for (const f of frames) {
			const m = f.msg;
			if (!isObj(m) || !bound[m.channel] || !bound[m.channel].includes(m.event))
				continue;
			const base = { event: m.event, channel: m.channel, downloadId: (channelEvent(f) || {}).downloadId };
			// PusherEvent.getData() casts data to String.
			if (typeof m.data !== 'string' || m.event === INTERCOM_PUSH)
				continue;
			let obj;
			try { obj = JSON.parse(m.data); } catch (e) { continue; }
			// JSONObject(data).getJSONObject("data"), .getString("type"),
			// .getString("subject"): each throws when missing.
			if (!isObj(obj) || !isObj(obj.data) || !('type' in obj.data) || !('subject' in obj))
				continue;
			const type = String(obj.data.type).toLowerCase();
			if (type === 'logout') {
				out.push(Object.assign(base, { kind: 'logout', why: `type ${obj.data.type}` }));
				continue;
			}
			if (type !== 'archive_generated')
				continue;
			// gson.fromJson(jsonMessage.getString("data"), VMSArchiveLinkSocket):
			// {url, download: {url}}; getURL() = url ?: download?.url. Any
			// failure posts VMSArchiveLinkSocket(data = null): no url.
			let d = obj.data.data, url = null;
			if (typeof d === 'string') {
				try { d = JSON.parse(d); } catch (e) { d = null; }
			}
			if (isObj(d)) {
				const str = (v) => (v === null || v === undefined ? null :
				    (typeof v === 'object' ? undefined : String(v)));
				const u = str(d.url);
				const du = isObj(d.download) ? str(d.download.url) : (d.download == null ? null : undefined);
				if (u !== undefined && du !== undefined)
					url = u !== null ? u : du;
			}
			out.push(Object.assign(base, { kind: 'archive', url }));
		}
		return out;
	},

	// CustomWebSocketConnection.onMessage parses every frame whose "data" is
	// not null into its connection data (Gson, DataPushConnecting) before
	// handling it: a frame whose data is not a JSON object, or a string
	// holding one, throws there and is never handled.
	checkFrames(t, frames) {
		const bad = [];
		for (const f of frames) {
			if (!isObj(f.msg)) {
				bad.push(f.text);
				continue;
			}
			const d = f.msg.data;
			if (d === undefined || d === null)
				continue;
			let inner = d;
			if (typeof d === 'string') {
				try { inner = JSON.parse(d); } catch (e) { inner = undefined; }
			}
			if (!isObj(inner) || ('activity_timeout' in inner && typeof inner.activity_timeout !== 'number' &&
			    !/^-?\d+$/.test(String(inner.activity_timeout))))
				bad.push(f.text);
		}
		t.ok(bad.length === 0, 'every frame\'s data is a JSON object or a string holding one (the Java SDK drops any other frame)',
		    bad.slice(0, 5).join('\n'));
	},

	downloadHeaders: { 'User-Agent': DALVIK_AGENT, 'Accept-Encoding': 'gzip' },
};

main(profile);
