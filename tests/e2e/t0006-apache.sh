#!/bin/bash
# downloads.fcgi unchanged behind a real Apache 2.4, with conf/apache/ as
# shipped: the API under mod_fcgid (the Authorization header passed on, a
# body over 64 KiB let through to the API's own 413), archives sent by
# mod_xsendfile (Range included, the file's path never shown to the
# client), and WebSocket upgrades proxied to archive-pushd by
# mod_proxy_wstunnel.
. "$(dirname "$0")/lib.sh"
. "$top_srcdir/tests/e2e/lib-apache.sh"
setup
apache_prepare
start_apache

# --- the API through mod_fcgid
SERVER=Apache HIDDEN=X-Sendfile HIDDEN_PATH=$DL_DIR
. "$top_srcdir/tests/e2e/webserver-checks.sh"

stop_apache
check "no token in Apache's logs" \
	sh -c "! grep -qF -- '${TOKEN#*|}' '$T/apache/apache2-error.log' '$T/apache/apache2-access.log'"
# A report written to stderr (where mod_fcgid's programs write) would land
# in the error log rather than in $T/san.
check "no sanitizer report in Apache's error log" \
	sh -c "! grep -Eq 'AddressSanitizer|LeakSanitizer|runtime error:' '$T/apache/apache2-error.log'"

finish
