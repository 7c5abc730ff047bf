package pac

// Group attributes (MS-PAC section 2.2.1, MS-DTYP section 2.4.2.4 SE_GROUP_*).
const (
	GroupMandatory        uint32 = 0x00000001
	GroupEnabledByDefault uint32 = 0x00000002
	GroupEnabled          uint32 = 0x00000004
	GroupResource         uint32 = 0x20000000
)

// GroupMembership is a GROUP_MEMBERSHIP (MS-PAC section 2.2.2): a group
// of the logon domain (or of the resource domain) by its relative ID.
type GroupMembership struct {
	RID        uint32
	Attributes uint32
}

// SIDAndAttributes is a KERB_SID_AND_ATTRIBUTES (MS-PAC section 2.2.1).
type SIDAndAttributes struct {
	SID        SID
	Attributes uint32
}

// LogonInfo is the KERB_VALIDATION_INFO of MS-PAC section 2.5: who the
// user is in the domain and which groups it belongs to. Its session key
// field, always zero in Kerberos PACs, is not kept.
type LogonInfo struct {
	LogonTime          FileTime
	LogoffTime         FileTime
	KickOffTime        FileTime
	PasswordLastSet    FileTime
	PasswordCanChange  FileTime
	PasswordMustChange FileTime
	// EffectiveName is the account name (sAMAccountName).
	EffectiveName      string
	FullName           string
	LogonScript        string
	ProfilePath        string
	HomeDirectory      string
	HomeDirectoryDrive string
	LogonCount         uint16
	BadPasswordCount   uint16
	// UserID and PrimaryGroupID are relative to LogonDomainID.
	UserID         uint32
	PrimaryGroupID uint32
	// Groups are groups of the logon domain.
	Groups          []GroupMembership
	UserFlags       uint32
	LogonServer     string
	LogonDomainName string
	LogonDomainID   *SID
	// UserAccountControl holds USER_* account flags (MS-PAC section
	// 2.10).
	UserAccountControl   uint32
	SubAuthStatus        uint32
	LastSuccessfulILogon FileTime
	LastFailedILogon     FileTime
	FailedILogonCount    uint32
	// ExtraSIDs are SIDs from other domains and well-known SIDs, such
	// as S-1-18-1 for an identity the KDC asserted.
	ExtraSIDs []SIDAndAttributes
	// ResourceGroupDomainSID and ResourceGroups are domain-local groups
	// of a resource domain, when the user flags say so.
	ResourceGroupDomainSID *SID
	ResourceGroups         []GroupMembership
}

// UserSID returns the user's SID, the logon domain's SID with UserID
// appended, or nil without a logon domain.
func (l *LogonInfo) UserSID() *SID {
	if l.LogonDomainID == nil {
		return nil
	}
	s := l.LogonDomainID.Append(l.UserID)
	return &s
}

// GroupSIDs lists the SIDs of every group the user belongs to, as
// strings and without repeats: the groups of the logon domain, then the
// extra SIDs, then the resource groups. It is the list gokrb5 calls
// GroupMembershipSIDs.
func (l *LogonInfo) GroupSIDs() []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	if l.LogonDomainID != nil {
		for _, g := range l.Groups {
			add(l.LogonDomainID.Append(g.RID).String())
		}
	}
	for _, e := range l.ExtraSIDs {
		add(e.SID.String())
	}
	if l.ResourceGroupDomainSID != nil {
		for _, g := range l.ResourceGroups {
			add(l.ResourceGroupDomainSID.Append(g.RID).String())
		}
	}
	return out
}

// sizes of NDR elements, for bounding counts before allocating.
const (
	groupMembershipSize  = 8 // RelativeId, Attributes
	sidAndAttributesSize = 8 // Sid pointer, Attributes
	unicodeStringSize    = 8 // Length, MaximumLength, Buffer pointer
)

