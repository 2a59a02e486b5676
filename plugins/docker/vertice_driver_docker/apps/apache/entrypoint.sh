#!/bin/sh
# vertice's one-click Apache httpd 2.4 (Debian's apache2), run as `www-data` (not root):
# in the foreground, listening on $HTTP_PORT (default 80, which only root may bind: the
# catalog's plan sets 8080), serving /var/www/html. Its run, lock and log folders are under
# /tmp (writable by www-data); its logs are links to the container's stderr (errors) and
# stdout (accesses), so the engine's logs show them.
set -eu

set +u  # Debian's envvars reads variables that may be unset
. /etc/apache2/envvars
set -u
HTTP_PORT="${HTTP_PORT:-80}"
APACHE_RUN_DIR=/tmp/apache2/run
APACHE_LOCK_DIR=/tmp/apache2/lock
APACHE_LOG_DIR=/tmp/apache2/log
APACHE_PID_FILE=/tmp/apache2/run/apache2.pid
export HTTP_PORT APACHE_RUN_DIR APACHE_LOCK_DIR APACHE_LOG_DIR APACHE_PID_FILE
mkdir -p "$APACHE_RUN_DIR" "$APACHE_LOCK_DIR" "$APACHE_LOG_DIR"
ln -sf /dev/stderr "$APACHE_LOG_DIR/error.log"
ln -sf /dev/stdout "$APACHE_LOG_DIR/access.log"
ln -sf /dev/stdout "$APACHE_LOG_DIR/other_vhosts_access.log"

exec apache2 -DFOREGROUND
