package pac

import (
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/jcmturner/gokrb5/v8/types"
)

// BufferType is the ulType of a PAC_INFO_BUFFER (MS-PAC section 2.4).
type BufferType uint32

// The buffer types of MS-PAC section 2.4.
const (
	TypeLogonInfo      BufferType = 1  // KERB_VALIDATION_INFO
	TypeCredentialInfo BufferType = 2  // PAC_CREDENTIAL_INFO
	TypeServerChecksum BufferType = 6  // PAC_SIGNATURE_DATA, server
	TypeKDCChecksum    BufferType = 7  // PAC_SIGNATURE_DATA, KDC
	TypeClientInfo     BufferType = 10 // PAC_CLIENT_INFO
	TypeDelegationInfo BufferType = 11 // S4U_DELEGATION_INFO
	TypeUPNDNSInfo     BufferType = 12 // UPN_DNS_INFO
	TypeClientClaims   BufferType = 13 // PAC_CLIENT_CLAIMS_INFO
	TypeDeviceInfo     BufferType = 14 // PAC_DEVICE_INFO
	TypeDeviceClaims   BufferType = 15 // PAC_DEVICE_CLAIMS_INFO
	TypeTicketChecksum BufferType = 16 // PAC_SIGNATURE_DATA, ticket
	TypeAttributes     BufferType = 17 // PAC_ATTRIBUTES_INFO
	TypeRequestor      BufferType = 18 // PAC_REQUESTOR
	TypeFullChecksum   BufferType = 19 // PAC_SIGNATURE_DATA, extended KDC
)

var typeNames = map[BufferType]string{
	TypeLogonInfo:      "logon info",
	TypeCredentialInfo: "credential info",
	TypeServerChecksum: "server checksum",
	TypeKDCChecksum:    "KDC checksum",
	TypeClientInfo:     "client info",
	TypeDelegationInfo: "delegation info",
	TypeUPNDNSInfo:     "UPN and DNS info",
	TypeClientClaims:   "client claims",
	TypeDeviceInfo:     "device info",
	TypeDeviceClaims:   "device claims",
	TypeTicketChecksum: "ticket checksum",
	TypeAttributes:     "attributes info",
	TypeRequestor:      "requestor",
	TypeFullChecksum:   "full checksum",
}

// String names the type, or gives its number.
func (t BufferType) String() string {
	if s, ok := typeNames[t]; ok {
		return s
	}
	return fmt.Sprintf("type %d", uint32(t))
}

// Authorization data types carrying a PAC (RFC 4120 section 5.2.6 and
// MS-KILE section 3.1.5.8 / MS-PAC section 2.1).
const (
	adIfRelevant = 1   // AD-IF-RELEVANT
	adWin2kPAC   = 128 // AD-WIN2K-PAC
)

// maxADDepth bounds how deep AD-IF-RELEVANT containers are searched.
const maxADDepth = 4

// Layout of the PACTYPE header (MS-PAC section 2.3).
const (
	headerLen     = 8  // cBuffers, Version
	infoBufferLen = 16 // ulType, cbBufferSize, Offset
	alignment     = 8  // every buffer's offset is a multiple of it
)

// Buffer is one PAC_INFO_BUFFER and its data.
type Buffer struct {
	Type BufferType
	// Offset is where Data starts in the PAC.
	Offset int
	// Data is the buffer's bytes; it aliases the PAC's copy and must not
	// be modified.
	Data []byte
}

