package krb5

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/iana/nametype"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/support"
)

// fuzzClient is a password client with no KDC, for feeding replies to
// the decoders; its TGT has a random session key.
func fuzzClient(f *testing.F) (*Client, *ServiceTicket) {
	cfg, err := ParseConfig("fuzz", []byte("[libdefaults]\n default_realm = FUZZ.TEST\n"))
	require.NoError(f, err)
	c, err := NewWithPassword("alice", "FUZZ.TEST", "pw", cfg, DisableAutoRenew())
	require.NoError(f, err)
	f.Cleanup(func() { c.Close() })
	key, err := support.NewSecret(bytes.Repeat([]byte{7}, 32))
	require.NoError(f, err)
	tgt := &ServiceTicket{
		Client: types.NewPrincipalName(nametype.KRB_NT_PRINCIPAL, "alice"),
		Server: types.NewPrincipalName(nametype.KRB_NT_SRV_INST,
			"krbtgt/FUZZ.TEST"),
		ClientRealm: "FUZZ.TEST", ServerRealm: "FUZZ.TEST",
		KeyType: 18, key: key,
	}
	f.Cleanup(tgt.destroy)
	return c, tgt
}

// writeSeed stores one seed in the fuzzing engine's corpus format.
func writeSeed(t *testing.T, target, name string, b []byte) {
	dir := filepath.Join("testdata", "fuzz", target)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	text := "go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
}

// FuzzKDCReply feeds bytes to every decoder of a KDC reply: the TCP
// framing, KRB-ERROR, the RESPONSE_TOO_BIG test, and the AS-REP and
// TGS-REP paths up to decryption and the nonce check. None may panic, and
// every failure must be an error.
func FuzzKDCReply(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x7e, 0x03, 0x02, 0x01, 0x05})
	f.Add([]byte{0, 0, 0, 3, 0x6b, 0x01, 0x00})
	f.Add([]byte{0x80, 0, 0, 1, 0})
	c, tgt := fuzzClient(f)
	ctx, unpin := c.pin(context.Background())
	defer unpin()
	loginKey := &loginKey{key: types.EncryptionKey{KeyType: 18,
		KeyValue: bytes.Repeat([]byte{9}, 32)}}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, rep := range [][]byte{data, unframe(data)} {
			if rep == nil {
				continue
			}
			if isKRBError(rep) {
				_, _ = parseKRBError(rep)
			}
			_ = isTooBig(rep)
			asReq := messages.ASReq{}
			asReq.ReqBody.Nonce = 12345
			asReq.ReqBody.SName = types.NewPrincipalName(nametype.KRB_NT_SRV_INST,
				"krbtgt/FUZZ.TEST")
			if _, err := c.finishAS(ctx, rep, &asReq, loginKey); err == nil {
				t.Fatalf("a fuzzed AS-REP was accepted")
			}
			tgsReq := messages.TGSReq{}
			tgsReq.ReqBody.Nonce = 12345
			if _, err := c.finishTGS(ctx, rep, &tgsReq, tgt); err == nil {
				t.Fatalf("a fuzzed TGS-REP was accepted")
			}
			_, _ = parseETypeInfo(rep)
		}
	})
}

// unframe reads data as one TCP reply, or returns nil.
func unframe(data []byte) []byte {
	rep, err := readFramed(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return rep
}

// FuzzKpasswdReply feeds bytes to the kpasswd reply decoder (RFC 3244).
func FuzzKpasswdReply(f *testing.F) {
	f.Add([]byte{0, 6, 0, 1, 0, 0})
	f.Add(append([]byte{0, 36, 0, 1, 0, 0}, bytes.Repeat([]byte{0x7e}, 30)...))
	key := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{1}, 32)}
	sub := types.EncryptionKey{KeyType: 18, KeyValue: bytes.Repeat([]byte{2}, 32)}
	auth := types.Authenticator{CTime: time.Unix(1700000000, 0)}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseKpasswdReply(data, key, sub, auth)
		if err == nil && r.code == KpasswdSuccess && len(data) > 0 && data[0] != 0x7e {
			t.Fatalf("a fuzzed kpasswd reply was accepted as success")
		}
		var pce *PasswordChangeError
		if err == nil {
			_ = r.err().Error()
		} else if errors.As(err, &pce) {
			_ = pce.Error()
		}
	})
}

// TestParseKpasswdResult decodes result codes, texts and Active
// Directory's policy blob.
func TestParseKpasswdResult(t *testing.T) {
	ad := make([]byte, 32)
	binary.BigEndian.PutUint16(ad, uint16(KpasswdSoftError))
	binary.BigEndian.PutUint32(ad[4:], 12)            // min length
	binary.BigEndian.PutUint32(ad[8:], 24)            // history
	binary.BigEndian.PutUint32(ad[12:], 1)            // complexity
	binary.BigEndian.PutUint64(ad[24:], 864000000000) // min age: one day
	tests := []struct {
		name string
		in   []byte
		code KpasswdResult
		text string
		err  bool
	}{
		{"empty", nil, 0, "", true},
		{"one byte", []byte{0}, 0, "", true},
		{"success", []byte{0, 0}, KpasswdSuccess, "", false},
		{"soft with text", append([]byte{0, 4}, "Password is too short"...),
			KpasswdSoftError, "Password is too short", false},
		{"binary text", []byte{0, 2, 0xff, 0xfe, 1}, KpasswdHardError,
			"(3 bytes of non-text data)", false},
		{"AD policy", ad, KpasswdSoftError, "at least 12 characters", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := parseKpasswdResult(tc.in)
			if tc.err {
				require.ErrorIs(t, err, ErrASN1Parse)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.code, r.code)
			require.Contains(t, r.text, tc.text)
			if tc.name == "AD policy" {
				require.NotNil(t, r.ad)
				require.Equal(t, uint32(24), r.ad.HistoryLen)
				require.Equal(t, 24*time.Hour, r.ad.MinAge)
				require.ErrorIs(t, r.err(), ErrPasswordRejected)
			}
		})
	}
	require.Equal(t, "result 99", KpasswdResult(99).String())
}

