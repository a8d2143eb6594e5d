#!/usr/bin/env bash
# Prepares a buildable copy of the Traefik wrapper module in <src> (a cache folder, outside the repo) and builds
# Traefik's own command from it. Called by infra/traefik.sh (which caches the binary and serialises builds); every
# step is deterministic and works on a fresh machine that reaches only the Go module proxy.
#
#   build.sh build <src> <out>   prepare <src> and write the static binary to <out>
#   build.sh tidy  <src>         prepare <src>, `go mod tidy` there, write go.mod/go.sum back into infra/traefik
#
# Why a prepared copy: four things stand between `require github.com/traefik/traefik/v3` and a build here.
#  1. Traefik's go.mod replaces github.com/traefik/traefik/dynamic/ext with a nested folder that is neither in
#     the module zip nor on the proxy: ./ext is a tiny stand-in of ours (replace in go.mod, committed).
#  2. go-acme/lego/v5 v5.4.1 imports 13 DNS-provider SDKs that the proxy refuses (403): a copy of the upstream
#     module with those providers cut out of providers/dns/zz_gen_dns_providers.go (only those DNS-01 providers
#     are lost; the names then fail as "unrecognized DNS provider").
#  3. Traefik uses its fork of abbot/go-http-auth, which the proxy refuses: a copy of upstream v0.4.0 plus
#     _overlay/go-http-auth/sunsu_compat.go (CheckSecret, RequireAuthStale) and two small patches of digest.go.
#  4. gorilla/mux => containous/mux (served by the proxy): replace in go.mod, committed.
# The copies of 2 and 3 live only in <src>; go.mod there gets `replace` lines to them (relative, so <src> may move).
set -euo pipefail

TRAEFIK_VERSION="v3.7.13"
TRAEFIK_CODENAME="langres"          # .github/workflows/release.yaml of the tag
TRAEFIK_DATE="2026-09-04T00:00:00Z" # release date (CHANGELOG.md): a fixed build date keeps builds reproducible
LEGO_VERSION="v5.4.1"
HTTPAUTH_VERSION="v0.4.0"
# DNS providers whose SDK modules the Go module proxy refuses (403).
LEGO_REFUSED="alidns aliesa azion dnsimple edgedns edgeone huaweicloud oraclecloud regfish sakuracloud tencentcloud ucloud yandexcloud"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false"
# The same flags on every build, or the Go build cache misses (a cold build is ~15 CPU-minutes).
BUILD_FLAGS=(-trimpath)
LDFLAGS="-s -w -X github.com/traefik/traefik/v3/pkg/version.Version=$TRAEFIK_VERSION"
LDFLAGS="$LDFLAGS -X github.com/traefik/traefik/v3/pkg/version.Codename=$TRAEFIK_CODENAME"
LDFLAGS="$LDFLAGS -X github.com/traefik/traefik/v3/pkg/version.BuildDate=$TRAEFIK_DATE"

