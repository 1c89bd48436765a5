# Shared by the media scripts: a cached OUTDIR is reused when its manifest
# matches this VERSION and every file it lists has its recorded size (0:
# the file must be absent); concurrent runs on one OUTDIR wait for each
# other. Sourced after OUTDIR and VERSION are set.

# media_complete: OUTDIR holds a complete set of this VERSION.
media_complete() {
	[ -f "$OUTDIR/manifest.tsv" ] && [ -f "$OUTDIR/.version" ] || return 1
	[ "$(cat "$OUTDIR/.version")" = "$VERSION" ] || return 1
	local case path bytes
	while IFS=$'\t' read -r case path _ _ bytes _; do
		[ "$case" = case ] && continue
		if [ "$bytes" -eq 0 ]; then
			[ ! -e "$OUTDIR/$path" ] || return 1
		else
			[ "$(stat -c %s "$OUTDIR/$path" 2>/dev/null)" = "$bytes" ] || return 1
		fi
	done <"$OUTDIR/manifest.tsv"
}

# media_reuse_or_lock: exit 0 at once if OUTDIR is complete; otherwise
# hold OUTDIR's lock (tests running in parallel share one OUTDIR: the first
# builds, the others wait and then find it complete).
media_reuse_or_lock() {
	mkdir -p "$OUTDIR"
	media_complete && exit 0
	if command -v flock >/dev/null; then
		exec 9>"$OUTDIR/.lock"
		flock 9
		media_complete && exit 0
	fi
	return 0
}

# The script's own hash and this file's: a change to either rebuilds.
media_script_hash() {
	cat "$1" "$(dirname "$1")/common.sh" | sha256sum | cut -d' ' -f1
}

ff() {
	ffmpeg -nostdin -hide_banner -loglevel error -y "$@"
}
