#!/usr/bin/env bash
# PostgreSQL 15 from Debian, its own cluster under .run/data/postgres on 127.0.0.1:$PG_PORT.
# The server refuses to run as root, so as root the cluster belongs to the `postgres` OS user.
# Creates the databases `sunsu` (system of record) and `ferretdb` (FerretDB's backing store).
# Usage: postgres.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=postgres
datadir="$SUNSU_DATA/postgres"

pg_bindir() {
  local d; d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  [ -n "$d" ] || d="$(dirname "$(command -v postgres 2>/dev/null || echo /nonexistent/x)")"
  echo "$d"
}
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "${1:-start}" in
  start)
    apt_install postgresql
    bin="$(pg_bindir)"; [ -x "$bin/pg_ctl" ] || die "PostgreSQL binaries not found"
    if [ "$(id -u)" -eq 0 ]; then
      # postgres must be able to traverse to the data folder
      mkdir -p "$datadir"; chown postgres:postgres "$datadir" "$SUNSU_LOGS"
      chmod o+x "$SUNSU_RUN" "$SUNSU_DATA" 2>/dev/null || true
      touch "$SUNSU_LOGS/$name.log"; chown postgres "$SUNSU_LOGS/$name.log"
    fi
    if [ ! -f "$datadir/PG_VERSION" ]; then
      log "initdb $datadir"
      as_pg "$bin/initdb" -D "$datadir" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >>"$SUNSU_LOGS/$name.log" 2>&1 \
        || die "initdb failed, see $SUNSU_LOGS/$name.log"
    fi
    # The local cluster's pods connect through the node address from the pod network (development trust only).
    nodeip="$(server_node_address)"
    hba="$datadir/pg_hba.conf"
    grep -q 'sunsu: pods' "$hba" || printf '# sunsu: pods of the local cluster\nhost all all 10.244.0.0/16 trust\nhost all all %s/32 trust\n' "$SUNSU_NODE_IP" >>"$hba"
    if as_pg "$bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
      log "$name already running on :$PG_PORT"
    else
      # fsync off: local/test cluster only; the data folder is disposable.
      as_pg "$bin/pg_ctl" -D "$datadir" -l "$SUNSU_LOGS/$name.log" -w -t 60 start \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1${nodeip:+,$nodeip} -k /tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null \
        || { tail -n 30 "$SUNSU_LOGS/$name.log" >&2; die "postgres did not start"; }
    fi
    head -n 1 "$datadir/postmaster.pid" >"$(pidfile $name)"
    wait_for $name 30 "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT" -U postgres
    for db in sunsu ferretdb; do
      "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1 \
        || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
    done
    log "$name ready on 127.0.0.1${nodeip:+,$nodeip}:$PG_PORT ($("$bin/postgres" --version))"
    ;;
  stop)
    bin="$(pg_bindir)"
    if [ -f "$datadir/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl" -D "$datadir" -m fast -w -t 30 stop >/dev/null 2>&1 || stop_pid $name 10
      log "stopped $name"
    fi
    rm -f "$(pidfile $name)"
    release_node_address_if_unused
    ;;
  status) is_running $name && echo "$name: running on 127.0.0.1:$PG_PORT" || echo "$name: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