// PAC is a decoded Privilege Attribute Certificate (MS-PAC). The buffers
// this package understands are decoded into their fields; a buffer of a
// type it does not decode (claims, device info, credential info) is
// left in Buffers for the caller. A PAC is read-only once returned by
// Parse and safe for concurrent use.
//
// Nothing in a PAC is trustworthy before its server checksum was
// verified with the key of the service the ticket is for
// (VerifyServerChecksum) and its client information checked against the
// ticket (VerifyClient). The KDC checksum (VerifyKDCChecksum) needs the
// krbtgt key and proves that the KDC, not a holder of the service key,
// made the PAC.
type PAC struct {
	// Version is the PACTYPE version, always 0.
	Version uint32
	// Buffers lists every buffer in the order of the PAC's header.
	Buffers []Buffer

	// LogonInfo is the user's logon information with groups and SIDs,
	// nil when absent (MIT's PACs have none).
	LogonInfo *LogonInfo
	// ClientInfo names the client and its authentication time.
	ClientInfo *ClientInfo
	// UPNDNSInfo holds the user principal name and DNS domain.
	UPNDNSInfo *UPNDNSInfo
	// DelegationInfo is there in tickets obtained by S4U2Proxy: the
	// services the client's identity passed through.
	DelegationInfo *DelegationInfo
	// Attributes and Requestor are added by current KDCs to TGT PACs.
	Attributes *Attributes
	Requestor  *SID

	// The signatures (MS-PAC section 2.8), nil when absent.
	ServerChecksum *Signature
	KDCChecksum    *Signature
	TicketChecksum *Signature
	FullChecksum   *Signature

	raw []byte
}

// Bytes returns the PAC as it was parsed. The caller must not modify it.
func (p *PAC) Bytes() []byte { return p.raw }

// Buffer returns the first buffer of type t, or nil.
func (p *PAC) Buffer(t BufferType) *Buffer {
	for i := range p.Buffers {
		if p.Buffers[i].Type == t {
			return &p.Buffers[i]
		}
	}
	return nil
}

// FromAuthorizationData finds the PAC among a ticket's authorization
// data, in an AD-IF-RELEVANT element holding AD-WIN2K-PAC (MS-PAC section
// 2.1), and parses it. A ticket without one gives ErrNoPAC; a ticket
// with more than one is refused, as MIT does.
func FromAuthorizationData(ad types.AuthorizationData) (*PAC, error) {
	var found [][]byte
	if err := findPACs(ad, 0, &found); err != nil {
		return nil, err
	}
	switch len(found) {
	case 0:
		return nil, ErrNoPAC
	case 1:
		return Parse(found[0])
	}
	return nil, &FormatError{Detail: fmt.Sprintf(
		"the ticket carries %d PACs", len(found))}
}

func findPACs(ad types.AuthorizationData, depth int, found *[][]byte) error {
	for _, e := range ad {
		switch e.ADType {
		case adWin2kPAC:
			if depth == 0 {
				// MS-PAC section 2.1: the PAC is always wrapped in
				// AD-IF-RELEVANT; a bare one is not the KDC's.
				continue
			}
			*found = append(*found, e.ADData)
		case adIfRelevant:
			if depth >= maxADDepth {
				return &FormatError{Detail: "AD-IF-RELEVANT nested too deep"}
			}
			var inner types.AuthorizationData
			if err := inner.Unmarshal(e.ADData); err != nil {
				return &FormatError{Detail: "AD-IF-RELEVANT does not decode"}
			}
			if err := findPACs(inner, depth+1, found); err != nil {
				return err
			}
		}
	}
	return nil
}

// Parse decodes a PAC (the PACTYPE structure of MS-PAC section 2.3).
// b is copied. Every offset, length and count is checked against the
// data before it is used, so malformed input gives a *FormatError, never
// a panic or a large allocation.
func Parse(b []byte) (*PAC, error) {
	if len(b) < headerLen {
		return nil, &FormatError{Detail: fmt.Sprintf(
			"%d bytes are too short for a PAC", len(b))}
	}
	raw := append([]byte(nil), b...)
	n := binary.LittleEndian.Uint32(raw)
	p := &PAC{Version: binary.LittleEndian.Uint32(raw[4:]), raw: raw}
	if p.Version != 0 {
		return nil, &FormatError{Offset: 4, Detail: fmt.Sprintf(
			"version %d, not 0", p.Version)}
	}
	if n == 0 {
		return nil, &FormatError{Detail: "no buffers"}
	}
	end := uint64(headerLen) + uint64(n)*infoBufferLen
	if end > uint64(len(raw)) {
		return nil, &FormatError{Detail: fmt.Sprintf(
			"%d buffers do not fit in %d bytes", n, len(raw))}
	}
	p.Buffers = make([]Buffer, 0, n)
	for i := 0; i < int(n); i++ {
		at := headerLen + i*infoBufferLen
		buf, err := infoBuffer(raw, at, int(end))
		if err != nil {
			return nil, err
		}
		p.Buffers = append(p.Buffers, buf)
	}
	if err := checkOverlap(p.Buffers); err != nil {
		return nil, err
	}
	if err := p.decodeBuffers(); err != nil {
		return nil, err
	}
	return p, nil
}

