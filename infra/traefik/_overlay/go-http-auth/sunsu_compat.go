// Added by the Sunsu build (infra/traefik/build.sh) to a copy of upstream github.com/abbot/go-http-auth v0.4.0.
// Traefik v3 is written against its fork (github.com/containous/go-http-auth), which the Go module proxy refuses;
// the fork's only API additions that Traefik uses are these two. Our own code, not a copy of the fork.
// (The directory name starts with "_", so the wrapper module never compiles this file itself.)

package auth

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// CheckSecret reports whether password matches secret, an htpasswd entry: MD5-crypt ("$apr1$", "$1$"),
// "{SHA}" or bcrypt ("$2a$", "$2b$", "$2x$", "$2y$"). Same rules as BasicAuth.CheckAuth.
func CheckSecret(password, secret string) bool {
	compare := compareFuncs[0].compare
	for _, cmp := range compareFuncs[1:] {
		if strings.HasPrefix(secret, cmp.prefix) {
			compare = cmp.compare
			break
		}
	}
	return compare([]byte(secret), []byte(password)) == nil
}

// staleAuthInfo is what CheckAuth returns as authinfo when the credentials are right but the nonce is unknown
// (expired, purged, or issued before a restart); build.sh patches CheckAuth to return it.
func staleAuthInfo() *string { s := "stale"; return &s }

// RequireAuthStale is RequireAuth with stale=true (RFC 7616 section 3.3): the client retries with the new nonce
// without asking the user again.
func (a *DigestAuth) RequireAuthStale(w http.ResponseWriter, r *http.Request) {
	nonce := a.newNonce()
	w.Header().Set(contentType, a.Headers.V().UnauthContentType)
	w.Header().Set(a.Headers.V().Authenticate,
		fmt.Sprintf(`Digest realm="%s", nonce="%s", opaque="%s", algorithm="MD5", qop="auth", stale=true`,
			a.Realm, nonce, a.Opaque))
	w.WriteHeader(a.Headers.V().UnauthCode)
	_, _ = w.Write([]byte(a.Headers.V().UnauthResponse))
}

// newNonce registers a fresh nonce under the mutex that CheckAuth holds too (upstream RequireAuth writes the
// clients map without it; build.sh makes RequireAuth use this as well).
func (a *DigestAuth) newNonce() string {
	a.mutex.Lock()
	defer a.mutex.Unlock()
	if len(a.clients) > a.ClientCacheSize+a.ClientCacheTolerance {
		a.Purge(a.ClientCacheTolerance * 2)
	}
	nonce := RandomKey()
	a.clients[nonce] = &digest_client{nc: 0, last_seen: time.Now().UnixNano()}
	return nonce
}
