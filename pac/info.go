package pac

// ClientInfo is the PAC_CLIENT_INFO of MS-PAC section 2.7: the client's
// name and the time it authenticated, which must match the ticket.
type ClientInfo struct {
	// ClientID is the ticket's authentication time.
	ClientID FileTime
	// Name is the client's name without realm, as the ticket has it.
	Name string

	validName bool // Name was valid UTF-16
}

func parseClientInfo(b []byte) (*ClientInfo, error) {
	r := newReader(b, TypeClientInfo)
	c := &ClientInfo{ClientID: r.fileTime("ClientId")}
	n := int(r.u16("NameLength"))
	if r.need(n, "Name") {
		c.validName = validUTF16(r.b[r.off : r.off+n])
	}
	c.Name = r.utf16(n, "Name")
	if r.err != nil {
		return nil, r.err
	}
	return c, nil
}

// UPN_DNS_INFO flags (MS-PAC section 2.10).
const (
	// UPNConstructed: the account has no userPrincipalName; the UPN
	// was made from its name and the domain.
	UPNConstructed uint32 = 0x1
	// UPNExtended: the SAM name and SID follow.
	UPNExtended uint32 = 0x2
)

// UPNDNSInfo is the UPN_DNS_INFO of MS-PAC section 2.10.
type UPNDNSInfo struct {
	// UPN is the user principal name, alice@example.com.
	UPN string
	// DNSDomain is the DNS name of the user's domain.
	DNSDomain string
	Flags     uint32
	// SAMName and SID are there with the UPNExtended flag.
	SAMName string
	SID     *SID
}

func parseUPNDNSInfo(b []byte) (*UPNDNSInfo, error) {
	r := newReader(b, TypeUPNDNSInfo)
	upnLen, upnOff := r.u16("UpnLength"), r.u16("UpnOffset")
	dnsLen, dnsOff := r.u16("DnsDomainNameLength"), r.u16("DnsDomainNameOffset")
	u := &UPNDNSInfo{Flags: r.u32("Flags")}
	u.UPN = r.textAt(upnOff, upnLen, "Upn")
	u.DNSDomain = r.textAt(dnsOff, dnsLen, "DnsDomainName")
	if u.Flags&UPNExtended != 0 {
		samLen, samOff := r.u16("SamNameLength"), r.u16("SamNameOffset")
		sidLen, sidOff := r.u16("SidLength"), r.u16("SidOffset")
		u.SAMName = r.textAt(samOff, samLen, "SamName")
		if sub := r.at(sidOff, sidLen, "Sid"); sub != nil {
			u.SID = sub.binarySID(int(sidLen), "Sid")
			if sub.err != nil {
				r.err = sub.err
			}
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return u, nil
}

// at returns a reader over n bytes at offset off of the whole buffer,
// failing r when they are not all there.
func (r *reader) at(off, n uint16, what string) *reader {
	if r.err != nil {
		return nil
	}
	if int(off)+int(n) > len(r.b) {
		r.fail("%s of %d bytes at offset %d runs past the buffer's %d",
			what, n, off, len(r.b))
		return nil
	}
	sub := newReader(r.b[off:int(off)+int(n)], r.typ)
	sub.base = r.base + int(off)
	return sub
}

// textAt reads n bytes of UTF-16LE at offset off of the buffer.
func (r *reader) textAt(off, n uint16, what string) string {
	sub := r.at(off, n, what)
	if sub == nil {
		return ""
	}
	s := sub.utf16(int(n), what)
	if sub.err != nil {
		r.err = sub.err
	}
	return s
}

// DelegationInfo is the S4U_DELEGATION_INFO of MS-PAC section 2.9, in
// tickets obtained with S4U2Proxy.
type DelegationInfo struct {
	// ProxyTarget is the service the ticket was asked for.
	ProxyTarget string
	// TransitedServices lists the services that delegated, in order.
	TransitedServices []string
}

func parseDelegationInfo(b []byte) (*DelegationInfo, error) {
	r := ndrStream(b, TypeDelegationInfo)
	if r.pointer("delegation info pointer") == 0 && r.err == nil {
		r.fail("null delegation info pointer")
	}
	target := r.unicodeString("S4U2proxyTarget")
	count := r.u32("TransitedListSize")
	ptr := r.pointer("S4UTransitedServices")
	d := &DelegationInfo{ProxyTarget: r.deferredString(target)}
	if ptr == 0 {
		if count != 0 && r.err == nil {
			r.fail("%d transited services and no array", count)
		}
	} else {
		n := r.conformantCount(count, unicodeStringSize,
			"S4UTransitedServices")
		names := make([]unicodeString, n)
		for i := range names {
			names[i] = r.unicodeString("S4UTransitedServices")
		}
		d.TransitedServices = make([]string, 0, n)
		for _, s := range names {
			d.TransitedServices = append(d.TransitedServices,
				r.deferredString(s))
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return d, nil
}

// PAC_ATTRIBUTES_INFO flags (MS-PAC section 2.14).
const (
	// PACWasRequested: the client asked for a PAC.
	PACWasRequested uint32 = 0x1
	// PACWasGivenImplicitly: the client did not say whether it wanted
	// one.
	PACWasGivenImplicitly uint32 = 0x2
)

// Attributes is the PAC_ATTRIBUTES_INFO of MS-PAC section 2.14.
type Attributes struct {
	// Flags are the first 32 flags; MS-PAC defines two.
	Flags uint32
}

func parseAttributes(b []byte) (*Attributes, error) {
	r := newReader(b, TypeAttributes)
	bits := r.u32("FlagsLength")
	words := (uint64(bits) + 31) / 32
	if r.err == nil && words*4 > uint64(r.remaining()) {
		r.fail("%d flag bits do not fit in %d bytes", bits, r.remaining())
	}
	a := &Attributes{}
	if words > 0 {
		a.Flags = r.u32("Flags")
	}
	if r.err != nil {
		return nil, r.err
	}
	return a, nil
}

// parseRequestor reads PAC_REQUESTOR (MS-PAC section 2.15): the SID of
// the client the TGT was issued to.
func parseRequestor(b []byte) (*SID, error) {
	r := newReader(b, TypeRequestor)
	n := len(b)
	if n >= 2 {
		// KDCs may pad the buffer; the SID's own count says its size.
		n = min(n, 8+4*int(b[1]))
	}
	s := r.binarySID(n, "Sid")
	if r.err != nil {
		return nil, r.err
	}
	return s, nil
}
