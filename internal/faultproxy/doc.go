// Package faultproxy is a misbehaving KDC for tests: a proxy on 127.0.0.1
// that forwards Kerberos requests to a real KDC and damages the answer in
// a chosen way, so that a client can be shown to fail cleanly (or fail
// over) when the network or the KDC does what production networks do.
//
// A Proxy listens on one port for both UDP and TCP, like a KDC (RFC 4120,
// section 7.2.1 and 7.2.2), and forwards each request over the same
// transport to its target. The Fault in force when a request arrives
// decides what the client gets back: the reply as it is, nothing, the
// reply late, twice, cut short, with bytes flipped, a TCP reset, a
// connection closed half-way through the reply, bytes that are not
// Kerberos at all, or a TCP length prefix far larger than any reply; a
// fault may be limited to one transport, as a firewall that drops UDP
// is. Set changes the fault between steps of a test, and the proxy
// counts the requests it received over each transport.
//
// The proxy is bounded: it serves at most a fixed number of requests at
// once (others are dropped, as an overloaded KDC would), reads requests of
// at most MaxMessage bytes, and bounds every upstream exchange. Close stops
// the listeners, cuts every connection and waits for every goroutine the
// proxy started, so tests that check for leaked goroutines stay clean.
//
// The package knows Kerberos framing only: it never decodes a message.
package faultproxy
