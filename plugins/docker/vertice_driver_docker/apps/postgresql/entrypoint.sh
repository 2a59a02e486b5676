#!/bin/sh
# vertice's one-click PostgreSQL 15 (Debian's postgresql-15), run as the `postgres` user.
#
# First start (no $PGDATA/PG_VERSION): initdb into a scratch folder, create the role
# $POSTGRES_USER (default app, a login role, not a superuser) with the password
# $POSTGRES_PASSWORD and the database $POSTGRES_DB (default app) it owns, then move the
# folder into place (a start that fails half way leaves nothing behind). Host connections
# from anywhere authenticate with scram-sha-256; the `postgres` superuser logs in only
# through the container's local socket (peer). Then postgres runs in the foreground on 5432.
# The password is required: without it, the container stops at once with a message.
set -eu

PGDATA="${PGDATA:-/var/lib/postgresql/data}"
POSTGRES_USER="${POSTGRES_USER:-app}"
POSTGRES_DB="${POSTGRES_DB:-app}"
export PGDATA POSTGRES_USER POSTGRES_DB

if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "vertice-app-postgresql: POSTGRES_PASSWORD is not set: refusing to start a database" \
        "without a password (give one in the assembly's inputs or env)" >&2
    exit 64
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    partial="$PGDATA.partial"
    rm -rf "$partial"
    echo "vertice-app-postgresql: initialising $PGDATA (user $POSTGRES_USER, database $POSTGRES_DB)"
    initdb --pgdata="$partial" --username=postgres --auth-local=peer \
        --auth-host=scram-sha-256 --encoding=UTF8 --no-locale >/dev/null
    cat >>"$partial/postgresql.conf" <<'CONF'
# vertice's one-click image
listen_addresses = '*'
port = 5432
unix_socket_directories = '/tmp'
password_encryption = 'scram-sha-256'
CONF
    cat >>"$partial/pg_hba.conf" <<'CONF'
# vertice's one-click image: password logins from anywhere
host all all 0.0.0.0/0 scram-sha-256
host all all ::/0 scram-sha-256
CONF
    pg_ctl --pgdata="$partial" --options="-c listen_addresses=''" --wait --silent start
    # The values are read by psql from the environment (\getenv) and quoted by psql
    # (:'value' a literal, :"value" an identifier): never on a command line, never in SQL text.
    psql --no-psqlrc --quiet --host=/tmp --username=postgres --dbname=postgres \
        --set=ON_ERROR_STOP=1 >/dev/null <<'SQL'
\getenv role POSTGRES_USER
\getenv password POSTGRES_PASSWORD
\getenv database POSTGRES_DB
SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'role') AS new_role \gset
\if :new_role
CREATE ROLE :"role" LOGIN PASSWORD :'password';
\else
ALTER ROLE :"role" LOGIN PASSWORD :'password';
\endif
SELECT NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'database') AS new_database \gset
\if :new_database
CREATE DATABASE :"database" OWNER :"role";
\else
ALTER DATABASE :"database" OWNER TO :"role";
\endif
SQL
    pg_ctl --pgdata="$partial" --mode=fast --wait --silent stop
    # Into $PGDATA (it may be a mount point: its contents move, not the folder).
    mkdir -p "$PGDATA"
    chmod 700 "$PGDATA"
    mv "$partial"/* "$PGDATA"/
    rmdir "$partial"
fi

exec postgres -D "$PGDATA"
