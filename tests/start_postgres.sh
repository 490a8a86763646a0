#!/usr/bin/env bash
# A throwaway PostgreSQL for the integration tests, on 127.0.0.1:54329 only.
#
#   eval "$(bash tests/start_postgres.sh)"      # sets PAICHAN_TEST_PG_URL
#   bash tests/start_postgres.sh stop           # stops it and deletes the cluster
#
# Installs Debian's postgresql when initdb/pg_ctl are missing (needs root), creates a cluster
# in a temporary directory (owned by the `postgres` user when run as root), starts it, creates
# the password user `paichan` and the database `paichan_test`, and prints one `export` line on
# stdout (everything else goes to stderr). A second call reuses the running server.
set -euo pipefail

PORT="${PAICHAN_PG_PORT:-54329}"
DIR="${PAICHAN_PG_DIR:-${TMPDIR:-/tmp}/paichan-pg-$PORT}"
DB=paichan_test
USER_NAME=paichan
PASSWORD=paichan-test-only
URL="postgresql+asyncpg://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB"

log() { echo "start_postgres: $*" >&2; }

find_bin() {  # the directory holding initdb and pg_ctl, or nothing
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"
    fi
}

BIN="$(find_bin)"
if [ -z "$BIN" ]; then
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and I am not root: install the 'postgresql' package first"
        exit 1
    fi
    log "installing postgresql (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)"
    [ -n "$BIN" ] || { log "initdb/pg_ctl still missing after installing postgresql"; exit 1; }
fi

# As root, the cluster belongs to `postgres` (initdb refuses to run as root).
if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/sh postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

DATA="$DIR/data"
psql_admin() { as_pg "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres -d postgres "$@"; }

if [ "${1:-}" = "stop" ]; then
    if [ -d "$DATA" ]; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true; fi
    rm -rf "$DIR"
    log "stopped and removed $DIR"
    exit 0
fi

if [ -f "$DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    log "reusing the server running in $DATA"
else
    if [ ! -f "$DATA/PG_VERSION" ]; then
        rm -rf "$DIR"
        mkdir -p "$DIR"
        if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR"; fi
        chmod 700 "$DIR"
        log "creating a cluster in $DATA"
        as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
            --encoding=UTF8 --no-locale >&2
    fi
    log "starting on 127.0.0.1:$PORT"
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" \
        start >&2
fi

# The user and the database (idempotent).
psql_admin <<SQL >&2
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$USER_NAME') THEN
    CREATE ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD';
  ELSE
    ALTER ROLE $USER_NAME LOGIN PASSWORD '$PASSWORD';
  END IF;
END
\$\$;
SQL
if [ "$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
    psql_admin -c "CREATE DATABASE $DB OWNER $USER_NAME" >&2
fi

echo "export PAICHAN_TEST_PG_URL='$URL'"
