#!/usr/bin/env bash
# `make down`: stop the platform's services, then the backing servers, each by its pid file.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
for f in "$SUNSU_PIDS"/*.pid; do
  [ -e "$f" ] || continue
  name="$(basename "$f" .pid)"
  case "$name" in redis|postgres|kafka|ferretdb|s3) ;; *) stop_pid "$name" 15 ;; esac
done
bash "$here/servers.sh" stop
