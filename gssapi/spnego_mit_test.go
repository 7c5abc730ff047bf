package gssapi_test

import (
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testapache"
	"github.com/safekrb5/safekrb5/internal/testrealm"
)

// More token flags of MIT's gss-sample protocol.
const (
	sampleMIC       = 0x08
	sampleWrapped   = 0x20
	sampleEncrypted = 0x40
	sampleSendMIC   = 0x80
)

// TestSPNEGOInitiatorWithMIT negotiates with MIT's SPNEGO acceptor, in
// gss-server, in the shapes that make it exchange mechListMICs: MIT
// asks for them (request-mic) when Kerberos is not our first choice,
// and answers ours with its own. Each context then carries a sealed
// message, which MIT unwraps and signs.
func TestSPNEGOInitiatorWithMIT(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	noMutualFlags := gssapi.WithFlags(noMutual)
	cases := []struct {
		name string
		opts []gssapi.InitOption
		legs int
	}{
		{"NTLM first, mutual: three legs", []gssapi.InitOption{
			gssapi.WithSPNEGOMechs(ntlmFirst...)}, 3},
		{"NegoEx first, no mutual", []gssapi.InitOption{noMutualFlags,
			gssapi.WithSPNEGOMechs(negoExFirst...)}, 2},
		{"Kerberos first, no mutual, MIC first", []gssapi.InitOption{noMutualFlags,
			gssapi.WithInitiatorMIC()}, 1},
		{"Kerberos alone", nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr, wait := mitGSSServer(t, r, r.Keytab, "HTTP@localhost")
			conn, err := net.Dial("tcp", addr)
			require.NoError(t, err)
			defer conn.Close()
			require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))

			in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost", tc.opts...)
			require.NoError(t, err)
			defer in.Close()
			sampleFrame(t, conn, sampleNoop|sampleContextNext, nil)
			var sc *gssapi.SecurityContext
			legs := 0
			for sc == nil {
				legs++
				require.LessOrEqual(t, legs, tc.legs)
				sampleFrame(t, conn, sampleContext, tok)
				flags, answer := readSampleFrame(t, conn)
				require.Equal(t, byte(sampleContext), flags)
				sc, tok, err = in.Step(answer)
				if errors.Is(err, gssapi.ErrContinueNeeded) {
					continue
				}
				require.NoError(t, err, "leg %d", legs)
			}
			defer sc.Close()
			if len(tok) > 0 {
				legs++
				sampleFrame(t, conn, sampleContext, tok) // our last MIC: no answer
			}
			assert.Equal(t, tc.legs, legs, "tokens we sent")

			msg := "negotiated: " + tc.name
			wrapped, err := sc.Wrap([]byte(msg), true)
			require.NoError(t, err)
			sampleFrame(t, conn, sampleData|sampleWrapped|sampleEncrypted|sampleSendMIC, wrapped)
			flags, mic := readSampleFrame(t, conn)
			require.Equal(t, byte(sampleMIC), flags)
			require.NoError(t, sc.VerifyMIC([]byte(msg), mic))
			sampleFrame(t, conn, sampleNoop, nil)
			log := wait()
			assert.Contains(t, log, "Received message: \""+msg+"\"")
		})
	}
}

// TestSPNEGOInitiatorWithApache: MIT's acceptor in mod_auth_gssapi
// verifies the mechListMIC our initiator sends with its first token and
// answers with its own, which we verify.
func TestSPNEGOInitiatorWithApache(t *testing.T) {
	r := testRealm(t)
	if err := testapache.CheckPrograms(); err != nil && os.Getenv(testrealm.SkipEnv) == "1" {
		t.Skip(err)
	}
	srv := testapache.ForTest(t, r)
	c := client(t, r)
	for _, tc := range []struct {
		name   string
		opts   []gssapi.InitOption
		hasMIC bool
	}{
		{"MIC first", []gssapi.InitOption{gssapi.WithFlags(noMutual),
			gssapi.WithInitiatorMIC()}, true},
		{"mutual, Kerberos alone", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, tok, err := gssapi.Initiate(ctxT(t), c, "HTTP/localhost", tc.opts...)
			require.NoError(t, err)
			defer in.Close()
			req, err := http.NewRequest("GET", srv.URL, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			h := resp.Header.Get("WWW-Authenticate")
			answer, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Negotiate "))
			require.NoError(t, err)
			assert.Equal(t, tc.hasMIC, len(decodeResp(t, answer).MechListMIC) > 0,
				"Apache's answer carries a mechListMIC")
			sc, err := in.Finish(answer)
			require.NoError(t, err)
			assert.Equal(t, r.UserPrincipal, sc.ClientName())
			require.NoError(t, sc.Close())

			if !tc.hasMIC {
				return
			}
			// The same answer with its MIC broken is refused.
			in, tok, err = gssapi.Initiate(ctxT(t), c, "HTTP/localhost", tc.opts...)
			require.NoError(t, err)
			defer in.Close()
			req.Header.Set("Authorization", "Negotiate "+base64.StdEncoding.EncodeToString(tok))
			resp, err = http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			h = resp.Header.Get("WWW-Authenticate")
			answer, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Negotiate "))
			require.NoError(t, err)
			answer[len(answer)-1] ^= 1 // the MIC comes last
			_, err = in.Finish(answer)
			require.ErrorIs(t, err, gssapi.ErrBadMIC)
		})
	}
}
