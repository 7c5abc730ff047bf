package peerbench

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"

	gclient "github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/crypto"
	ggss "github.com/jcmturner/gokrb5/v8/gssapi"
	"github.com/jcmturner/gokrb5/v8/iana/flags"
	"github.com/jcmturner/gokrb5/v8/iana/keyusage"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	gspnego "github.com/jcmturner/gokrb5/v8/spnego"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/krb5"
)

// The benchmarks come in groups, ours first, then gokrb5's, then MIT's,
// so that one `go test -bench` run is one interleaved round.

// Accepting tokens: ours loads the keytab from its file and keeps
// replay detection on, as servers run it.

func benchAcceptOurs(b *testing.B, kind tokenKind, wantReply bool) {
	f := shared(b)
	toks := f.mint(b, warmUp+b.N, kind)
	cred, err := gssapi.NewAcceptorCredentialFromFile(f.realm.Keytab)
	if err != nil {
		b.Fatal(err)
	}
	defer cred.Close()
	measure(b, func(i int) {
		sc, rep, err := cred.Accept(toks[i])
		if err != nil {
			b.Fatal(err)
		}
		if (len(rep) > 0) != wantReply {
			b.Fatalf("accept answered %d bytes", len(rep))
		}
		sc.Close()
	})
}

// gokrb5Keytab loads the service keytab with gokrb5.
func (f *fixture) gokrb5Keytab(b *testing.B) *keytab.Keytab {
	b.Helper()
	kt, err := keytab.Load(f.realm.Keytab)
	if err != nil {
		b.Fatal(err)
	}
	return kt
}

// gokrb5Settings are the acceptor settings for gokrb5: its PAC decoder
// is off, as ours does not decode the PAC either (and MIT's minimal PAC
// has no logon information for it to find).
func gokrb5Settings() []func(*service.Settings) {
	return []func(*service.Settings){service.DecodePAC(false)}
}

func benchAcceptGokrb5KRB5(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, warmUp+b.N, rawNoMutual)
	settings := service.NewSettings(f.gokrb5Keytab(b), gokrb5Settings()...)
	measure(b, func(i int) {
		var tok gspnego.KRB5Token
		if err := tok.Unmarshal(toks[i]); err != nil {
			b.Fatal(err)
		}
		ok, _, err := service.VerifyAPREQ(&tok.APReq, settings)
		if !ok || err != nil {
			b.Fatalf("gokrb5 refused a token: %v", err)
		}
	})
}

func benchAcceptGokrb5SPNEGO(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, warmUp+b.N, spnegoInit)
	svc := gspnego.SPNEGOService(f.gokrb5Keytab(b), gokrb5Settings()...)
	measure(b, func(i int) {
		var st gspnego.SPNEGOToken
		if err := st.Unmarshal(toks[i]); err != nil {
			b.Fatal(err)
		}
		ok, _, status := svc.AcceptSecContext(&st)
		if !ok {
			b.Fatalf("gokrb5 refused a token: %v", status)
		}
	})
}

// mitAccept runs mitbench's accept: floor is a MEMORY keytab and no
// replay cache, otherwise the FILE keytab and MIT's file replay cache.
func benchAcceptMIT(b *testing.B, kind tokenKind, floor bool) {
	f := shared(b)
	path := f.mintFile(b, warmUp+b.N, kind)
	mech := "krb5"
	if kind == spnegoInit {
		mech = "spnego"
	}
	kt, env := "FILE:"+f.realm.Keytab, []string(nil)
	if floor {
		kt, env = "MEMORY:"+f.realm.Keytab, []string{"KRB5RCACHETYPE=none"}
	}
	f.runMIT(b, "", env, true, "accept", kt, path, mech).report(b)
}

func BenchmarkAcceptKRB5Ours(b *testing.B)      { benchAcceptOurs(b, rawNoMutual, false) }
func BenchmarkAcceptKRB5Gokrb5(b *testing.B)    { benchAcceptGokrb5KRB5(b) }
func BenchmarkAcceptKRB5MITFloor(b *testing.B)  { benchAcceptMIT(b, rawNoMutual, true) }
func BenchmarkAcceptKRB5MITServer(b *testing.B) { benchAcceptMIT(b, rawNoMutual, false) }

