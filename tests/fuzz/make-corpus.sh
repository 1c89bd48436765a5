#!/bin/bash
# make-corpus.sh [FIXTURES]: (re)write the seed corpus, tests/fuzz/corpus/.
#
# Media seeds are short pieces of the real recordings that
# tests/media/make-fixtures.sh makes (FIXTURES: a directory it already
# filled; by default it is run into a temp dir), cut with ffmpeg's stream
# copy, so their bytes are the encoder's: two or three pictures with
# their sound, in each container and layout the readers take, plus a few
# damaged on purpose (cut short, a lost packet, garbage in the middle).
# The other targets' seeds are written out here by hand: one request per
# route, client messages, dates and recorder file names.
#
# The result is committed: run this only to change the seeds, then check
# the size (a few hundred KB at most). Inputs that crashed a target once
# live next to the seeds as regress-*, and are kept.
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
OUT=$HERE/corpus

die() {
	echo "make-corpus: $*" >&2
	exit 1
}

command -v ffmpeg >/dev/null || die "ffmpeg not found"
command -v python3 >/dev/null || die "python3 not found"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/archived-corpus.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
if [ $# -ge 1 ]; then
	FIX=$1
else
	FIX=$TMP/fixtures
	bash "$SRC/tests/media/make-fixtures.sh" "$FIX" >/dev/null ||
		die "make-fixtures.sh failed"
fi
[ -f "$FIX/manifest.tsv" ] || die "$FIX holds no fixtures"

# Keep the regression inputs; rewrite the seeds.
for t in fuzz_ts fuzz_mp4 fuzz_fmp4 fuzz_router fuzz_json_form fuzz_time fuzz_pusher fuzz_layout; do
	mkdir -p "$OUT/$t"
	find "$OUT/$t" -type f ! -name 'regress-*' -delete
done

BITEXACT=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)

# cut IN SECONDS OUT [ffmpeg output options...]: the first SECONDS of IN,
# streams copied.
cut() {
	local in=$1 secs=$2 out=$3
	shift 3
	ffmpeg -v error -y -i "$in" -map 0 -c copy -t "$secs" "${BITEXACT[@]}" "$@" "$out"
}

# --- MPEG-TS: each audio frame in its own PES so that sound comes early.
TS=(-f mpegts -pes_payload_size 0)
cut "$FIX/h264_aac_ts/seg000.ts" 0.08 "$OUT/fuzz_ts/h264-aac.ts" "${TS[@]}"
cut "$FIX/h264_bframes_ts/seg001.ts" 0.12 "$OUT/fuzz_ts/h264-bframes.ts" "${TS[@]}"
cut "$FIX/h265_ts/seg000.ts" 0.08 "$OUT/fuzz_ts/h265-aac.ts" "${TS[@]}"
cut "$FIX/silent_ts/seg002.ts" 0.08 "$OUT/fuzz_ts/h264-silent.ts" "${TS[@]}"
# As the recorder writes it: the muxer's own PES sizes, its first packets.
head -c $((188 * 64)) "$FIX/h264_aac_ts/seg000.ts" >"$OUT/fuzz_ts/recorder-head.ts"

# --- plain MP4: moov at the end (the segment muxer's way) or first.
MP4=(-f mp4 -bsf:a aac_adtstoasc)
cut "$FIX/h264_mp4/seg000.mp4" 0.08 "$OUT/fuzz_mp4/h264-aac.mp4" "${MP4[@]}"
cut "$FIX/h264_mp4/seg001.mp4" 0.08 "$OUT/fuzz_mp4/h264-aac-faststart.mp4" "${MP4[@]}" \
	-movflags +faststart
cut "$FIX/h264_bframes_ts/seg001.ts" 0.12 "$OUT/fuzz_mp4/h264-bframes.mp4" "${MP4[@]}" \
	-movflags +faststart
cut "$FIX/h265_ts/seg000.ts" 0.08 "$OUT/fuzz_mp4/h265-hvc1.mp4" "${MP4[@]}" -tag:v hvc1 \
	-movflags +faststart
cut "$FIX/silent_ts/seg000.ts" 0.08 "$OUT/fuzz_mp4/h264-silent.mp4" "${MP4[@]}"

