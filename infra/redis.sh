#!/usr/bin/env bash
# Redis 7 from Debian's redis-server, on 127.0.0.1:$REDIS_PORT. Usage: redis.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=redis
case "${1:-start}" in
  start)
    apt_install redis-server
    if is_running $name; then log "$name already running on :$REDIS_PORT"; exit 0; fi
    mkdir -p "$SUNSU_DATA/redis"
    # No persistence: Redis is the hot store; the system of record is Postgres/MongoDB and hydration rebuilds it.
    # Also on the node address for the local cluster's pods (protected mode would refuse them: no password here).
    nodeip="$(server_node_address)"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 ${nodeip:+"$nodeip"} --dir "$SUNSU_DATA/redis" \
      --save '' --appendonly no --protected-mode "$([ -n "$nodeip" ] && echo no || echo yes)" --maxclients 10000 \
      --daemonize yes --pidfile "$(pidfile $name)" --logfile "$SUNSU_LOGS/$name.log"
    wait_for $name 20 redis-cli -p "$REDIS_PORT" ping
    log "$name ready on 127.0.0.1${nodeip:+,$nodeip}:$REDIS_PORT ($(redis-server --version | awk '{print $3}'))"
    ;;
  stop) stop_pid $name; release_node_address_if_unused ;;
  status) is_running $name && echo "$name: running on 127.0.0.1:$REDIS_PORT" || echo "$name: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