// TestWriteFuzzSeeds records real replies of MIT's KDC and kadmind as the
// seed corpora of FuzzKDCReply and FuzzKpasswdReply, in
// testdata/fuzz/<target>. It runs only with SAFEKRB5_WRITE_FUZZ_SEEDS=1.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("SAFEKRB5_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set SAFEKRB5_WRITE_FUZZ_SEEDS=1 to record seeds")
	}
	r := testrealm.ForTest(t, testrealm.Options{Realm: "FUZZ.TEST", Kadmind: true})
	ctx := context.Background()
	cfg, err := LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := NewWithPassword(r.User, r.Name, r.Password, cfg, DisableAutoRenew())
	require.NoError(t, err)
	defer c.Close()
	ctx, unpin := c.pin(ctx)
	defer unpin()
	n := 0
	save := func(what string, rep []byte) {
		n++
		name := strconv.Itoa(n) + "-" + strings.ReplaceAll(what, " ", "-")
		writeSeed(t, "FuzzKDCReply", name, rep)
		framed := binary.BigEndian.AppendUint32(nil, uint32(len(rep)))
		writeSeed(t, "FuzzKDCReply", name+"-framed", append(framed, rep...))
	}

	req, err := c.newASReq(ctx, r.Name, nil)
	require.NoError(t, err)
	b, err := req.Marshal()
	require.NoError(t, err)
	rep, err := c.exchange(ctx, r.Name, b)
	require.NoError(t, err)
	save("preauth required", rep)
	kerr, err := parseKRBError(rep)
	require.NoError(t, err)
	info, err := parseETypeInfo(kerr.EData)
	require.NoError(t, err)
	key, err := c.preauthKey(ctx, info)
	require.NoError(t, err)
	require.NoError(t, c.setEncTimestamp(&req, key))
	b, err = req.Marshal()
	require.NoError(t, err)
	rep, err = c.exchange(ctx, r.Name, b)
	require.NoError(t, err)
	save("as rep", rep)
	tgt, err := c.finishAS(ctx, rep, &req, key)
	require.NoError(t, err)
	defer tgt.destroy()

	for _, svc := range []string{r.Service, "nobody/here"} {
		sname, _, err := c.parseSPN(ctx, svc)
		require.NoError(t, err)
		treq, err := c.newTGSReq(ctx, tgt, sname, r.Name, false)
		require.NoError(t, err)
		b, err := treq.Marshal()
		require.NoError(t, err)
		rep, err := c.exchange(ctx, r.Name, b)
		require.NoError(t, err)
		save("tgs "+strings.ReplaceAll(svc, "/", "-"), rep)
	}

	// kpasswd: a success and a refusal from MIT's kadmind.
	changepw := types.PrincipalName{NameType: nametype.KRB_NT_SRV_INST,
		NameString: []string{"kadmin", "changepw"}}
	addr := kpasswdAddrs(cfg, r.Name)[0]
	for i, pw := range []string{"a new password for the seeds", ""} {
		tkt, err := c.asExchangeFor(ctx, &changepw)
		require.NoError(t, err)
		local, err := localAddr(ctx, &net.Dialer{}, addr)
		require.NoError(t, err)
		var req []byte
		require.NoError(t, tkt.UseSessionKey(func(key types.EncryptionKey) error {
			var err error
			req, _, _, err = c.kpasswdRequest(tkt, key, pw, local)
			return err
		}))
		rep, err := exchangeUDP(ctx, &net.Dialer{}, addr, req, time.Time{})
		require.NoError(t, err)
		writeSeed(t, "FuzzKpasswdReply", "mit-"+strconv.Itoa(i), rep)
		tkt.destroy()
		if i == 0 {
			c.changedPassword.Store(mustSecret(t, pw))
		}
	}
}

func mustSecret(t *testing.T, s string) *support.Secret {
	sec, err := support.NewSecretString(s)
	require.NoError(t, err)
	return sec
}

// TestS2KIterationBound: a KDC that asks for billions of PBKDF2
// iterations (found by FuzzKDCReply, which stalled on such a reply) is
// refused at once instead of holding the client for hours.
func TestS2KIterationBound(t *testing.T) {
	tests := []struct {
		name   string
		etype  int32
		params string
		ok     bool
	}{
		{"aes default", 18, "00001000", true},
		{"sha2 default", 20, "00008000", true},
		{"MIT's largest", 17, "00ffffff", true},
		{"beyond MIT's bound", 18, "01000001", false},
		{"zero means 2^32", 18, "00000000", false},
		{"all ones", 19, "ffffffff", false},
		{"wrong length", 18, "0010", false},
		{"not hex", 18, "zzzzzzzz", false},
		{"rc4 takes none", 23, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkS2KParams(tc.etype, tc.params)
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrNotSupported)
		})
	}

	cfg, err := ParseConfig("t", []byte("[libdefaults]\n default_realm = R\n"))
	require.NoError(t, err)
	c, err := NewWithPassword("u", "R", "pw", cfg)
	require.NoError(t, err)
	defer c.Close()
	begin := time.Now()
	_, err = c.longTermKey(saltInfo{etype: 18, params: "ffffffff", given: true})
	require.ErrorIs(t, err, ErrNotSupported)
	require.Less(t, time.Since(begin), time.Second)
}