# --- fragmented MP4: a fragment per picture, base offsets both ways,
# running decode times as the fixtures' recorder writes them.
cut "$FIX/h264_fmp4/seg001.mp4" 0.08 "$OUT/fuzz_fmp4/h264-aac.mp4" "${MP4[@]}" \
	-movflags +frag_every_frame+empty_moov+default_base_moof+delay_moov+frag_discont
cut "$FIX/h264_fmp4/seg000.mp4" 0.08 "$OUT/fuzz_fmp4/h264-aac-base-offset.mp4" "${MP4[@]}" \
	-movflags +frag_every_frame+empty_moov
cut "$FIX/h264_bframes_ts/seg000.ts" 0.12 "$OUT/fuzz_fmp4/h264-bframes-separate.mp4" \
	"${MP4[@]}" -movflags +frag_keyframe+empty_moov+default_base_moof+separate_moof
cut "$FIX/h265_ts/seg001.ts" 0.08 "$OUT/fuzz_fmp4/h265-hvc1.mp4" "${MP4[@]}" -tag:v hvc1 \
	-movflags +frag_every_frame+empty_moov+default_base_moof

# --- damaged on purpose: cut short, a lost packet, garbage in the middle.
python3 - "$OUT" <<'EOF'
import os, sys
out = sys.argv[1]

def rd(p):
    with open(os.path.join(out, p), 'rb') as f:
        return f.read()

def wr(p, b):
    with open(os.path.join(out, p), 'wb') as f:
        f.write(b)

