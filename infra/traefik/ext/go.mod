// Stand-in for Traefik's nested module github.com/traefik/traefik/dynamic/ext (its go.mod replaces it with
// ./pkg/config/dynamic/ext, which is neither in the v3 module zip nor on the proxy). Ours, not a copy.
module github.com/traefik/traefik/dynamic/ext

go 1.22
