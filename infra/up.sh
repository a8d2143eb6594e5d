#!/usr/bin/env bash
# `make up`: everything a newcomer needs to use the platform locally, from nothing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
started=$SECONDS
nodebin="$(bash "$here/node.sh")"; [ -n "$nodebin" ] && export PATH="$nodebin:$PATH"
bash "$here/deps.sh"
bash "$here/servers.sh" start
(cd "$SUNSU_ROOT" && node scripts/provision.ts) >>"$SUNSU_LOGS/provision.log" 2>&1 || { tail "$SUNSU_LOGS/provision.log"; die "provisioning failed"; }
log "provisioned (migrations, topics): $SUNSU_LOGS/provision.log"
bash "$here/web.sh"
bash "$here/services.sh" start
port="${CHAT_HTTP_PORT:-8080}"
cat <<MSG

  Sunsu Chat is up in $((SECONDS - started)) s.
    Chat page:  http://127.0.0.1:$port/
    Health:     http://127.0.0.1:$port/readyz   Metrics: http://127.0.0.1:$port/metrics
    Logs:       $SUNSU_LOGS/   (make logs)
    Stop:       make down

  Sign in with a development identity (tokens signed with the development secret):
    TOKEN=\$(node scripts/dev-token.ts 1001 "Couple Kim" couple)
    curl -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
         -d '{"plannerId":"2002"}' http://127.0.0.1:$port/api/chat/rooms
    STOMP: ws://127.0.0.1:$port/stomp (header Authorization: Bearer <token>), SockJS: /ws, Socket.IO: /socket.io/

MSG
