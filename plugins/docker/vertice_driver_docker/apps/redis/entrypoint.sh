#!/bin/sh
# vertice's one-click Redis (Debian's redis-server), run as the `redis` user: in the
# foreground on 6379 ($REDIS_PORT), every address, protected mode off, no persistence (a
# cache). With $REDIS_PASSWORD set, clients must AUTH with it (`requirepass`). The
# configuration is written to a private file, so the password is on no command line.
set -eu

umask 077
config=/tmp/redis.conf
{
    echo "port ${REDIS_PORT:-6379}"
    echo "bind 0.0.0.0"
    echo "protected-mode no"
    echo "daemonize no"
    echo 'save ""'
    echo "appendonly no"
    echo "dir /tmp"
    echo 'logfile ""'
    if [ -n "${REDIS_PASSWORD:-}" ]; then
        # A double-quoted value of redis.conf: backslashes and quotes escaped.
        escaped=$(printf '%s' "$REDIS_PASSWORD" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
        printf 'requirepass "%s"\n' "$escaped"
    fi
} >"$config"

exec redis-server "$config"