func BenchmarkAcceptSPNEGOOurs(b *testing.B)      { benchAcceptOurs(b, spnegoInit, true) }
func BenchmarkAcceptSPNEGOGokrb5(b *testing.B)    { benchAcceptGokrb5SPNEGO(b) }
func BenchmarkAcceptSPNEGOMITFloor(b *testing.B)  { benchAcceptMIT(b, spnegoInit, true) }
func BenchmarkAcceptSPNEGOMITServer(b *testing.B) { benchAcceptMIT(b, spnegoInit, false) }

// Mutual authentication: the acceptor builds an AP-REP. gokrb5's
// acceptor cannot, so it has no entry here.

func BenchmarkAcceptMutualOurs(b *testing.B)      { benchAcceptOurs(b, rawMutual, true) }
func BenchmarkAcceptMutualMITFloor(b *testing.B)  { benchAcceptMIT(b, rawMutual, true) }
func BenchmarkAcceptMutualMITServer(b *testing.B) { benchAcceptMIT(b, rawMutual, false) }

// Initiating from a cached service ticket: a bare Kerberos token with
// mutual authentication asked for, the ticket looked up in the cache
// each time (MIT: in a MEMORY ccache).

func BenchmarkInitiateOurs(b *testing.B) {
	f := shared(b)
	ctx := context.Background()
	measure(b, func(int) {
		in, _, err := gssapi.Initiate(ctx, f.client, f.realm.Service,
			gssapi.RawKerberos())
		if err != nil {
			b.Fatal(err)
		}
		in.Close()
	})
}

// gokrb5Client is a gokrb5 client logged in with the user's password,
// holding the HTTP ticket. The caller destroys it.
func (f *fixture) gokrb5Client(b *testing.B) *gclient.Client {
	b.Helper()
	r := f.realm
	cl := gclient.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
		gclient.DisablePAFXFAST(true))
	if err := cl.Login(); err != nil {
		b.Fatal(err)
	}
	if _, _, err := cl.GetServiceTicket(r.Service); err != nil {
		b.Fatal(err)
	}
	return cl
}

