#!/usr/bin/env bash
# A local S3-compatible server (gofakes3 on a bolt file, built from infra/s3) for the chat-server's S3 storage
# adapter in tests. Local/test stand-in only: production points CHAT_S3_ENDPOINT at S3 or any S3-compatible store.
# Usage: s3.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
name=s3
S3_PORT="${S3_PORT:-19000}"
case "${1:-start}" in
  start)
    bin="$(go_wrapper_bin s3 s3-local)" || exit 1
    if is_running $name; then log "$name already running on :$S3_PORT"; exit 0; fi
    mkdir -p "$SUNSU_DATA/s3"
    nodeip="$(server_node_address)"
    nohup "$bin" --listen-addr "127.0.0.1:$S3_PORT${nodeip:+,$nodeip:$S3_PORT}" --db "$SUNSU_DATA/s3/s3.bolt" --bucket sunsu-uploads \
      >>"$SUNSU_LOGS/$name.log" 2>&1 </dev/null &
    echo $! >"$(pidfile $name)"
    wait_for $name 30 port_open "$S3_PORT" || die "s3 did not open :$S3_PORT"
    log "$name ready on 127.0.0.1${nodeip:+,$nodeip}:$S3_PORT (S3 API, bucket sunsu-uploads)"
    ;;
  stop) stop_pid $name; release_node_address_if_unused ;;
  status) is_running $name && echo "$name: running on 127.0.0.1:$S3_PORT" || echo "$name: stopped" ;;
  *) die "usage: $0 start|stop|status" ;;
esac
