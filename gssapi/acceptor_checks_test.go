package gssapi_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/errortables"
	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// shiftedClock is the system clock moved by a fixed offset.
type shiftedClock time.Duration

func (c shiftedClock) Now() time.Time { return time.Now().Add(time.Duration(c)) }

// craftAPReq makes a raw Kerberos AP-REQ token for spn with a real
// ticket and an authenticator that edit may change.
func craftAPReq(t *testing.T, c *krb5.Client, spn string,
	edit func(a *types.Authenticator)) []byte {
	t.Helper()
	tkt, err := c.ServiceTicket(ctxT(t), spn)
	require.NoError(t, err)
	var msg []byte
	require.NoError(t, tkt.UseSessionKey(func(key types.EncryptionKey) error {
		ck := make([]byte, 24)
		binary.LittleEndian.PutUint32(ck, 16)
		binary.LittleEndian.PutUint32(ck[20:], gssapi.FlagMutual)
		now := time.Now().UTC()
		a := types.Authenticator{AVNO: iana.PVNO, CRealm: tkt.ClientRealm,
			CName: tkt.Client, Cksum: types.Checksum{CksumType: 0x8003, Checksum: ck},
			CTime: now.Truncate(time.Second), Cusec: now.Nanosecond() / 1000,
			SeqNumber: 1}
		edit(&a)
		ap, err := messages.NewAPReq(tkt.Ticket, key, a)
		if err != nil {
			return err
		}
		msg, err = ap.Marshal()
		return err
	}))
	return frame(t, gssapi.OIDKRB5, append([]byte{0x01, 0x00}, msg...))
}

// twoServices adds two service principals to the realm, both keys in
// one keytab, and returns their names and the keytab.
func twoServices(t *testing.T, r *testrealm.Realm) (string, string, *krb5.Keytab) {
	t.Helper()
	suffix := fmt.Sprint(time.Now().UnixNano())
	a, b := "HTTP/one-"+suffix+".localhost", "HTTP/two-"+suffix+".localhost"
	path := filepath.Join(t.TempDir(), "kt")
	for _, spn := range []string{a, b} {
		require.NoError(t, r.AddPrincipal(ctxT(t), spn, ""))
		require.NoError(t, r.ExportKeytab(ctxT(t), spn, path))
	}
	kt, err := krb5.LoadKeytab(path)
	require.NoError(t, err)
	t.Cleanup(func() { kt.Close() })
	return a, b, kt
}