func parseLogonInfo(b []byte) (*LogonInfo, error) {
	r := ndrStream(b, TypeLogonInfo)
	if r.pointer("logon info pointer") == 0 && r.err == nil {
		r.fail("null logon info pointer")
	}
	l := &LogonInfo{}
	l.LogonTime = r.fileTime("LogonTime")
	l.LogoffTime = r.fileTime("LogoffTime")
	l.KickOffTime = r.fileTime("KickOffTime")
	l.PasswordLastSet = r.fileTime("PasswordLastSet")
	l.PasswordCanChange = r.fileTime("PasswordCanChange")
	l.PasswordMustChange = r.fileTime("PasswordMustChange")
	names := []unicodeString{
		r.unicodeString("EffectiveName"),
		r.unicodeString("FullName"),
		r.unicodeString("LogonScript"),
		r.unicodeString("ProfilePath"),
		r.unicodeString("HomeDirectory"),
		r.unicodeString("HomeDirectoryDrive"),
	}
	l.LogonCount = r.u16("LogonCount")
	l.BadPasswordCount = r.u16("BadPasswordCount")
	l.UserID = r.u32("UserId")
	l.PrimaryGroupID = r.u32("PrimaryGroupId")
	groupCount := r.u32("GroupCount")
	groupPtr := r.pointer("GroupIds")
	l.UserFlags = r.u32("UserFlags")
	r.bytes(16, "UserSessionKey")
	server := r.unicodeString("LogonServer")
	domain := r.unicodeString("LogonDomainName")
	domainPtr := r.pointer("LogonDomainId")
	r.u32("Reserved1")
	r.u32("Reserved1")
	l.UserAccountControl = r.u32("UserAccountControl")
	l.SubAuthStatus = r.u32("SubAuthStatus")
	l.LastSuccessfulILogon = r.fileTime("LastSuccessfulILogon")
	l.LastFailedILogon = r.fileTime("LastFailedILogon")
	l.FailedILogonCount = r.u32("FailedILogonCount")
	r.u32("Reserved3")
	sidCount := r.u32("SidCount")
	sidPtr := r.pointer("ExtraSids")
	resDomainPtr := r.pointer("ResourceGroupDomainSid")
	resCount := r.u32("ResourceGroupCount")
	resPtr := r.pointer("ResourceGroupIds")

	// The referents, in the order of their pointers.
	strs := []*string{&l.EffectiveName, &l.FullName, &l.LogonScript,
		&l.ProfilePath, &l.HomeDirectory, &l.HomeDirectoryDrive}
	for i, s := range names {
		*strs[i] = r.deferredString(s)
	}
	l.Groups = r.groups(groupPtr, groupCount, "GroupIds")
	l.LogonServer = r.deferredString(server)
	l.LogonDomainName = r.deferredString(domain)
	l.LogonDomainID = r.deferredSID(domainPtr, "LogonDomainId")
	l.ExtraSIDs = r.extraSIDs(sidPtr, sidCount)
	l.ResourceGroupDomainSID = r.deferredSID(resDomainPtr,
		"ResourceGroupDomainSid")
	l.ResourceGroups = r.groups(resPtr, resCount, "ResourceGroupIds")
	if r.err != nil {
		return nil, r.err
	}
	return l, nil
}

// groups reads the referent of a GROUP_MEMBERSHIP array pointer.
func (r *reader) groups(ptr, count uint32, what string) []GroupMembership {
	if ptr == 0 {
		if count != 0 {
			r.fail("%s counts %d groups and has no array", what, count)
		}
		return nil
	}
	n := r.conformantCount(count, groupMembershipSize, what)
	out := make([]GroupMembership, n)
	for i := range out {
		out[i] = GroupMembership{RID: r.u32(what), Attributes: r.u32(what)}
	}
	return out
}

// extraSIDs reads the referent of the ExtraSids pointer: the array of
// KERB_SID_AND_ATTRIBUTES, then the SID each element points to.
func (r *reader) extraSIDs(ptr, count uint32) []SIDAndAttributes {
	const what = "ExtraSids"
	if ptr == 0 {
		if count != 0 {
			r.fail("%s counts %d SIDs and has no array", what, count)
		}
		return nil
	}
	n := r.conformantCount(count, sidAndAttributesSize, what)
	out := make([]SIDAndAttributes, n)
	ptrs := make([]uint32, n)
	for i := range out {
		ptrs[i] = r.u32(what)
		out[i].Attributes = r.u32(what)
		if ptrs[i] == 0 && r.err == nil {
			r.fail("%s element %d has a null SID", what, i)
		}
	}
	for i := range out {
		if s := r.deferredSID(ptrs[i], what); s != nil {
			out[i].SID = *s
		}
	}
	if r.err != nil {
		return nil
	}
	return out
}
