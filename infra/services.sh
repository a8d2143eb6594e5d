#!/usr/bin/env bash
# Start/stop the platform's own processes on the project's Node 24, each with a pid file and a log.
# Usage: services.sh start|stop|status [service[:instance[:port]]...]
# Default set: chat-server on :8080 (plus whatever other services exist under services/).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node

default_set() {
  local set=("chat-server:chat-server-1:${CHAT_HTTP_PORT:-8080}")
  [ -f "$SUNSU_ROOT/services/dispatcher/src/main.ts" ] && set+=("dispatcher:dispatcher-1:${CHAT_DISPATCHER_HTTP_PORT:-9091}")
  [ -f "$SUNSU_ROOT/services/syncer/src/main.ts" ] && set+=("syncer:syncer-1:${CHAT_SYNCER_HTTP_PORT:-9092}")
  echo "${set[@]}"
}

start_one() {
  local svc="$1" inst="$2" port="$3"
  if is_running "$inst"; then log "$inst already running"; return 0; fi
  local env=(CHAT_SERVER_ID="$inst")
  case "$svc" in
    chat-server) env+=(CHAT_HTTP_PORT="$port") ;;
    dispatcher) env+=(CHAT_DISPATCHER_HTTP_PORT="$port") ;;
    syncer) env+=(CHAT_SYNCER_HTTP_PORT="$port") ;;
  esac
  # exec: the recorded pid is node itself, so stop signals reach the process that drains its sockets.
  (cd "$SUNSU_ROOT/services/$svc" && exec env "${env[@]}" node src/main.ts) >>"$SUNSU_LOGS/$inst.log" 2>&1 </dev/null &
  echo $! >"$(pidfile "$inst")"
  if [ "$port" != "0" ]; then
    wait_for "$inst" 60 curl -sf "http://127.0.0.1:$port/readyz" || die "$inst did not become ready (log: $SUNSU_LOGS/$inst.log)"
    log "$inst ready on http://127.0.0.1:$port/"
  else
    sleep 1; is_running "$inst" || { tail -n 20 "$SUNSU_LOGS/$inst.log" >&2; die "$inst exited at start"; }
    log "$inst started (pid $(cat "$(pidfile "$inst")"))"
  fi
}

action="${1:-start}"; shift || true
specs=("$@"); [ ${#specs[@]} -gt 0 ] || read -r -a specs <<<"$(default_set)"
for spec in "${specs[@]}"; do
  IFS=: read -r svc inst port <<<"$spec"
  inst="${inst:-$svc-1}"; port="${port:-0}"
  case "$action" in
    start) start_one "$svc" "$inst" "$port" ;;
    stop) stop_pid "$inst" "${CHAT_SHUTDOWN_GRACE_SECONDS:-15}" ;;
    status) is_running "$inst" && echo "$inst: running (pid $(cat "$(pidfile "$inst")"))" || echo "$inst: stopped" ;;
    *) die "usage: $0 start|stop|status [service[:instance[:port]]...]" ;;
  esac
done