say() { printf '[%s] traefik/build.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

# Pristine module source from the module cache (downloaded through the proxy, checksum-verified by go).
module_dir() {
  local dir
  dir="$(cd / && go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [ -n "$dir" ] && [ -d "$dir" ] || fail "go mod download $1 gave no folder"
  echo "$dir"
}

copy_module() { # module@version, destination
  rm -rf "$2"
  cp -R "$(module_dir "$1")" "$2"
  chmod -R u+w "$2" # the module cache is read-only
}

prepare_lego() {
  local dst="$1/lego" gen
  copy_module "github.com/go-acme/lego/v5@$LEGO_VERSION" "$dst"
  gen="$dst/providers/dns/zz_gen_dns_providers.go"
  # Drop each refused provider's import line and its `case "...":` + `return <p>.NewDNSProvider()` pair.
  awk -v list="$LEGO_REFUSED" '
    BEGIN { n = split(list, a, " "); for (i = 1; i <= n; i++) drop[a[i]] = 1 }
    /^\t"github\.com\/go-acme\/lego\/v5\/providers\/dns\/[a-z0-9]+"$/ {
      p = $0; sub(/^.*\/dns\//, "", p); sub(/"$/, "", p); if (p in drop) next
    }
    /^\tcase / {
      if ((getline ret) <= 0) { print; next }
      p = ret; sub(/^\t\treturn /, "", p); sub(/\.NewDNSProvider\(\)$/, "", p)
      if (!(p in drop)) { print; print ret }
      next
    }
    { print }' "$gen" >"$gen.new"
  mv "$gen.new" "$gen"
  local p
  for p in $LEGO_REFUSED; do
    grep -q -E "(/dns/$p\"|[[:space:]]$p\\.)" "$gen" && fail "lego patch left a reference to $p"
    rm -rf "${dst:?}/providers/dns/$p" # nothing may import them any more
  done
  gofmt -l "$gen" | grep -q . && fail "lego patch produced unformatted Go in $gen"
  say "lego $LEGO_VERSION: removed $(echo "$LEGO_REFUSED" | wc -w) DNS providers"
}

prepare_httpauth() {
  local dst="$1/go-http-auth"
  copy_module "github.com/abbot/go-http-auth@$HTTPAUTH_VERSION" "$dst"
  rm -rf "$dst/examples" # package main programs; not needed
  # v0.4.0 predates modules. Its imports (golang.org/x/crypto, golang.org/x/net) are in Traefik's build list.
  printf 'module github.com/abbot/go-http-auth\n\ngo 1.22\n' >"$dst/go.mod"
  cp "$here/_overlay/go-http-auth/sunsu_compat.go" "$dst/"
  # digest.go: (a) RequireAuth registers its nonce under the mutex (upstream writes the map unlocked: concurrent
  # 401s could crash the process); (b) CheckAuth reports a valid response with an unknown nonce as "stale",
  # which Traefik answers with RequireAuthStale.
  awk '
    /^func \(a \*DigestAuth\) RequireAuth\(/ { inreq = 1; print; next }
    inreq && /^\tif len\(a\.clients\) > / { skip = 1; next }
    inreq && skip && /^\ta\.clients\[nonce\] = / { print "\tnonce := a.newNonce()"; skip = 0; inreq = 0; fixed++; next }
    skip { next }
    /^\tif client, ok := da\.clients\[auth\["nonce"\]\]; !ok \{$/ {
      print; getline; if ($0 ~ /^\t\treturn "", nil$/) { print "\t\treturn \"\", staleAuthInfo()"; fixed++; next }
    }
    { print }
    END { if (fixed != 2) exit 3 }' "$dst/digest.go" >"$dst/digest.go.new" || fail "go-http-auth digest.go patch did not apply"
  mv "$dst/digest.go.new" "$dst/digest.go"
  # Upstream v0.4.0 predates today's gofmt, so only syntax is checked (gofmt -e), not formatting.
  gofmt -e "$dst/digest.go" >/dev/null || fail "go-http-auth digest.go does not parse after the patch"
  say "go-http-auth $HTTPAUTH_VERSION: added CheckSecret, RequireAuthStale"
}

prepare() {
  local src="$1"
  command -v go >/dev/null || fail "go is not installed"
  mkdir -p "$src"
  prepare_lego "$src"
  prepare_httpauth "$src"
  rm -rf "$src/wrapper"
  mkdir -p "$src/wrapper"
  cp "$here/go.mod" "$here/go.sum" "$here/tools.go" "$src/wrapper/"
  cp -R "$here/ext" "$src/wrapper/ext"
  (cd "$src/wrapper" && go mod edit -replace "github.com/go-acme/lego/v5=../lego" \
    -replace "github.com/abbot/go-http-auth=../go-http-auth")
}

# go.mod/go.sum of the prepared copy without the two local replaces = what infra/traefik should hold.
committed_form() { # src, outdir
  cp "$1/wrapper/go.mod" "$1/wrapper/go.sum" "$2/"
  (cd "$2" && go mod edit -dropreplace github.com/go-acme/lego/v5 -dropreplace github.com/abbot/go-http-auth)
}

cmd="${1:-}"; src="${2:-}"
[ -n "$src" ] || fail "usage: build.sh build <src> <out> | tidy <src>"
case "$cmd" in
  build)
    out="${3:?usage: build.sh build <src> <out>}"
    prepare "$src"
    say "go build $TRAEFIK_VERSION (cold: ~15 CPU-minutes, ~3 GB RAM)"
    (cd "$src/wrapper" && go build "${BUILD_FLAGS[@]}" -ldflags "$LDFLAGS" -o "$out" \
      github.com/traefik/traefik/v3/cmd/traefik)
    tmp="$(mktemp -d)"; committed_form "$src" "$tmp"
    if ! cmp -s "$tmp/go.mod" "$here/go.mod" || ! cmp -s "$tmp/go.sum" "$here/go.sum"; then
      say "warning: the build changed go.mod/go.sum; run 'infra/traefik/build.sh tidy <src>' and commit the result"
    fi
    rm -rf "$tmp"
    ;;
  tidy)
    prepare "$src"
    (cd "$src/wrapper" && go mod tidy)
    committed_form "$src" "$here"
    say "wrote $here/go.mod and go.sum"
    ;;
  *) fail "usage: build.sh build <src> <out> | tidy <src>" ;;
esac
