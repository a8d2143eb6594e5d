#!/usr/bin/env bash
# Traefik v3.7.13, the cluster's Ingress controller (IngressClass `traefik`), built from source through the Go module
# proxy (infra/traefik: wrapper module + the workarounds in infra/traefik/build.sh) and run on the real node as a
# FROM-scratch image. Binary and image archive are cached in $SUNSU_CACHE, keyed by a hash of infra/traefik.
# Cold compile measured here: 883 s wall on 2 cores shared with a cold Kubernetes build (~18 min in the recipe),
# 3.0 GB peak RSS (the linker), 171 MB static binary; a rebuild with a warm Go cache takes ~15 s; image 10 s, 47 MB.
#
# Usage: traefik.sh build      build the binary once, print its path
#        traefik.sh image      build the OCI archive of localhost/sunsu/traefik:v3.7.13 once, print its path
#        traefik.sh deploy     load the image into the node, apply infra/k8s/traefik.yaml, wait until Available
#        traefik.sh undeploy   delete what deploy applied
#        traefik.sh status     binary, image and Deployment state
#        traefik.sh selftest   with Traefik deployed: an echo backend (infra/k8s/traefik-echo.yaml) behind an Ingress,
#                              HTTP, a blocked path and a WebSocket through NodePort 30080; then removes the echo
#                              (SELFTEST_KEEP=1 keeps it)
# Traffic: NodePort 30080 on the node address ($SUNSU_NODE_IP), e.g. curl -H 'Host: <host>' http://10.245.0.1:30080/
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TRAEFIK_VERSION="v3.7.13"
TRAEFIK_IMAGE="localhost/sunsu/traefik:$TRAEFIK_VERSION"
TRAEFIK_NS="sunsu-ingress"
TRAEFIK_UID=65532
traefik_src="$SUNSU_ROOT/infra/traefik"
manifest="$SUNSU_ROOT/infra/k8s/traefik.yaml"
echo_manifest="$SUNSU_ROOT/infra/k8s/traefik-echo.yaml"
ECHO_IMAGE="localhost/sunsu/traefik-echo:test"
ECHO_NS="sunsu-traefik-test"

