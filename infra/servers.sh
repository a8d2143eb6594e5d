#!/usr/bin/env bash
# Start or stop every backing server in dependency order. Usage: servers.sh start|stop|status
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
case "${1:-start}" in
  start)
    bash "$here/redis.sh" start
    bash "$here/postgres.sh" start
    bash "$here/ferretdb.sh" start
    bash "$here/kafka.sh" start
    bash "$here/s3.sh" start
    ;;
  stop)
    bash "$here/s3.sh" stop
    bash "$here/ferretdb.sh" stop
    bash "$here/kafka.sh" stop
    bash "$here/postgres.sh" stop
    bash "$here/redis.sh" stop
    ;;
  status) for s in redis postgres ferretdb kafka s3; do bash "$here/$s.sh" status; done ;;
  *) die "usage: $0 start|stop|status" ;;
esac
