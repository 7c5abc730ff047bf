package gssapi

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
)

// mitTokensV1 holds per-message tokens that MIT krb5 1.20.1 made with
// rc4-hmac and des3-cbc-sha1 context keys, and the keys, as our end of
// each context saw them. TestRecordMITTokensV1 writes it.
const mitTokensV1 = "testdata/rfc1964/mit-tokens.json"

// recordEnv makes TestRecordMITTokensV1 record mitTokensV1 again.
const recordEnv = "SAFEKRB5_RECORD_MIT_TOKENS"

// mitToken is one recorded token.
type mitToken struct {
	Enctype int32  `json:"enctype"`
	Sender  string `json:"sender"` // "initiator" or "acceptor": MIT's role
	Key     string `json:"key"`    // the context key, hex
	Seq     uint32 `json:"seq"`    // the token's sequence number
	Kind    string `json:"kind"`   // "wrap" or "mic"
	Conf    bool   `json:"conf"`
	Message string `json:"message"`
	Token   string `json:"token"` // hex
}

// v1Pair returns a context that receives tokens from sender (MIT's
// role) and one that sends as sender, sharing key, both expecting or
// using sequence number seq.
func v1Pair(t *testing.T, enctype int32, key []byte, sender string,
	seq uint32) (recv, send *SecurityContext) {
	t.Helper()
	mk := func(initiator bool) *SecurityContext {
		sc, err := newContext(&SecurityContext{Flags: DefaultInitFlags,
			initiator: initiator, sendSeq: uint64(seq), recvSeq: uint64(seq)},
			types.EncryptionKey{KeyType: enctype, KeyValue: key}, nil)
		require.NoError(t, err)
		t.Cleanup(func() { sc.Close() })
		return sc
	}
	fromInitiator := sender == "initiator"
	return mk(!fromInitiator), mk(fromInitiator)
}

// TestMITTokensV1 checks tokens MIT made: each unwraps or verifies, and
// our code, given the same key, sequence number and (for Wrap tokens)
// confounder, makes the same bytes.
func TestMITTokensV1(t *testing.T) {
	b, err := os.ReadFile(mitTokensV1)
	require.NoError(t, err)
	var toks []mitToken
	require.NoError(t, json.Unmarshal(b, &toks))
	seen := map[string]bool{}
	for i, mt := range toks {
		key, err := hex.DecodeString(mt.Key)
		require.NoError(t, err)
		tok, err := hex.DecodeString(mt.Token)
		require.NoError(t, err)
		seen[fmt.Sprintf("%d %s %v", mt.Enctype, mt.Kind, mt.Conf)] = true
		recv, send := v1Pair(t, mt.Enctype, key, mt.Sender, mt.Seq)
		if mt.Kind == "mic" {
			require.NoError(t, recv.VerifyMIC([]byte(mt.Message), tok), "token %d", i)
			ours, err := send.MIC([]byte(mt.Message))
			require.NoError(t, err)
			assert.Equal(t, mt.Token, hex.EncodeToString(ours), "token %d", i)
			continue
		}
		msg, conf, err := recv.Unwrap(tok)
		require.NoError(t, err, "token %d", i)
		assert.Equal(t, mt.Message, string(msg))
		assert.Equal(t, mt.Conf, conf)
		ours := rebuildWrapV1(t, send, tok, conf)
		assert.Equal(t, mt.Token, hex.EncodeToString(ours), "token %d", i)
	}
	for _, et := range []int32{23, 16} {
		for _, kind := range []string{"mic false", "wrap false", "wrap true"} {
			k := fmt.Sprintf("%d %s", et, kind)
			assert.True(t, seen[k], "%s recorded", k)
		}
	}
}

