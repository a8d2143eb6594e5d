// Package ext is the extension point of Traefik's dynamic configuration. Upstream builds leave it empty as well:
// the structs are embedded inline (yaml ",inline") in dynamic.HTTPConfiguration and dynamic.Router.
package ext

// HTTP extends dynamic.HTTPConfiguration.
type HTTP struct{}

// Router extends dynamic.Router.
type Router struct{}

// RouterIng extends the Kubernetes Ingress provider's router annotations.
type RouterIng struct{}

// ToRouter converts the Ingress annotation extension into the router extension.
func (RouterIng) ToRouter() Router { return Router{} }