// TestAcceptorChecks: each check of RFC 4120 section 3.2.3 and RFC 4121
// section 4.1.1 refuses a context with its GSS major status and krb5
// minor status.
func TestAcceptorChecks(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	one, two, kt := twoServices(t, r)
	good := func(*types.Authenticator) {}
	cases := []struct {
		name   string
		opts   []gssapi.AcceptorOption
		tok    func(t *testing.T) []byte
		major  errortables.GSSMajor
		minor  *errortables.Error
		detail string
	}{
		{"another principal than the named one",
			[]gssapi.AcceptorOption{gssapi.WithPrincipal(one)},
			func(t *testing.T) []byte { return craftAPReq(t, c, two, good) },
			errortables.GSSNoCred, errortables.ErrNotUs, two},
		{"the named principal's realm differs",
			[]gssapi.AcceptorOption{gssapi.WithPrincipal(one + "@OTHER.TEST")},
			func(t *testing.T) []byte { return craftAPReq(t, c, one, good) },
			errortables.GSSNoCred, errortables.ErrNotUs, ""},
		{"clock skew", []gssapi.AcceptorOption{
			gssapi.WithAcceptorClock(shiftedClock(10 * time.Minute))},
			func(t *testing.T) []byte { return craftAPReq(t, c, one, good) },
			errortables.GSSFailure, errortables.ErrClockSkew, "from ours"},
		{"smaller skew allowed", []gssapi.AcceptorOption{gssapi.WithSkew(time.Minute),
			gssapi.WithAcceptorClock(shiftedClock(2 * time.Minute))},
			func(t *testing.T) []byte { return craftAPReq(t, c, one, good) },
			errortables.GSSFailure, errortables.ErrClockSkew, ""},
		{"ticket expired", []gssapi.AcceptorOption{
			gssapi.WithAcceptorClock(shiftedClock(11 * time.Hour))},
			func(t *testing.T) []byte { return craftAPReq(t, c, one, good) },
			errortables.GSSCredentialsExpired, errortables.ErrTicketExpired, "expired"},
		{"ticket not yet valid", []gssapi.AcceptorOption{
			gssapi.WithAcceptorClock(shiftedClock(-time.Hour))},
			func(t *testing.T) []byte { return craftAPReq(t, c, one, good) },
			errortables.GSSFailure, errortables.ErrTicketNotYetValid, ""},
		{"authenticator names another client", nil,
			func(t *testing.T) []byte {
				return craftAPReq(t, c, one, func(a *types.Authenticator) {
					a.CName = types.NewPrincipalName(1, "mallory")
				})
			},
			errortables.GSSDefectiveToken, mustKRB5(t, "KRB5KRB_AP_ERR_BADMATCH"), ""},
		{"authenticator names another realm", nil,
			func(t *testing.T) []byte {
				return craftAPReq(t, c, one, func(a *types.Authenticator) {
					a.CRealm = "OTHER.TEST"
				})
			},
			errortables.GSSDefectiveToken, mustKRB5(t, "KRB5KRB_AP_ERR_BADMATCH"), ""},
		{"checksum of another type", nil,
			func(t *testing.T) []byte {
				return craftAPReq(t, c, one, func(a *types.Authenticator) {
					a.Cksum.CksumType = 7
				})
			},
			errortables.GSSBadBindings, mustKRB5(t, "KRB5KRB_AP_ERR_INAPP_CKSUM"), ""},
		{"GSS checksum too short", nil,
			func(t *testing.T) []byte {
				return craftAPReq(t, c, one, func(a *types.Authenticator) {
					a.Cksum.Checksum = a.Cksum.Checksum[:20]
				})
			},
			errortables.GSSDefectiveToken, errortables.ErrGeneric, "too short"},
		{"delegation field malformed", nil,
			func(t *testing.T) []byte {
				return craftAPReq(t, c, one, func(a *types.Authenticator) {
					ck := a.Cksum.Checksum
					binary.LittleEndian.PutUint32(ck[20:], gssapi.FlagDeleg)
					a.Cksum.Checksum = append(ck, 1, 0, 0xff, 0xff, 1, 2)
				})
			},
			errortables.GSSDefectiveToken, errortables.ErrGeneric, "delegation"},
		{"ticket for a key the keytab lacks", nil,
			func(t *testing.T) []byte { return craftAPReq(t, c, "HTTP/localhost", good) },
			errortables.GSSNoCred, errortables.ErrNoKey, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := gssapi.NewAcceptorCredential(kt, tc.opts...)
			require.NoError(t, err)
			defer cred.Close()
			sc, _, err := cred.Accept(tc.tok(t))
			require.Error(t, err)
			assert.Nil(t, sc)
			var ge *errortables.GSSError
			require.True(t, errors.As(err, &ge), "%v", err)
			assert.Equal(t, tc.major, ge.Major.RoutineError(), "%v", err)
			assert.ErrorIs(t, err, tc.minor)
			assert.Contains(t, err.Error(), tc.detail)
			assert.Zero(t, cred.ReplayEntries(), "a refused authenticator is not remembered")
		})
	}

	t.Run("both principals, and only the named one", func(t *testing.T) {
		anyCred, err := gssapi.NewAcceptorCredential(kt)
		require.NoError(t, err)
		defer anyCred.Close()
		oneCred, err := gssapi.NewAcceptorCredential(kt, gssapi.WithPrincipal(one+"@"+r.Name))
		require.NoError(t, err)
		defer oneCred.Close()
		for _, spn := range []string{one, two} {
			sc, _, err := anyCred.Accept(craftAPReq(t, c, spn, good))
			require.NoError(t, err, spn)
			assert.Equal(t, spn+"@"+r.Name, sc.ServerName())
			sc.Close()
		}
		sc, _, err := oneCred.Accept(craftAPReq(t, c, one, good))
		require.NoError(t, err)
		sc.Close()
	})
}

func mustKRB5(t *testing.T, name string) *errortables.Error {
	t.Helper()
	i, ok := errortables.KRB5Table.Index(name)
	require.True(t, ok, name)
	return errortables.KRB5Table.Err(i)
}