func BenchmarkInitiateGokrb5(b *testing.B) {
	f := shared(b)
	cl := f.gokrb5Client(b)
	defer cl.Destroy()
	gf := []int{ggss.ContextFlagMutual, ggss.ContextFlagReplay,
		ggss.ContextFlagSequence, ggss.ContextFlagInteg, ggss.ContextFlagConf}
	ap := []int{flags.APOptionMutualRequired}
	measure(b, func(int) {
		tkt, key, err := cl.GetServiceTicket(f.realm.Service)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := gspnego.NewKRB5TokenAPREQ(cl, tkt, key, gf, ap)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tok.Marshal(); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkInitiateMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, "", nil, true, "initiate", f.ccache, f.servicePrincipal(),
		strconv.Itoa(b.N)).report(b)
}

// Wrap on the initiator's side and Unwrap on the acceptor's, one round
// trip per operation. gokrb5's Wrap tokens carry a checksum only, so it
// has no confidentiality entry.

var wrapSizes = []struct {
	name string
	n    int
}{{"1K", 1 << 10}, {"64K", 64 << 10}}

// contextPair establishes a context between our initiator and our
// acceptor; the caller closes both and the cleanup function.
func (f *fixture) contextPair(b *testing.B) (ini, acc *gssapi.SecurityContext,
	cleanup func()) {
	b.Helper()
	kt, err := krb5.LoadKeytab(f.realm.Keytab)
	if err != nil {
		b.Fatal(err)
	}
	cred, err := gssapi.NewAcceptorCredential(kt)
	if err != nil {
		b.Fatal(err)
	}
	in, tok, err := gssapi.Initiate(context.Background(), f.client,
		f.realm.Service, gssapi.RawKerberos())
	if err != nil {
		b.Fatal(err)
	}
	acc, rep, err := cred.Accept(tok)
	if err != nil {
		b.Fatal(err)
	}
	ini, err = in.Finish(rep)
	if err != nil {
		b.Fatal(err)
	}
	return ini, acc, func() {
		ini.Close()
		acc.Close()
		cred.Close()
		kt.Close()
	}
}

// benchWrapOurs puts the token and the message into buffers kept from
// one round trip to the next (WrapAppend and UnwrapAppend), as MIT's
// gss_release_buffer hands its buffers back to malloc, which gives the
// same memory out again; with fresh set, into new ones each time (Wrap
// and Unwrap).
func benchWrapOurs(b *testing.B, size int, conf, fresh bool) {
	f := shared(b)
	ini, acc, cleanup := f.contextPair(b)
	defer cleanup()
	msg := make([]byte, size)
	var tok, out []byte
	measure(b, func(int) {
		var err error
		var gotConf bool
		if fresh {
			tok, err = ini.Wrap(msg, conf)
		} else {
			tok, err = ini.WrapAppend(tok[:0], msg, conf)
		}
		if err != nil {
			b.Fatal(err)
		}
		if fresh {
			out, gotConf, err = acc.Unwrap(tok)
		} else {
			out, gotConf, err = acc.UnwrapAppend(out[:0], tok)
		}
		if err != nil || len(out) != size || gotConf != conf {
			b.Fatalf("unwrap: %v", err)
		}
	})
}

func benchWrapGokrb5(b *testing.B, size int) {
	f := shared(b)
	tkt, err := f.client.ServiceTicket(context.Background(), f.realm.Service)
	if err != nil {
		b.Fatal(err)
	}
	var key types.EncryptionKey
	err = tkt.UseSessionKey(func(k types.EncryptionKey) error {
		key = types.EncryptionKey{KeyType: k.KeyType,
			KeyValue: bytes.Clone(k.KeyValue)}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, size)
	measure(b, func(int) {
		wt, err := ggss.NewInitiatorWrapToken(msg, key)
		if err != nil {
			b.Fatal(err)
		}
		tok, err := wt.Marshal()
		if err != nil {
			b.Fatal(err)
		}
		var got ggss.WrapToken
		if err := got.Unmarshal(tok, false); err != nil {
			b.Fatal(err)
		}
		ok, err := got.Verify(key, keyusage.GSSAPI_INITIATOR_SEAL)
		if !ok || err != nil {
			b.Fatalf("gokrb5 refused its own token: %v", err)
		}
	})
}

func benchWrapMIT(b *testing.B, size int, conf bool) {
	f := shared(b)
	mode := "integ"
	if conf {
		mode = "conf"
	}
	f.runMIT(b, "", []string{"KRB5RCACHETYPE=none"}, true, "wrap", f.ccache,
		f.servicePrincipal(), f.realm.Keytab, strconv.Itoa(size), mode,
		strconv.Itoa(b.N)).report(b)
}

func BenchmarkWrap(b *testing.B) {
	for _, s := range wrapSizes {
		b.Run("Integ"+s.name+"Ours", func(b *testing.B) { benchWrapOurs(b, s.n, false, false) })
		b.Run("Integ"+s.name+"Gokrb5", func(b *testing.B) { benchWrapGokrb5(b, s.n) })
		b.Run("Integ"+s.name+"MIT", func(b *testing.B) { benchWrapMIT(b, s.n, false) })
		b.Run("Conf"+s.name+"Ours", func(b *testing.B) { benchWrapOurs(b, s.n, true, false) })
		b.Run("Conf"+s.name+"OursFresh", func(b *testing.B) { benchWrapOurs(b, s.n, true, true) })
		b.Run("Conf"+s.name+"MIT", func(b *testing.B) { benchWrapMIT(b, s.n, true) })
	}
}

// Password login against the local KDC: user CPU per login is the
// figure, as the KDC's CPU is not the client's. StringToKey measures one
// aes256-cts string-to-key, to count them per login.

func BenchmarkLoginOurs(b *testing.B) {
	f := shared(b)
	r := f.realm
	ctx := context.Background()
	measure(b, func(int) {
		c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
			krb5.DisableAutoRenew())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Login(ctx); err != nil {
			b.Fatal(err)
		}
		c.Close()
	})
}

func BenchmarkLoginGokrb5(b *testing.B) {
	f := shared(b)
	r := f.realm
	measure(b, func(int) {
		cl := gclient.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
			gclient.DisablePAFXFAST(true))
		if err := cl.Login(); err != nil {
			b.Fatal(err)
		}
		cl.Destroy()
	})
}

func BenchmarkLoginMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, f.realm.Password+"\n", nil, true, "login", f.realm.UserPrincipal,
		strconv.Itoa(b.N)).report(b)
}

