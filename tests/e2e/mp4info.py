#!/usr/bin/env python3
"""Print the structure of an MP4 as JSON, for tests: the top-level box
order and, per track, its handler, sample entry, timescale, edit list,
sample count and sync samples. Reads boxes itself so that what it reports
does not depend on how a demuxer interprets them."""
import json
import struct
import sys

CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"edts", b"dinf"}


def boxes(f, start, end):
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        size, kind = struct.unpack(">I4s", f.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", f.read(8))[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header:
            raise ValueError("bad box size at %d" % pos)
        yield kind, pos + header, pos + size
        pos += size


def full(f, start):
    f.seek(start)
    vf = struct.unpack(">I", f.read(4))[0]
    return vf >> 24


def track(f, start, end):
    t = {}
    def walk(s, e):
        for kind, bs, be in boxes(f, s, e):
            if kind in CONTAINERS:
                walk(bs, be)
            elif kind == b"mdhd":
                v = full(f, bs)
                f.seek(bs + 4 + (16 if v == 1 else 8))
                t["timescale"] = struct.unpack(">I", f.read(4))[0]
                t["media_duration"] = struct.unpack(">Q" if v == 1 else ">I", f.read(8 if v == 1 else 4))[0]
            elif kind == b"hdlr":
                f.seek(bs + 8)
                t["handler"] = f.read(4).decode("latin-1")
            elif kind == b"elst":
                v = full(f, bs)
                f.seek(bs + 4)
                n = struct.unpack(">I", f.read(4))[0]
                entries = []
                for _ in range(n):
                    if v == 1:
                        d, m = struct.unpack(">Qq", f.read(16))
                    else:
                        d, m = struct.unpack(">Ii", f.read(8))
                    f.read(4)
                    entries.append({"segment_duration": d, "media_time": m})
                t["elst"] = entries
            elif kind == b"stsd":
                f.seek(bs + 8)
                f.read(4)
                t["sample_entry"] = f.read(4).decode("latin-1")
            elif kind == b"stsz":
                f.seek(bs + 4)
                size, count = struct.unpack(">II", f.read(8))
                t["samples"] = count
            elif kind == b"ctts":
                f.seek(bs + 4)
                n = struct.unpack(">I", f.read(4))[0]
                if n:
                    f.read(4)
                    t["first_cts_offset"] = struct.unpack(">i", f.read(4))[0]
            elif kind == b"stss":
                f.seek(bs + 4)
                t["sync_samples"] = struct.unpack(">I", f.read(4))[0]
                t["first_sync"] = struct.unpack(">I", f.read(4))[0] if t["sync_samples"] else None
    walk(start, end)
    return t


def main(path):
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        top = []
        tracks = []
        movie_timescale = None
        for kind, bs, be in boxes(f, 0, size):
            top.append(kind.decode("latin-1"))
            if kind == b"moov":
                for k2, s2, e2 in boxes(f, bs, be):
                    if k2 == b"trak":
                        tracks.append(track(f, s2, e2))
                    elif k2 == b"mvhd":
                        v = full(f, s2)
                        f.seek(s2 + 4 + (16 if v == 1 else 8))
                        movie_timescale = struct.unpack(">I", f.read(4))[0]
    print(json.dumps({"boxes": top, "movie_timescale": movie_timescale, "tracks": tracks}))


if __name__ == "__main__":
    main(sys.argv[1])
