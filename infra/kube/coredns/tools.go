//go:build tools

// Package tools pins the CoreDNS server this wrapper builds (see infra/cluster.sh): the cluster DNS of the real
// node, run as a Deployment in kube-system behind the Service 10.96.0.10.
package tools

import _ "github.com/coredns/coredns"
