#!/usr/bin/env bash
# Install the workspace's npm dependencies with the project's Node, only when package-lock.json changed.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
use_project_node
stamp="$SUNSU_ROOT/node_modules/.sunsu-lock-hash"
want="$(sha256sum "$SUNSU_ROOT/package-lock.json" | cut -c1-16)-$(node -p process.version)"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then exit 0; fi
log "npm ci (node $(node --version), npm $(npm --version))"
(cd "$SUNSU_ROOT" && npm ci --no-audit --no-fund --loglevel=error >&2) || die "npm ci failed"
echo "$want" >"$stamp"
