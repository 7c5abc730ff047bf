// Package krbmsg encodes and decodes, in DER, the Kerberos messages on
// the library's hot paths (RFC 4120 section 5): AP-REQ with its Ticket
// and Authenticator, the ticket's EncTicketPart, AP-REP with its
// EncAPRepPart, TGS-REQ and the KDC-REP and EncKDCRepPart of the AS and
// TGS exchanges.
//
// gokrb5 decodes these through reflection, which dominates the cost of
// accepting a context or asking for a ticket. The code here is written
// per message, against gokrb5's types, which stay the API: a decoder
// fills the gokrb5 struct and an encoder reads one, and the bytes are
// those gokrb5 would produce (the tests hold both to that).
//
// Decoding is strict DER with two allowances that peers need: context
// fields unknown to RFC 4120 after the known ones are skipped (later
// RFCs extend some sequences), and EncKDCRepPart may carry either
// application tag, as RFC 4120 section 5.4.2 warns. Every decoder
// bounds its work by the input's length, copies what it keeps (a caller
// may wipe the input) and returns an error naming the field at fault;
// none panics, whatever the input.
package krbmsg