// rebuildWrapV1 makes, with send, the Wrap token whose confounder,
// message and padding are those of tok.
func rebuildWrapV1(t *testing.T, send *SecurityContext, tok []byte, conf bool) []byte {
	t.Helper()
	s, err := send.v1Suite()
	require.NoError(t, err)
	inner, err := v1Inner(tok)
	require.NoError(t, err)
	plain := append([]byte(nil), inner[v1Head+s.cksumLen:]...)
	if conf {
		seq, _, err := send.seqV1(s, inner)
		require.NoError(t, err)
		require.NoError(t, send.key.Use(func(k []byte) error {
			return s.seal(k, seq, plain, false)
		}))
	}
	return buildWrapV1(t, send, plain, conf)
}

// TestRecordMITTokensV1 records mitTokensV1 from MIT's gss-client and
// gss-server, with SAFEKRB5_RECORD_MIT_TOKENS=1:
//
//	SAFEKRB5_RECORD_MIT_TOKENS=1 go test ./gssapi -run TestRecordMITTokensV1
//
// MIT's gss-client wraps messages for our acceptor, whose context key
// is MIT's subkey; MIT's gss-server signs messages for our initiator,
// whose context key is ours.
func TestRecordMITTokensV1(t *testing.T) {
	if os.Getenv(recordEnv) != "1" {
		t.Skip("set " + recordEnv + "=1 to record " + mitTokensV1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	r, err := testrealm.Start(ctx, testrealm.Options{LegacySessionKeys: true})
	require.NoError(t, err)
	defer func() { assert.NoError(t, r.Stop()) }()
	cc := "FILE:" + filepath.Join(t.TempDir(), "cc")
	require.NoError(t, r.Kinit(ctx, cc, r.User, r.Password))
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Login(ctx))

	var out []mitToken
	for _, et := range []struct {
		name string
		id   int32
	}{{"arcfour-hmac", 23}, {"des3-cbc-sha1", 16}} {
		host := et.name + ".localhost"
		spn := "HTTP/" + host
		require.NoError(t, r.AddPrincipal(ctx, spn, ""))
		_, err := r.KadminLocal(ctx, "setstr "+spn+" session_enctypes "+et.name)
		require.NoError(t, err)
		kt := filepath.Join(t.TempDir(), "kt")
		require.NoError(t, r.ExportKeytab(ctx, spn, kt))
		for _, args := range [][]string{{"-mcount", "2"}, {"-nx"}} {
			out = append(out, recordFromMITClient(ctx, t, r, cc, kt, "HTTP@"+host, args)...)
		}
		out = append(out, recordFromMITServer(ctx, t, r, c, kt, spn, "HTTP@"+host)...)
		for _, mt := range out {
			require.NotZero(t, mt.Enctype)
		}
		require.Equal(t, et.id, out[len(out)-1].Enctype)
	}
	b, err := json.MarshalIndent(out, "", "  ")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(mitTokensV1, append(b, '\n'), 0o644))
}

// Flags of MIT's gss-sample protocol that the recorder needs.
const (
	gsNoop    = 0x01
	gsContext = 0x02
	gsData    = 0x04
	gsMIC     = 0x08
	gsNext    = 0x10
	gsWrapped = 0x20
	gsSendMIC = 0x80
)

func writeGS(t *testing.T, w io.Writer, flags byte, body []byte) {
	t.Helper()
	b := binary.BigEndian.AppendUint32([]byte{flags}, uint32(len(body)))
	_, err := w.Write(append(b, body...))
	require.NoError(t, err)
}

func readGS(t *testing.T, r io.Reader) (byte, []byte) {
	t.Helper()
	var h [5]byte
	_, err := io.ReadFull(r, h[:])
	require.NoError(t, err)
	body := make([]byte, binary.BigEndian.Uint32(h[1:]))
	_, err = io.ReadFull(r, body)
	require.NoError(t, err)
	return h[0], body
}

