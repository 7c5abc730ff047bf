package peerbench

import (
	"bytes"
	"context"
	"encoding/base64"
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
	toks := f.mint(b, b.N, kind)
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
	t := startCPU(b)
	for i := range b.N {
		sc, rep, err := cred.Accept(toks[i])
		if err != nil {
			b.Fatal(err)
		}
		if (len(rep) > 0) != wantReply {
			b.Fatalf("accept answered %d bytes", len(rep))
		}
		sc.Close()
	}
	t.done()
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
	toks := f.mint(b, b.N, rawNoMutual)
	settings := service.NewSettings(f.gokrb5Keytab(b), gokrb5Settings()...)
	t := startCPU(b)
	for i := range b.N {
		var tok gspnego.KRB5Token
		if err := tok.Unmarshal(toks[i]); err != nil {
			b.Fatal(err)
		}
		ok, _, err := service.VerifyAPREQ(&tok.APReq, settings)
		if !ok || err != nil {
			b.Fatalf("gokrb5 refused a token: %v", err)
		}
	}
	t.done()
}

func benchAcceptGokrb5SPNEGO(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, b.N, spnegoInit)
	svc := gspnego.SPNEGOService(f.gokrb5Keytab(b), gokrb5Settings()...)
	t := startCPU(b)
	for i := range b.N {
		var st gspnego.SPNEGOToken
		if err := st.Unmarshal(toks[i]); err != nil {
			b.Fatal(err)
		}
		ok, _, status := svc.AcceptSecContext(&st)
		if !ok {
			b.Fatalf("gokrb5 refused a token: %v", status)
		}
	}
	t.done()
}

// mitAccept runs mitbench's accept: floor is a MEMORY keytab and no
// replay cache, otherwise the FILE keytab and MIT's file replay cache.
func benchAcceptMIT(b *testing.B, kind tokenKind, floor bool) {
	f := shared(b)
	path := f.mintFile(b, b.N, kind)
	mech := "krb5"
	if kind == spnegoInit {
		mech = "spnego"
	}
	kt, env := "FILE:"+f.realm.Keytab, []string(nil)
	if floor {
		kt, env = "MEMORY:"+f.realm.Keytab, []string{"KRB5RCACHETYPE=none"}
	}
	f.runMIT(b, "", env, "accept", kt, path, mech).report(b)
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
	t := startCPU(b)
	for range b.N {
		in, _, err := gssapi.Initiate(ctx, f.client, f.realm.Service,
			gssapi.RawKerberos())
		if err != nil {
			b.Fatal(err)
		}
		in.Close()
	}
	t.done()
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
	t := startCPU(b)
	for range b.N {
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
	}
	t.done()
}

func BenchmarkInitiateMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, "", nil, "initiate", f.ccache, f.servicePrincipal(),
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

func benchWrapOurs(b *testing.B, size int, conf bool) {
	f := shared(b)
	ini, acc, cleanup := f.contextPair(b)
	defer cleanup()
	msg := make([]byte, size)
	t := startCPU(b)
	for range b.N {
		tok, err := ini.Wrap(msg, conf)
		if err != nil {
			b.Fatal(err)
		}
		out, gotConf, err := acc.Unwrap(tok)
		if err != nil || len(out) != size || gotConf != conf {
			b.Fatalf("unwrap: %v", err)
		}
	}
	t.done()
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
	t := startCPU(b)
	for range b.N {
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
	}
	t.done()
}

func benchWrapMIT(b *testing.B, size int, conf bool) {
	f := shared(b)
	mode := "integ"
	if conf {
		mode = "conf"
	}
	f.runMIT(b, "", []string{"KRB5RCACHETYPE=none"}, "wrap", f.ccache,
		f.servicePrincipal(), f.realm.Keytab, strconv.Itoa(size), mode,
		strconv.Itoa(b.N)).report(b)
}

func BenchmarkWrap(b *testing.B) {
	for _, s := range wrapSizes {
		b.Run("Integ"+s.name+"Ours", func(b *testing.B) { benchWrapOurs(b, s.n, false) })
		b.Run("Integ"+s.name+"Gokrb5", func(b *testing.B) { benchWrapGokrb5(b, s.n) })
		b.Run("Integ"+s.name+"MIT", func(b *testing.B) { benchWrapMIT(b, s.n, false) })
		b.Run("Conf"+s.name+"Ours", func(b *testing.B) { benchWrapOurs(b, s.n, true) })
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
	t := startCPU(b)
	for range b.N {
		c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
			krb5.DisableAutoRenew())
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Login(ctx); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
	t.done()
}

func BenchmarkLoginGokrb5(b *testing.B) {
	f := shared(b)
	r := f.realm
	t := startCPU(b)
	for range b.N {
		cl := gclient.NewWithPassword(r.User, r.Name, r.Password, f.cfg,
			gclient.DisablePAFXFAST(true))
		if err := cl.Login(); err != nil {
			b.Fatal(err)
		}
		cl.Destroy()
	}
	t.done()
}

func BenchmarkLoginMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, f.realm.Password+"\n", nil, "login", f.realm.UserPrincipal,
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
	t := startCPU(b)
	for range b.N {
		if _, err := et.StringToKey(r.Password, salt, "00001000"); err != nil {
			b.Fatal(err)
		}
	}
	t.done()
}

func BenchmarkStringToKeyMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, f.realm.Password+"\n", nil, "s2k", f.realm.UserPrincipal,
		strconv.Itoa(b.N)).report(b)
}

// TGS exchanges, none answered from a cache: ours and gokrb5 cycle
// through numSPNs services (ours with a fresh client from the ccache,
// outside the timer, each time round); MIT asks with KRB5_GC_NO_STORE.

func BenchmarkTGSOurs(b *testing.B) {
	f := shared(b)
	ctx := context.Background()
	var c *krb5.Client
	t := startCPU(b)
	for i := range b.N {
		if i%numSPNs == 0 {
			t.pause()
			if c != nil {
				c.Close()
			}
			var err error
			c, err = krb5.NewFromCCache(f.ccache, f.cfg, krb5.DisableAutoRenew())
			if err != nil {
				b.Fatal(err)
			}
			t.resume()
		}
		if _, err := c.ServiceTicket(ctx, f.spns[i%numSPNs]); err != nil {
			b.Fatal(err)
		}
	}
	t.done()
	c.Close()
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
	t := startCPU(b)
	for i := range b.N {
		_, _, err := cl.TGSREQGenerateAndExchange(principal(f.spns[i%numSPNs]),
			f.realm.Name, tgt.Ticket, key, false)
		if err != nil {
			b.Fatal(err)
		}
	}
	t.done()
}

func BenchmarkTGSMIT(b *testing.B) {
	f := shared(b)
	f.runMIT(b, "", nil, "tgs", f.ccache, f.spns[0]+"@"+f.realm.Name,
		strconv.Itoa(b.N)).report(b)
}

// HTTP Negotiate on loopback: concurrent clients, each request with a
// fresh SPNEGO token, through our middleware and through gokrb5's
// handler. req/s is the figure.

func benchHTTP(b *testing.B, handler func(http.Handler) http.Handler) {
	f := shared(b)
	toks := f.mint(b, b.N, spnegoInit)
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
	var next atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := next.Add(1) - 1
			req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("Authorization", hdrs[i])
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
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
	benchHTTP(b, gssapi.Middleware(cred))
}

func BenchmarkHTTPGokrb5(b *testing.B) {
	f := shared(b)
	kt := f.gokrb5Keytab(b)
	benchHTTP(b, func(h http.Handler) http.Handler {
		return gspnego.SPNEGOKRB5Authenticate(h, kt, gokrb5Settings()...)
	})
}

// Memory: bytes per live object, from runtime.MemStats after a GC (MIT:
// mallinfo2). These measure once whatever b.N is; run them with
// -benchtime 1x.

const memObjects = 1000

func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func BenchmarkMemContextOurs(b *testing.B) {
	f := shared(b)
	toks := f.mint(b, memObjects, rawNoMutual)
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
	b.ReportMetric(float64(int64(withContexts-after))/memObjects, "B/context")
	b.ReportMetric(float64(int64(after-before))/memObjects, "B/replay-entry")
}

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
	b.ReportMetric(float64(int64(withContexts-before))/memObjects,
		"B/context+replay-entry")
}

func BenchmarkMemContextMIT(b *testing.B) {
	f := shared(b)
	path := f.mintFile(b, memObjects, rawNoMutual)
	figs := f.runMIT(b, "", []string{"KRB5RCACHETYPE=none"}, "memctx",
		"MEMORY:"+f.realm.Keytab, path)
	b.ReportMetric(figs["bytes/op"], "B/context")
}

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
	b.ReportMetric(float64(int64(heapAlloc()-before))/float64(numSPNs-1),
		"B/ticket")
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
	b.ReportMetric(float64(int64(heapAlloc()-before))/float64(numSPNs-1),
		"B/ticket")
}

func BenchmarkMemTicketMIT(b *testing.B) {
	f := shared(b)
	figs := f.runMIT(b, "", nil, "memtkt", f.ccache, f.servicePrincipal(),
		strconv.Itoa(numSPNs))
	b.ReportMetric(figs["bytes/op"], "B/ticket")
}
