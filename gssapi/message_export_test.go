package gssapi

// ContextKeyType returns the enctype of a context's key, for the
// external tests.
func ContextKeyType(sc *SecurityContext) int32 { return sc.keyType }

// ContextUsesAcceptorSubkey reports whether a context protects its
// tokens with the acceptor's subkey, for the external tests.
func ContextUsesAcceptorSubkey(sc *SecurityContext) bool { return sc.acceptorSubkey }