# In the second half: the keyframe before the damage stays readable.
ts = rd('fuzz_ts/h264-aac.ts')
wr('fuzz_ts/damaged-cut.ts', ts[:len(ts) * 4 // 5 + 77])
wr('fuzz_ts/damaged-lost-packet.ts', ts[:188 * 56] + ts[188 * 57:])
g = bytearray(ts)
for i in range(188 * 58 + 3, 188 * 58 + 300, 7):
    g[i] = 0x47 if i % 2 else 0x00
wr('fuzz_ts/damaged-garbage.ts', bytes(g))

mp4 = rd('fuzz_mp4/h264-aac-faststart.mp4')
wr('fuzz_mp4/damaged-cut.mp4', mp4[:len(mp4) * 2 // 3])
fm = rd('fuzz_fmp4/h264-aac.mp4')
wr('fuzz_fmp4/damaged-cut.mp4', fm[:len(fm) * 2 // 3])
EOF

# --- the router: one request per route, as clients send them.
ADMIN="Authorization: Bearer 1|adminadminadminadminadminadminadminadmin"
USER="Authorization: Bearer 2|operatoroperatoroperatoroperatoroperator"
JSON="Content-Type: application/json"
FORM="Content-Type: application/x-www-form-urlencoded"
n=0
req() {
	n=$((n + 1))
	printf '%s' "$1" >"$OUT/fuzz_router/$(printf '%02d' "$n")-$2"
}
CRLF=$'\r\n'
FROM="2026-01-15 11:00:00"
TO="2026-01-15 11:05:00"
req "POST /api/admin/v1/auth/token HTTP/1.1${CRLF}${JSON}${CRLF}${CRLF}{\"login\": \"admin\", \"password\": \"secret\", \"device_name\": \"cli\"}" login
req "DELETE /api/admin/v1/auth/token HTTP/1.1${CRLF}${ADMIN}${CRLF}${CRLF}" logout
req "GET /api/admin/v1/user HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" user
req "POST /api/admin/v1/broadcasting/auth HTTP/1.1${CRLF}${USER}${CRLF}${FORM}${CRLF}${CRLF}socket_id=123.456&channel_name=private-user.2" broadcast-auth
req "POST /api/admin/v1/downloads HTTP/1.1${CRLF}${USER}${CRLF}${JSON}${CRLF}${CRLF}{\"camera_id\": 1, \"from\": \"$FROM\", \"to\": \"$TO\"}" create
req "POST /api/admin/v1/downloads HTTP/1.1${CRLF}${ADMIN}${CRLF}${FORM}${CRLF}${CRLF}stream_id=3&from=2026-01-15T10%3A00%3A00Z&to=2026-01-15T11%3A00%3A30%2B01%3A00" create-form
req "GET /api/admin/v1/downloads?page=1&per_page=2&condition=active&camera_id=1&from=2026-01-01&to=2026-12-31 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" list
req "GET /api/admin/v1/downloads/1 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" show
req "DELETE /api/admin/v1/downloads/2 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" delete
req "POST /api/admin/v1/downloads/3/repeat HTTP/1.1${CRLF}${USER}${CRLF}Content-Length: 0${CRLF}${CRLF}" repeat
req "GET /api/admin/v1/downloads/1/file HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" file
# A signed link (url_key of fuzz_router's configuration), as the apps open it.
SIGNED=$(python3 - <<'EOF'
import hashlib, hmac
base = "/api/admin/v1/downloads/1/file?k=abcdef0123456789abcdef01&expires=4102444800"
mac = hmac.new(b"fuzz-url-key-0123456789", ("http://localhost" + base).encode(),
    hashlib.sha256).hexdigest()
print(base + "&signature=" + mac)
EOF
)
req "HEAD $SIGNED HTTP/1.1${CRLF}Range: bytes=0-99${CRLF}${CRLF}" file-signed
req "GET /api/admin/v1/cameras?page=1&per_page=10 HTTP/1.1${CRLF}${ADMIN}${CRLF}${CRLF}" cameras
req "GET /api/admin/v1/streams/1/archive?from=2026-01-15&to=2026-01-16 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" archive
req "POST /api/v1/token HTTP/1.1${CRLF}${JSON}${CRLF}${CRLF}{\"login\": \"operator\", \"password\": \"secret\", \"session_id\": null, \"captcha\": null, \"key\": null, \"rememberMe\": false}" client-login
req "POST /api/v1/logout HTTP/1.1${CRLF}${USER}${CRLF}${JSON}${CRLF}${CRLF}" client-logout
req "GET /api/v1/users/self HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" users-self
req "GET /api/v1/user/ HTTP/1.1${CRLF}${ADMIN}${CRLF}${CRLF}" client-user
req "POST /api/v1/broadcasting/auth HTTP/1.1${CRLF}${USER}${CRLF}${JSON}${CRLF}${CRLF}{\"socket_id\": \"1.2\", \"channel_name\": \"private-token.2\"}" client-broadcast-auth
req "POST /api/v1/downloads HTTP/1.1${CRLF}${USER}${CRLF}${JSON}${CRLF}${CRLF}{\"ids\": [1, 2], \"from\": \"$FROM\", \"to\": \"$TO\"}" client-create
req "POST /api/v1/downloads HTTP/1.1${CRLF}${USER}${CRLF}${FORM}${CRLF}${CRLF}ids[]=1&ids[]=2&from=2026-01-15+11%3A00%3A00&to=2026-01-15+11%3A01%3A00" client-create-form
req "GET /api/v1/downloads?page=1&from=2026-01-15&to=2026-01-16 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" client-list
req "DELETE /api/v1/users/downloads/1 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" client-delete
req "GET /api/v1/cameras/1/archive/link?from=2026-01-15%2011:00:00&to=2026-01-15%2011:02:00 HTTP/1.1${CRLF}${USER}${CRLF}${CRLF}" client-link
req "GET /api/v1/wsurl HTTP/1.1${CRLF}${CRLF}" wsurl
req "GET /api/health HTTP/1.1${CRLF}${CRLF}" health
req "GET /metrics HTTP/1.1${CRLF}Remote-Addr: 10.1.2.3${CRLF}${CRLF}" metrics
req "PUT /api/admin/v1/downloads/5/ HTTP/1.1${CRLF}${ADMIN}${CRLF}${CRLF}" method-not-allowed
req "POST /api/admin/v1/downloads HTTP/1.1${CRLF}${USER}${CRLF}${JSON}${CRLF}Content-Length: 99999${CRLF}${CRLF}{\"camera_id\"" too-big

# --- the body parsers: an options byte (see fuzz_json_form.c), the query,
# a newline, the body.
jf() {
	printf "$1" >"$OUT/fuzz_json_form/$2"
}
jf '\x28page=2&per_page=x&condition=failed\n{"camera_id": 1, "from": "2026-01-15 11:00:00", "to": "2026-01-15T11:05:00+01:00", "ids": [1, "2"]}' json
jf '\x29a=1&b=x+y&ids[]=3&ids[]=4&m[0]=%%41\nlogin=operator&password=s%%3Dcret&rememberMe=false&ids[]=1' form
jf '\x2ax=%%zz\n"not an object"' json-string
jf '\x08\n{"stream_id": "12", "from": "2026-13-01 00:00:00", "to": null, "page": 1.5}' json-types
jf '\x19q=%%E2%%82%%AC\nchannel_name=private-user.1&socket_id=1.2&socket_id=3.4' form-pieces
jf '\x2b\n{}' text-plain
jf '\x2c\n{"from": "2026-01-15"}' short-body

# --- dates: an options byte (allow_date, zone), then the text.
tm() {
	printf "$1" >"$OUT/fuzz_time/$2"
}
tm '\x002026-01-15 10:00:00' local
tm '\x022026-03-29 02:30:00' berlin-gap
tm '\x022026-10-25 02:30:00' berlin-fold
tm '\x042026-03-08 02:30:00' new-york-gap
tm '\x062026-04-05 01:45:00' lord-howe-fold
tm '\x002026-01-15T10:00:00.123456Z' iso-utc
tm '\x022026-01-15T10:00:00+05:30' iso-offset
tm '\x042026-01-15T10:00:00-0800' iso-offset-short
tm '\x012028-02-29' date-only
tm '\x049999-12-31 23:59:59' last
tm '\x061970-01-01T00:00:00Z' epoch

# --- push: lines of "<connection><op><payload>" (see fuzz_pusher.c).
pu() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$OUT/fuzz_pusher/$name"
}
pu ping '{"event":"pusher:ping","data":{}}' '{"event":"pusher:pong","data":{}}' '0q'
pu subscribe '0!7' '0>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-user.1@","channel":"private-user.1"}}' \
	'0>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-token.10@","channel":"private-token.10","last_event_id":0}}' \
	'0earchive_generated' '0q' '0>{"event":"pusher:unsubscribe","data":{"channel":"private-user.1"}}'
pu subscribe-string-data '1!6' '1>{"event":"pusher:subscribe","data":"{\"auth\":\"@SIG:private-user.2@\",\"channel\":\"private-user.2\",\"last_event_id\":\"1\"}"}' '1q'
pu refused '0>{"event":"pusher:subscribe","data":{"auth":"x:00","channel":"private-user.2"}}' \
	'0>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-token.12@","channel":"private-token.12"}}' \
	'0>{"event":"pusher:subscribe","data":{"auth":"@SIG:presence-x@","channel":"presence-x"}}' \
	'0>{"event":"client-typing","channel":"private-user.1","data":{}}' '0>{"event":'
pu user-cap '0>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-user.1@","channel":"private-user.1"}}' \
	'1>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-token.10@","channel":"private-token.10"}}' \
	'2>{"event":"pusher:subscribe","data":{"auth":"@SIG:private-user.1@","channel":"private-user.1"}}' '0-' '2q'
pu pieces '0+{"event":"pus' '0+her:pi' '0>ng","data":{}}' '0t130' '0t200' '1!4' '2!7 wrongkey' '0r'

# --- recorder names: an options byte (layout, --utc, zone), then the path.
ly() {
	printf "$1" >"$OUT/fuzz_layout/$2"
}
ly '\x01/rec/cam1-2026-01-15_11-00-04.ts' ffmpeg
ly '\x01rec/20260115T110004+0100.mp4' ffmpeg-zone
ly '\x01/rec/2026-01-15/11-00-04.ts' ffmpeg-mkdir
ly '\x01/rec/1768471204.ts' ffmpeg-epoch
ly '\x02/rec/cam1/2026-01-15_11-00-04-123456.mp4' mediamtx
ly '\x06/rec/cam1/2026-03-29_02-30-00-000000.ts' mediamtx-utc
ly '\x03/media/frigate/recordings/2026-01-15/10/front/00.04.mp4' frigate
ly '\x03/media/frigate/recordings/2026-01/15/10/front/00.04.mp4' frigate-old
ly '\x00/rec/x/2026-10-25_02-30-00-000000.mp4' auto
ly '\x08/rec/.hidden-2026-01-15.ts.part' hidden

du -sh --apparent-size "$OUT"
find "$OUT" -type f | wc -l