# Everything under infra/traefik decides the binary (go.mod/go.sum, the stand-ins, the patching build script).
src_hash() {
  (cd "$traefik_src" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-12
}
bin_dir() { echo "$SUNSU_CACHE/traefik-$TRAEFIK_VERSION-$(src_hash)"; }
# The image layout; changing it gives a new archive name.
IMAGE_SPEC="v1 user=$TRAEFIK_UID volume=/tmp entrypoint=/traefik ports=8000,9000 ca-certificates"
archive_path() { echo "$(bin_dir)/traefik-image-$(echo "$IMAGE_SPEC" | sha256sum | cut -c1-8).oci.tar"; }

build() {
  local dir bin; dir="$(bin_dir)"; bin="$dir/traefik"
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || apt_install golang-go
    # Work trees share the cache: one Traefik build at a time (a second one waits, then finds the binary).
    exec 8>"$SUNSU_CACHE/.traefik-build.lock"
    flock -w 3600 8 || die "another Traefik build holds $SUNSU_CACHE/.traefik-build.lock"
    if [ ! -x "$bin" ]; then
      local logf="$SUNSU_LOGS/traefik-build.log" t0=$SECONDS stats=""
      log "building Traefik $TRAEFIK_VERSION from infra/traefik (cold: ~18 min, ~3 GB RAM; log $logf)"
      rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
      # The prepared sources live at a fixed path, so the Go build cache stays warm across source hashes.
      local timer=(); [ -x /usr/bin/time ] && timer=(/usr/bin/time -f 'build: %U s user, %S s system; max RSS of one process: %M KiB' -a -o "$logf")
      : >"$logf"
      "${timer[@]}" bash "$traefik_src/build.sh" build "$SUNSU_CACHE/traefik-$TRAEFIK_VERSION-src" "$dir.tmp/traefik" \
        >>"$logf" 2>&1 || die "Traefik build failed, see $logf"
      stats="$(sed -n 's/^build: \([0-9]*\)\.[0-9]* s user, \([0-9]*\)\.[0-9]* s system; max RSS of one process: \([0-9]*\) KiB$/\1 \2 \3/p' "$logf" | tail -n 1)"
      "$dir.tmp/traefik" version >>"$logf" 2>&1 || die "the built Traefik does not run, see $logf"
      rm -rf "$dir"; mv "$dir.tmp" "$dir"
      set -- $stats
      log "built Traefik in $((SECONDS - t0)) s (${1:+$(($1 + $2)) CPU-s, peak RSS of one process $(($3 / 1024)) MB, }$(du -m "$bin" | cut -f1) MB)"
    fi
    flock -u 8
  fi
  echo "$bin"
}

image() {
  local bin archive; bin="$(build)"; archive="$(archive_path)"
  if [ ! -f "$archive" ]; then
    exec 8>"$SUNSU_CACHE/.traefik-build.lock"
    flock -w 600 8 || die "another Traefik build holds $SUNSU_CACHE/.traefik-build.lock"
  fi
  if [ ! -f "$archive" ]; then
    local t0=$SECONDS stage ctr
    stage="$(mktemp -d)"
    # FROM scratch: the static binary, a world-writable /tmp (also a volume), passwd/group naming the non-root user,
    # and the CA bundle for TLS to backends or ACME (when the host has one).
    mkdir -p "$stage/etc/ssl/certs" "$stage/tmp"
    chmod 1777 "$stage/tmp"
    install -m 0755 "$bin" "$stage/traefik"
    printf 'root:x:0:0:root:/:/sbin/nologin\nnonroot:x:%s:%s:nonroot:/tmp:/sbin/nologin\n' "$TRAEFIK_UID" "$TRAEFIK_UID" >"$stage/etc/passwd"
    printf 'root:x:0:\nnonroot:x:%s:\n' "$TRAEFIK_UID" >"$stage/etc/group"
    [ -f /etc/ssl/certs/ca-certificates.crt ] && install -m 0644 /etc/ssl/certs/ca-certificates.crt "$stage/etc/ssl/certs/"
    ctr="$(sunsu_buildah from scratch)"
    sunsu_buildah copy --quiet "$ctr" "$stage" / >/dev/null
    sunsu_buildah config --user "$TRAEFIK_UID:$TRAEFIK_UID" --entrypoint '["/traefik"]' --cmd '' --workingdir / \
      --volume /tmp --port 8000/tcp --port 9000/tcp --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
      --label org.opencontainers.image.title=traefik --label "org.opencontainers.image.version=$TRAEFIK_VERSION" \
      --label org.opencontainers.image.source=https://github.com/traefik/traefik "$ctr"
    sunsu_buildah commit --quiet --rm "$ctr" "$TRAEFIK_IMAGE" >/dev/null
    rm -rf "$stage"
    sunsu_buildah push --quiet "$TRAEFIK_IMAGE" "oci-archive:$archive.tmp:$TRAEFIK_IMAGE" >/dev/null
    sunsu_buildah inspect --type image --format '{{.FromImageID}}' "$TRAEFIK_IMAGE" >"$archive.id"
    mv "$archive.tmp" "$archive"
    log "image $TRAEFIK_IMAGE in $((SECONDS - t0)) s: $(du -m "$archive" | cut -f1) MB"
  fi
  flock -u 8 2>/dev/null || true
  echo "$archive"
}

use_cluster() {
  eval "$(bash "$SUNSU_ROOT/infra/cluster.sh" env)"
  kubectl get --raw /readyz >/dev/null 2>&1 || die "the cluster is not running (bash infra/cluster.sh start)"
}

deploy() {
  local archive; archive="$(image)"
  grep -q 'load-image' "$SUNSU_ROOT/infra/cluster.sh" \
    || die "infra/cluster.sh has no load-image command yet (it comes with the real node); only build/image work"
  use_cluster
  local t0=$SECONDS
  bash "$SUNSU_ROOT/infra/cluster.sh" load-image "$archive" >&2 || die "could not load $archive into the node"
  kubectl apply -f "$manifest" >&2 || die "kubectl apply -f $manifest failed"
  # The tag stays v3.7.13 when the image is rebuilt: the image id on the pod template rolls the pods when it changes.
  kubectl -n "$TRAEFIK_NS" patch deployment traefik --type merge >/dev/null \
    -p "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"sunsu.dev/image-id\":\"$(cut -c1-19 "$archive.id")\"}}}}}"
  if ! kubectl -n "$TRAEFIK_NS" rollout status deployment/traefik --timeout=180s >&2 \
    || ! kubectl -n "$TRAEFIK_NS" wait --for=condition=Available deployment/traefik --timeout=60s >/dev/null; then
    kubectl -n "$TRAEFIK_NS" get pods -o wide >&2 || true
    kubectl -n "$TRAEFIK_NS" logs deployment/traefik --tail=30 >&2 || true
    die "Traefik did not become Available"
  fi
  log "Traefik Available in $((SECONDS - t0)) s: http://$SUNSU_NODE_IP:30080/ (Ingresses with ingressClassName: traefik)"
}

undeploy() {
  use_cluster
  kubectl delete -f "$manifest" --ignore-not-found --wait=true --timeout=120s >&2 || die "could not delete Traefik"
  log "Traefik removed"
}

status() {
  local dir; dir="$(bin_dir)"
  if [ -x "$dir/traefik" ]; then echo "traefik binary: $dir/traefik"; else echo "traefik binary: not built (traefik.sh build)"; fi
  if [ -f "$(archive_path)" ]; then echo "traefik image: $(archive_path)"; else echo "traefik image: not built (traefik.sh image)"; fi
  if eval "$(bash "$SUNSU_ROOT/infra/cluster.sh" env)" && kubectl get --raw /readyz >/dev/null 2>&1; then
    kubectl -n "$TRAEFIK_NS" get deployment,pods,service -o wide 2>/dev/null || echo "traefik: not deployed"
  else
    echo "traefik: cluster not running"
  fi
}

# The echo backend's image: the project's Node binary, the libraries it links, the `ws` package; FROM scratch.
echo_image() {
  use_project_node
  local node ws archive
  node="$(command -v node)" || die "node not found (bash infra/node.sh)"
  ws="$SUNSU_ROOT/node_modules/ws"
  [ -f "$ws/package.json" ] || die "$ws is missing (npm ci)"
  archive="$SUNSU_CACHE/traefik-echo-$( { "$node" --version; cat "$ws/package.json"; echo "v1 $TRAEFIK_UID"; } | sha256sum | cut -c1-12).oci.tar"
  if [ ! -f "$archive" ]; then
    local t0=$SECONDS stage lib ctr
    stage="$(mktemp -d)"
    mkdir -p "$stage/usr/local/bin" "$stage/app/node_modules" "$stage/tmp"
    chmod 1777 "$stage/tmp"
    install -m 0755 "$node" "$stage/usr/local/bin/node"
    for lib in $(ldd "$node" | grep -o '/[^ ]*\.so[^ ]*'); do mkdir -p "$stage$(dirname "$lib")"; cp -L "$lib" "$stage$lib"; done
    cp -R "$ws" "$stage/app/node_modules/ws"
    ctr="$(sunsu_buildah from scratch)"
    sunsu_buildah copy --quiet "$ctr" "$stage" / >/dev/null
    sunsu_buildah config --user "$TRAEFIK_UID:$TRAEFIK_UID" --entrypoint '["/usr/local/bin/node"]' --cmd '' \
      --workingdir /app --port 8080/tcp "$ctr"
    sunsu_buildah commit --quiet --rm "$ctr" "$ECHO_IMAGE" >/dev/null
    rm -rf "$stage"
    sunsu_buildah push --quiet "$ECHO_IMAGE" "oci-archive:$archive.tmp:$ECHO_IMAGE" >/dev/null
    mv "$archive.tmp" "$archive"
    log "image $ECHO_IMAGE in $((SECONDS - t0)) s: $(du -m "$archive" | cut -f1) MB"
  fi
  echo "$archive"
}

selftest_cleanup() {
  [ -n "${SELFTEST_KEEP:-}" ] && { log "kept the echo backend (kubectl delete -f $echo_manifest)"; return 0; }
  kubectl delete -f "$echo_manifest" --ignore-not-found --wait=true --timeout=120s >/dev/null 2>&1 \
    && log "removed the echo backend" || log "could not remove the echo backend: kubectl delete -f $echo_manifest"
}

selftest() {
  use_cluster
  kubectl -n "$TRAEFIK_NS" wait --for=condition=Available deployment/traefik --timeout=5s >/dev/null 2>&1 \
    || die "Traefik is not deployed and Available (bash infra/traefik.sh deploy)"
  # SELFTEST_URL: another way in, e.g. http://<traefik pod IP>:8000 (bypasses the NodePort).
  local archive url="${SELFTEST_URL:-http://$SUNSU_NODE_IP:30080}" out code t0=$SECONDS
  archive="$(echo_image)"
  bash "$SUNSU_ROOT/infra/cluster.sh" load-image "$archive" >&2 || die "could not load $archive into the node"
  trap selftest_cleanup EXIT
  kubectl apply -f "$echo_manifest" >&2 || die "kubectl apply -f $echo_manifest failed"
  kubectl -n "$ECHO_NS" rollout status deployment/echo --timeout=120s >&2 || die "the echo backend did not start"
  # HTTP through the NodePort (Traefik picks the Ingress up within a few seconds).
  local deadline=$((SECONDS + 30))
  until out="$(curl -sS --max-time 5 -H 'Host: echo.sunsu.test' "$url/" 2>&1)" && [[ "$out" == "echo GET / host=echo.sunsu.test"* ]]; do
    [ $SECONDS -lt $deadline ] || die "no answer from the echo backend through Traefik after 30 s: $out"
    sleep 1
  done
  log "HTTP  GET / -> $out"
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: echo.sunsu.test' "$url/metrics")"
  [ "$code" = 503 ] || die "GET /metrics answered $code; expected 503 (the Ingress sends it to a Service without endpoints)"
  log "HTTP  GET /metrics -> $code (blocked by the Ingress rule)"
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 5 -H 'Host: other.sunsu.test' "$url/")"
  [ "$code" = 404 ] || die "an unknown host answered $code; expected 404"
  log "HTTP  GET / (unknown host) -> $code"
  # WebSocket: upgrade, greeting from the pod, an echo both ways.
  out="$(WS_MODULE="$SUNSU_ROOT/node_modules/ws" timeout 20 node -e '
    const WebSocket = require(process.env.WS_MODULE);
    const ws = new WebSocket(process.argv[1] + "/socket", { headers: { Host: "echo.sunsu.test" } });
    const fail = (m) => { console.log("FAIL " + m); process.exit(1); };
    const got = [];
    ws.on("upgrade", (res) => got.push("upgrade " + res.statusCode));
    ws.on("message", (d) => { got.push(String(d)); if (got.length === 2) ws.send("ping through traefik"); else { console.log(got.join(" | ")); ws.close(); } });
    ws.on("close", () => process.exit(0));
    ws.on("error", (e) => fail(e.message));
    setTimeout(() => fail("timeout: " + got.join(" | ")), 15000);
  ' "${url/http/ws}" 2>&1)" || die "WebSocket through Traefik failed: $out"
  [[ "$out" == "upgrade 101 | hello /socket from "*" | echo: ping through traefik" ]] || die "unexpected WebSocket exchange: $out"
  log "WS    $out"
  log "selftest passed in $((SECONDS - t0)) s"
}

case "${1:-}" in
  build) build ;;
  image) image ;;
  deploy) deploy ;;
  undeploy) undeploy ;;
  status) status ;;
  selftest) selftest ;;
  *) die "usage: $0 build|image|deploy|undeploy|status|selftest" ;;
esac