// recordFromMITClient runs MIT's gss-client against an acceptor of ours
// and records the Wrap tokens it sends.
func recordFromMITClient(ctx context.Context, t *testing.T, r *testrealm.Realm,
	cc, keytab, service string, args []string) []mitToken {
	kt, err := krb5.LoadKeytab(keytab)
	require.NoError(t, err)
	defer kt.Close()
	cred, err := NewAcceptorCredential(kt)
	require.NoError(t, err)
	defer cred.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	require.NoError(t, err)
	msg := "from MIT " + args[0]
	all := append(append([]string{"-port", port}, args...), "127.0.0.1", service, msg)
	cmd := r.Command(ctx, "gss-client", all...)
	cmd.Env = append(cmd.Env, "KRB5CCNAME="+cc)
	done := make(chan error, 1)
	go func() {
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Logf("gss-client: %s", b)
		}
		done <- err
	}()

	conn, err := ln.Accept()
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	flags, _ := readGS(t, conn)
	require.Equal(t, byte(gsNoop|gsNext), flags)
	_, tok := readGS(t, conn)
	sc, rep, err := cred.Accept(tok)
	require.NoError(t, err)
	defer sc.Close()
	writeGS(t, conn, gsContext, rep)
	var key []byte
	require.NoError(t, sc.key.Use(func(k []byte) error {
		key = append(key, k...)
		return nil
	}))
	s, err := sc.v1Suite()
	require.NoError(t, err)

	var out []mitToken
	for {
		flags, tok := readGS(t, conn)
		if flags&gsNoop != 0 {
			break
		}
		require.NotZero(t, flags&gsWrapped)
		inner, err := v1Inner(tok)
		require.NoError(t, err)
		seq, _, err := sc.seqV1(s, inner)
		require.NoError(t, err)
		m, conf, err := sc.Unwrap(tok)
		require.NoError(t, err)
		require.Equal(t, msg, string(m))
		out = append(out, mitToken{Enctype: sc.Enctype(), Sender: "initiator",
			Key: hex.EncodeToString(key), Seq: seq, Kind: "wrap", Conf: conf,
			Message: msg, Token: hex.EncodeToString(tok)})
		mic, err := sc.MIC(m)
		require.NoError(t, err)
		writeGS(t, conn, gsMIC, mic)
	}
	require.NoError(t, <-done)
	return out
}

// recordFromMITServer runs our initiator against MIT's gss-server and
// records the MIC token it answers with.
func recordFromMITServer(ctx context.Context, t *testing.T, r *testrealm.Realm,
	c *krb5.Client, keytab, spn, service string) []mitToken {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		f, err := conn.(*net.TCPConn).File()
		if err != nil {
			done <- err
			return
		}
		defer f.Close()
		cmd := r.Command(ctx, "gss-server", "-inetd", "-keytab", keytab, service)
		cmd.Stdin = f
		done <- cmd.Run()
	}()

	in, tok, err := Initiate(ctx, c, spn, RawKerberos())
	require.NoError(t, err)
	defer in.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	writeGS(t, conn, gsNoop|gsNext, nil)
	writeGS(t, conn, gsContext, tok)
	_, rep := readGS(t, conn)
	sc, err := in.Finish(rep)
	require.NoError(t, err)
	defer sc.Close()
	var key []byte
	require.NoError(t, sc.key.Use(func(k []byte) error {
		key = append(key, k...)
		return nil
	}))
	s, err := sc.v1Suite()
	require.NoError(t, err)

	msg := "from safekrb5 to MIT"
	writeGS(t, conn, gsData|gsSendMIC, []byte(msg))
	flags, mic := readGS(t, conn)
	require.Equal(t, byte(gsMIC), flags)
	require.NoError(t, sc.VerifyMIC([]byte(msg), mic))
	inner, err := v1Inner(mic)
	require.NoError(t, err)
	seq, _, err := sc.seqV1(s, inner)
	require.NoError(t, err)
	writeGS(t, conn, gsNoop, nil)
	require.NoError(t, <-done)
	return []mitToken{{Enctype: sc.Enctype(), Sender: "acceptor",
		Key: hex.EncodeToString(key), Seq: seq, Kind: "mic", Message: msg,
		Token: hex.EncodeToString(mic)}}
}
