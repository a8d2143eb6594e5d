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

  Chat in two browser windows (each tab signs in on its own):
    1. open http://127.0.0.1:$port/ and sign in as user id 1001, name "Couple Kim", role couple
    2. open it in a second window and sign in as 2002, "Planner Lee", planner
    3. in the first window enter 2002 under "Partner user id" and press "Start chat"; the room
       appears in the second window's list within seconds (or reload it)

  Tokens for curl and STOMP clients (signed with the development secret):
    TOKEN=\$(node scripts/dev-token.ts 1001 "Couple Kim" couple)
    curl -H "Authorization: Bearer \$TOKEN" -H 'content-type: application/json' \\
         -d '{"plannerId":"2002"}' http://127.0.0.1:$port/api/chat/rooms
    STOMP: ws://127.0.0.1:$port/stomp (header Authorization: Bearer <token>), SockJS: /ws, Socket.IO: /socket.io/

MSG
