#!/bin/sh
# vertice's one-click static web server: busybox httpd in the foreground on $PORT (default
# 8080), serving /www (a welcome page), as an unprivileged user.
exec httpd -f -v -p "${PORT:-8080}" -h /www
