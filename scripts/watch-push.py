#!/usr/bin/python3
"""Watch archived's push like the product's apps do: ask GET /api/v1/wsurl
where to connect, authorise the caller's private-token and private-user
channels at /api/v1/broadcasting/auth, and print every event. Speaks the
Pusher protocol 7 over python3-websockets (a Debian package), so no npm is
needed to see a push.

  watch-push.py --url http://localhost:8080 --token 'ID|SECRET' [--count N] [--until TYPE]
                [--timeout S] [--json]

Exits 0 after --count events or the first of type --until (default: never),
3 on --timeout, 1 on an error.
"""
import argparse
import asyncio
import json
import sys
import urllib.parse
import urllib.request

try:
    import websockets
except ImportError:
    sys.exit("watch-push: install python3-websockets (apt-get install python3-websockets)")


def api(base, token, method, path, form=None):
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Accept", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.load(r)


def describe(event, envelope):
    inner = envelope.get("data") or {}
    kind = inner.get("type", "?")
    body = inner.get("data") or {}
    dl = body.get("download") or {}
    line = "%s %s event %s: download %s %s" % (event.split("\\")[-1], kind, inner.get("event_id"),
                                               dl.get("id"), dl.get("condition"))
    if kind == "archive_progress":
        line += " %s%%" % dl.get("progress")
    if body.get("url"):
        line += "\n    " + body["url"]
    if dl.get("error"):
        line += "\n    error: %s: %s" % (dl["error"].get("code"), dl["error"].get("message"))
    return line


async def watch(args):
    where = api(args.url, None, "GET", "/api/v1/wsurl")
    me = api(args.url, args.token, "GET", "/api/v1/user")
    channels = ["private-token.%s" % me["access_token_id"], "private-user.%s" % me["id"]]
    uri = "%s/app/%s?protocol=7&client=python&version=1.0" % (where["ws_url"], where["app_key"])
    seen = 0
    async with websockets.connect(uri, max_size=2 ** 20) as ws:
        async for raw in ws:
            msg = json.loads(raw)
            ev, data = msg.get("event"), msg.get("data")
            if ev == "pusher:connection_established":
                socket_id = json.loads(data)["socket_id"]
                for ch in channels:
                    auth = api(args.url, args.token, "POST", "/api/v1/broadcasting/auth",
                               {"socket_id": socket_id, "channel_name": ch})["auth"]
                    await ws.send(json.dumps({"event": "pusher:subscribe",
                                              "data": {"channel": ch, "auth": auth}}))
            elif ev == "pusher:ping":
                await ws.send(json.dumps({"event": "pusher:pong", "data": {}}))
            elif ev == "pusher_internal:subscription_succeeded":
                print("subscribed to %s" % msg.get("channel"), flush=True,
                      file=sys.stderr if args.json else sys.stdout)
            elif ev == "pusher:error":
                print("error: %s" % data, file=sys.stderr, flush=True)
            elif ev and not ev.startswith("pusher"):
                envelope = json.loads(data) if isinstance(data, str) else data
                if args.json:
                    print(json.dumps({"event": ev, "channel": msg.get("channel"), "data": envelope}),
                          flush=True)
                else:
                    print(describe(ev, envelope), flush=True)
                seen += 1
                if args.count and seen >= args.count:
                    return 0
                if args.until and (envelope.get("data") or {}).get("type") == args.until:
                    return 0
    return 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--url", required=True, help="the web server, e.g. http://localhost:8080")
    p.add_argument("--token", required=True, help="an API token, ID|SECRET")
    p.add_argument("--count", type=int, default=0, help="exit after this many events")
    p.add_argument("--until", metavar="TYPE", help="exit after the first event of this type"
                   " (e.g. archive_generated)")
    p.add_argument("--timeout", type=float, default=0, help="give up after this many seconds")
    p.add_argument("--json", action="store_true", help="print events as JSON lines")
    args = p.parse_args()
    args.url = args.url.rstrip("/")
    try:
        coro = watch(args)
        if args.timeout:
            coro = asyncio.wait_for(coro, args.timeout)
        return asyncio.run(coro)
    except asyncio.TimeoutError:
        print("timeout", file=sys.stderr)
        return 3
    except (OSError, ValueError, KeyError, websockets.exceptions.WebSocketException) as e:
        print("watch-push: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