func BenchmarkStringToKeyGo(b *testing.B) {
	f := shared(b)
	r := f.realm
	et, err := crypto.GetEtype(18)
	if err != nil {
		b.Fatal(err)
	}
	salt := r.Name + r.User
	measure(b, func(int) {
		if _, err := et.StringToKey(r.Password, salt, "00001000"); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkStringToKeyMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, f.realm.Password+"\n", nil, true, "s2k", f.realm.UserPrincipal,
		strconv.Itoa(b.N)).report(b)
}

// TGS exchanges, none answered from a cache: ours and gokrb5 cycle
// through numSPNs services, ours with a fresh client logged in with the
// password (outside the timer) each time round, so that the TGT is in
// memory as in MIT's MEMORY ccache; MIT asks with KRB5_GC_NO_STORE.

func BenchmarkTGSOurs(b *testing.B) {
	f := shared(b)
	r := f.realm
	benchTGSOurs(b, func() (*krb5.Client, error) {
		c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
			krb5.DisableAutoRenew())
		if err == nil {
			err = c.Login(context.Background())
		}
		return c, err
	})
}

// BenchmarkTGSOursFileCCache is BenchmarkTGSOurs with clients made from
// the FILE ccache, which a client rereads (under a shared lock) before
// every use of its TGT, to see a kinit by another process.
func BenchmarkTGSOursFileCCache(b *testing.B) {
	f := shared(b)
	benchTGSOurs(b, func() (*krb5.Client, error) {
		return krb5.NewFromCCache(f.ccache, f.cfg, krb5.DisableAutoRenew())
	})
}