// infoBuffer reads the PAC_INFO_BUFFER at offset at of raw, whose header
// ends at end.
func infoBuffer(raw []byte, at, end int) (Buffer, error) {
	t := BufferType(binary.LittleEndian.Uint32(raw[at:]))
	size := uint64(binary.LittleEndian.Uint32(raw[at+4:]))
	off := binary.LittleEndian.Uint64(raw[at+8:])
	bad := func(detail string) error {
		return &FormatError{Offset: at, Detail: t.String() + " buffer " +
			detail}
	}
	switch {
	case off%alignment != 0:
		return Buffer{}, bad(fmt.Sprintf("offset %d is not a multiple of %d",
			off, alignment))
	case off < uint64(end):
		return Buffer{}, bad(fmt.Sprintf("offset %d lies in the header",
			off))
	case off > uint64(len(raw)) || size > uint64(len(raw))-off:
		return Buffer{}, bad(fmt.Sprintf(
			"of %d bytes at offset %d runs past the PAC's %d bytes", size,
			off, len(raw)))
	}
	o := int(off)
	return Buffer{Type: t, Offset: o, Data: raw[o : o+int(size) : o+int(size)]},
		nil
}

// checkOverlap refuses buffers that share bytes: no KDC writes such a
// PAC, and signatures over overlapping data would be ambiguous.
func checkOverlap(bufs []Buffer) error {
	sorted := make([]Buffer, len(bufs))
	copy(sorted, bufs)
	sort.Slice(sorted, func(i, j int) bool {
		return sorted[i].Offset < sorted[j].Offset
	})
	for i := 1; i < len(sorted); i++ {
		prev := sorted[i-1]
		if sorted[i].Offset < prev.Offset+len(prev.Data) {
			return &FormatError{Offset: sorted[i].Offset, Detail: fmt.Sprintf(
				"%s buffer overlaps %s buffer", sorted[i].Type, prev.Type)}
		}
	}
	return nil
}

// decodeBuffers decodes the buffers of the types this package knows.
// Each of them may appear once only.
func (p *PAC) decodeBuffers() error {
	seen := map[BufferType]bool{}
	for _, b := range p.Buffers {
		if _, known := typeNames[b.Type]; known {
			if seen[b.Type] {
				return &FormatError{Buffer: b.Type, Detail: "buffer type " +
					"appears twice"}
			}
			seen[b.Type] = true
		}
	}
	for i := range p.Buffers {
		if err := p.decodeBuffer(&p.Buffers[i]); err != nil {
			return err
		}
	}
	return nil
}

func (p *PAC) decodeBuffer(b *Buffer) error {
	var err error
	switch b.Type {
	case TypeLogonInfo:
		p.LogonInfo, err = parseLogonInfo(b.Data)
	case TypeClientInfo:
		p.ClientInfo, err = parseClientInfo(b.Data)
	case TypeUPNDNSInfo:
		p.UPNDNSInfo, err = parseUPNDNSInfo(b.Data)
	case TypeDelegationInfo:
		p.DelegationInfo, err = parseDelegationInfo(b.Data)
	case TypeAttributes:
		p.Attributes, err = parseAttributes(b.Data)
	case TypeRequestor:
		p.Requestor, err = parseRequestor(b.Data)
	case TypeServerChecksum:
		p.ServerChecksum, err = parseSignature(b)
	case TypeKDCChecksum:
		p.KDCChecksum, err = parseSignature(b)
	case TypeTicketChecksum:
		p.TicketChecksum, err = parseSignature(b)
	case TypeFullChecksum:
		p.FullChecksum, err = parseSignature(b)
	}
	return err
}
