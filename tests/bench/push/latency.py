"""Commit-to-client latency of pushed events: latency.py SENT RECV LABEL.

SENT: "event_id monotonic_ns" lines from pushbench; RECV: the swarm's JSON
lines. Prints one line (LABEL, p50, p90, p99, max, events received) and
writes "received p50 p99" to RECV.p for the caller's checks."""
import json
import sys

sent = dict(map(int, l.split()) for l in open(sys.argv[1]))
lat = sorted((int(r["first_ns"]) - sent[r["event_id"]]) / 1e6
             for r in map(json.loads, open(sys.argv[2]))
             if r.get("type") == "event" and r["event_id"] in sent)
if not lat:
    print(f"# {sys.argv[3]}: no event arrived")
    sys.exit(1)
pct = lambda p: lat[min(len(lat) - 1, int(round(p / 100 * (len(lat) - 1))))]
print(f"# {sys.argv[3]:<52} p50 {pct(50):6.2f} p90 {pct(90):6.2f}"
      f" p99 {pct(99):6.2f} max {lat[-1]:7.2f} ms ({len(lat)}/{len(sent)} events)")
open(sys.argv[2] + ".p", "w").write(f"{len(lat)} {pct(50)} {pct(99)}\n")
