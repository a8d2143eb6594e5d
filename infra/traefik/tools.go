//go:build tools

// The wrapper module builds Traefik's own command: `go build github.com/traefik/traefik/v3/cmd/traefik` from a
// prepared copy of this directory (see build.sh). This file only keeps the command in the module graph.
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