// benchTGSOurs asks for a ticket for each of numSPNs services with each
// client newClient makes (outside the timer), as many as it takes.
func benchTGSOurs(b *testing.B, newClient func() (*krb5.Client, error)) {
	f := shared(b)
	ctx := context.Background()
	clients := make([]*krb5.Client, (warmUp+b.N+numSPNs-1)/numSPNs)
	for i := range clients {
		c, err := newClient()
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		clients[i] = c
	}
	measure(b, func(i int) {
		if _, err := clients[i/numSPNs].ServiceTicket(ctx,
			f.spns[i%numSPNs]); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkTGSGokrb5(b *testing.B) {
	f := shared(b)
	cl := f.gokrb5Client(b)
	defer cl.Destroy()
	tgt, err := f.client.TGT()
	if err != nil {
		b.Fatal(err)
	}
	var key types.EncryptionKey
	err = tgt.UseSessionKey(func(k types.EncryptionKey) error {
		key = types.EncryptionKey{KeyType: k.KeyType,
			KeyValue: bytes.Clone(k.KeyValue)}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	measure(b, func(i int) {
		_, _, err := cl.TGSREQGenerateAndExchange(principal(f.spns[i%numSPNs]),
			f.realm.Name, tgt.Ticket, key, false)
		if err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkTGSMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, "", nil, true, "tgs", f.ccache, f.spns[0]+"@"+f.realm.Name,
		strconv.Itoa(b.N)).report(b)
}

// HTTP Negotiate on loopback: concurrent clients, each request with a
// fresh SPNEGO token, through our middleware and through gokrb5's
// handler. req/s is the figure.

func benchHTTP(b *testing.B, handler func(http.Handler) http.Handler) {
	f := shared(b)
	toks := f.mint(b, warmUp+b.N, spnegoInit)
	hdrs := make([]string, len(toks))
	for i, t := range toks {
		hdrs[i] = "Negotiate " + base64.StdEncoding.EncodeToString(t)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "ok")
	})
	srv := httptest.NewServer(handler(ok))
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	get := func(hdr string) error {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", hdr)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d", resp.StatusCode)
		}
		return nil
	}
	for _, h := range hdrs[:warmUp] {
		if err := get(h); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	next.Store(warmUp)
	b.SetParallelism(4)
	runtime.GC()
	b.ResetTimer()
	start := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := get(hdrs[next.Add(1)-1]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	used := cpuTime() - start
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(float64(used.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

func BenchmarkHTTPOurs(b *testing.B) {
	f := shared(b)
	kt, err := krb5.LoadKeytab(f.realm.Keytab)
	if err != nil {
		b.Fatal(err)
	}
	defer kt.Close()
	cred, err := gssapi.NewAcceptorCredential(kt)
	if err != nil {
		b.Fatal(err)
	}
	defer cred.Close()
	// Like gokrb5 below (DecodePAC(false)), the PAC is not checked.
	benchHTTP(b, gssapi.Middleware(cred, gssapi.WithoutPAC()))
}

func BenchmarkHTTPGokrb5(b *testing.B) {
	f := shared(b)
	kt := f.gokrb5Keytab(b)
	benchHTTP(b, func(h http.Handler) http.Handler {
		return gspnego.SPNEGOKRB5Authenticate(h, kt, gokrb5Settings()...)
	})
}

// Memory: bytes per live object, from runtime.MemStats after a GC (MIT:
// mallinfo2), with everything made before the first reading (tokens,
// keytab, client) kept alive until the last. These measure once whatever
// b.N is; run them with -benchtime 1x.

const memObjects = 1000

func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// perObject reports (to - from) / memObjects under unit.
func perObject(b *testing.B, from, to int64, unit string) {
	b.ReportMetric(float64(to-from)/memObjects, unit)
}

// BenchmarkMemContextOurs reports the bytes of a live accepted context
// and, apart, of the replay cache entry its authenticator leaves behind
// (until it expires, whether the context is closed or not).
func BenchmarkMemContextOurs(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, memObjects, rawNoMutual)
	cred, err := gssapi.NewAcceptorCredentialFromFile(f.realm.Keytab)
	if err != nil {
		b.Fatal(err)
	}
	defer cred.Close()
	live := make([]*gssapi.SecurityContext, len(toks))
	before := heapAlloc()
	for i, tok := range toks {
		if live[i], _, err = cred.Accept(tok); err != nil {
			b.Fatal(err)
		}
	}
	withContexts := heapAlloc()
	for _, sc := range live {
		sc.Close()
	}
	clear(live)
	after := heapAlloc()
	runtime.KeepAlive(toks)
	perObject(b, after, withContexts, "B/context")
	perObject(b, before, after, "B/replay-entry")
}

// BenchmarkMemContextGokrb5 reports what gokrb5's acceptor keeps per
// accepted token: the credentials it returns and its replay cache entry,
// together.
func BenchmarkMemContextGokrb5(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, memObjects, rawNoMutual)
	settings := service.NewSettings(f.gokrb5Keytab(b), gokrb5Settings()...)
	live := make([]any, len(toks))
	before := heapAlloc()
	for i, t := range toks {
		var tok gspnego.KRB5Token
		if err := tok.Unmarshal(t); err != nil {
			b.Fatal(err)
		}
		ok, creds, err := service.VerifyAPREQ(&tok.APReq, settings)
		if !ok || err != nil {
			b.Fatalf("gokrb5 refused a token: %v", err)
		}
		live[i] = creds
	}
	withContexts := heapAlloc()
	runtime.KeepAlive(live)
	runtime.KeepAlive(toks)
	runtime.KeepAlive(settings)
	perObject(b, before, withContexts, "B/context+replay-entry")
}

func BenchmarkMemContextMIT(b *testing.B) {
	f := shared(b)
	path := f.mintFile(b, memObjects, rawNoMutual)
	figs := f.runMIT(b, "", []string{"KRB5RCACHETYPE=none"}, false, "memctx",
		"MEMORY:"+f.realm.Keytab, path)
	b.ReportMetric(figs["bytes/op"], "B/context")
}

// The ticket cache: bytes per service ticket a client holds, numSPNs-1
// distinct ones.

func BenchmarkMemTicketOurs(b *testing.B) {
	f := shared(b)
	ctx := context.Background()
	c, err := krb5.NewFromCCache(f.ccache, f.cfg, krb5.DisableAutoRenew())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	if _, err := c.ServiceTicket(ctx, f.spns[0]); err != nil {
		b.Fatal(err)
	}
	before := heapAlloc()
	for _, spn := range f.spns[1:] {
		if _, err := c.ServiceTicket(ctx, spn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heapAlloc()-before)/float64(numSPNs-1), "B/ticket")
}

func BenchmarkMemTicketGokrb5(b *testing.B) {
	f := shared(b)
	cl := f.gokrb5Client(b)
	defer cl.Destroy()
	if _, _, err := cl.GetServiceTicket(f.spns[0]); err != nil {
		b.Fatal(err)
	}
	before := heapAlloc()
	for _, spn := range f.spns[1:] {
		if _, _, err := cl.GetServiceTicket(spn); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(heapAlloc()-before)/float64(numSPNs-1), "B/ticket")
}

func BenchmarkMemTicketMIT(b *testing.B) {
	f := shared(b)
	figs := f.runMIT(b, "", nil, false, "memtkt", f.ccache, f.servicePrincipal(),
		strconv.Itoa(numSPNs))
	b.ReportMetric(figs["bytes/op"], "B/ticket")
}
