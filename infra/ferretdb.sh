#!/usr/bin/env bash
# FerretDB v1.24 (MongoDB wire protocol) on the local PostgreSQL, built from infra/ferretdb (a small wrapper
# around the embeddable package). Local and test stand-in only: production points CHAT_MONGO_URL at MongoDB.
# Usage: ferretdb.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=ferretdb
case "${1:-start}" in
  start)
    bin="$(go_wrapper_bin ferretdb "ferretdb-local-$FERRETDB_VERSION")" || exit 1
    if is_running $name; then log "$name already running on :$FERRETDB_PORT"; exit 0; fi
    nodeip="$(server_node_address)"
    nohup "$bin" --listen-addr "127.0.0.1:$FERRETDB_PORT${nodeip:+,$nodeip:$FERRETDB_PORT}" \
      --postgresql-url "postgres://postgres@127.0.0.1:$PG_PORT/ferretdb" >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile $name)"
    wait_for $name 30 port_open "$FERRETDB_PORT" || die "ferretdb did not open :$FERRETDB_PORT"
    log "$name ready on 127.0.0.1${nodeip:+,$nodeip}:$FERRETDB_PORT (FerretDB $FERRETDB_VERSION on PostgreSQL)"
    ;;
  stop) stop_pid $name; release_node_address_if_unused ;;
  status) is_running $name && echo "$name: running on 127.0.0.1:$FERRETDB_PORT" || echo "$name: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
