package gssapi_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/safekrb5/safekrb5/gssapi"
	"github.com/safekrb5/safekrb5/internal/testrealm"
	"github.com/safekrb5/safekrb5/krb5"
	"github.com/safekrb5/safekrb5/support"
)

// liveObjects are one of every kind of object of krb5 and gssapi, made
// against the realm and all alive.
type liveObjects struct {
	cfg       *config.Config
	principal types.PrincipalName
	token     []byte // an AP-REQ the credential accepts
	objects   []any
}

func makeLiveObjects(t *testing.T, r *testrealm.Realm) *liveObjects {
	t.Helper()
	ctx := ctxT(t)
	cfg, err := krb5.LoadConfigFile(r.ConfPath)
	require.NoError(t, err)
	c, err := krb5.NewWithPassword(r.User, r.Name, r.Password, cfg)
	require.NoError(t, err)
	require.NoError(t, c.Login(ctx))
	kt, err := krb5.LoadKeytab(r.Keytab)
	require.NoError(t, err)
	klib, err := krb5.Open()
	require.NoError(t, err)
	tkt, err := c.ServiceTicket(ctx, r.Service)
	require.NoError(t, err)
	// The service acts for the user (S4U2Self), which MIT grants to any
	// service.
	svc, err := krb5.NewWithKeytab(r.Service, r.Name, kt, cfg)
	require.NoError(t, err)
	imp, err := svc.ImpersonateUser(ctx, r.User)
	require.NoError(t, err)

	cred, err := gssapi.NewAcceptorCredential(kt)
	require.NoError(t, err)
	glib, err := gssapi.Open()
	require.NoError(t, err)
	// One initiator completes, so that both ends hold a context; the
	// other waits for the acceptor's answer.
	in, tok, err := gssapi.Initiate(ctx, c, r.Service)
	require.NoError(t, err)
	accepted, reply, err := cred.Accept(tok)
	require.NoError(t, err)
	initiated, err := in.Finish(reply)
	require.NoError(t, err)
	_, _, err = in.Step(reply)
	require.ErrorIs(t, err, gssapi.ErrClosed, "Finish ended the initiator")
	pending, tok2, err := gssapi.Initiate(ctx, c, r.Service)
	require.NoError(t, err)
	tr := gssapi.NewTransport(c, http.DefaultTransport)

	return &liveObjects{
		cfg:       cfg,
		principal: c.Principal(),
		token:     tok2,
		objects: []any{c, svc, imp, kt, klib, tkt, cred, glib, pending, accepted, initiated,
			tr},
	}
}

// callEveryMethod calls each exported method of obj with arguments made
// from its parameter types and checks that none panics or hangs, that
// none runs a callback it was given, and that each one returning an
// error returns one errors.Is matches against want. Close methods may
// return nil or ErrClosed instead: Close is idempotent, and a Step or
// Finish that fails closes its initiator.
func callEveryMethod(t *testing.T, obj any, lo *liveObjects, want error) {
	v := reflect.ValueOf(obj)
	typ := v.Type()
	errType := reflect.TypeOf((*error)(nil)).Elem()
	ctxType := reflect.TypeOf((*context.Context)(nil)).Elem()
	// Close and Destroy last, so that the others meet the state under
	// test rather than a closed object.
	var order, last []int
	for i := 0; i < typ.NumMethod(); i++ {
		if n := typ.Method(i).Name; n == "Close" || n == "Destroy" {
			last = append(last, i)
		} else {
			order = append(order, i)
		}
	}
	for _, i := range append(order, last...) {
		m := typ.Method(i)
		name := fmt.Sprintf("%s.%s", typ.Elem().Name(), m.Name)
		t.Run(name, func(t *testing.T) {
			ft := m.Type
			var args []reflect.Value
			n := ft.NumIn() - 1 // without the receiver
			if ft.IsVariadic() {
				n--
			}
			called := false
			for j := 1; j <= n; j++ {
				at := ft.In(j)
				switch {
				case at == ctxType:
					args = append(args, reflect.ValueOf(ctxT(t)))
				case at.Kind() == reflect.String:
					args = append(args, reflect.ValueOf("HTTP/localhost").Convert(at))
				case at == reflect.TypeOf([]byte(nil)):
					args = append(args, reflect.ValueOf(append([]byte(nil), lo.token...)))
				case at == reflect.TypeOf(lo.cfg):
					args = append(args, reflect.ValueOf(lo.cfg))
				case at == reflect.TypeOf(lo.principal):
					args = append(args, reflect.ValueOf(lo.principal))
				case at == reflect.TypeOf((*http.Request)(nil)):
					req := httptest.NewRequest(http.MethodGet, "http://localhost:1/", nil)
					args = append(args, reflect.ValueOf(req))
				case at.Kind() == reflect.Func:
					args = append(args, reflect.MakeFunc(at,
						func(in []reflect.Value) []reflect.Value {
							called = true
							out := make([]reflect.Value, at.NumOut())
							for k := range out {
								out[k] = reflect.Zero(at.Out(k))
							}
							return out
						}))
				default:
					args = append(args, reflect.Zero(at))
				}
			}

			type result struct {
				out   []reflect.Value
				panic any
			}
			done := make(chan result, 1)
			go func() {
				defer func() {
					if p := recover(); p != nil {
						done <- result{panic: p}
					}
				}()
				done <- result{out: v.Method(i).Call(args)}
			}()
			var res result
			select {
			case res = <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("%s did not return within 10s", name)
			}
			require.Nil(t, res.panic, "%s panicked", name)
			assert.False(t, called, "%s ran its callback", name)
			if ft.NumOut() == 0 || ft.Out(ft.NumOut()-1) != errType {
				return
			}
			err, _ := res.out[len(res.out)-1].Interface().(error)
			if m.Name == "Close" && (err == nil || errors.Is(err, krb5.ErrClosed)) {
				return
			}
			require.Error(t, err, "%s succeeded", name)
			assert.ErrorIs(t, err, want, "%s: %v", name, err)
		})
	}
}

// TestMethodsAfterClose closes one of every kind of object and then
// calls every exported method on it: each fails with ErrClosed.
func TestMethodsAfterClose(t *testing.T) {
	r := testRealm(t)
	lo := makeLiveObjects(t, r)
	// Close contexts and credentials before the clients and keytab under
	// them, as a program would; the tickets belong to the clients.
	for i := len(lo.objects) - 1; i >= 0; i-- {
		if cl, ok := lo.objects[i].(interface{ Close() error }); ok {
			require.NoError(t, cl.Close())
		}
	}
	for _, obj := range lo.objects {
		if _, ok := obj.(*gssapi.Library); ok {
			continue // its Close is its only method
		}
		callEveryMethod(t, obj, lo, krb5.ErrClosed)
	}
}

// methodsChild names the environment variable that makes
// TestMethodsAfterTeardown run its body, which tears krb5 and gssapi down
// for good, in a child process of its own.
const methodsChild = "SAFEKRB5_GSSAPI_METHODS_CHILD"

// TestMethodsAfterTeardown tears the modules down now while one of every
// kind of object is alive, gssapi then krb5, or support alone, which
// takes the modules above it along, and then calls every exported method
// on each object: each fails with ErrFinalized.
func TestMethodsAfterTeardown(t *testing.T) {
	mode := os.Getenv(methodsChild)
	if mode == "" {
		if !testrealm.RequirePrograms(t) {
			return
		}
		for _, mode := range []string{"gssapi-krb5", "support"} {
			t.Run(mode, func(t *testing.T) {
				cmd := exec.Command(os.Args[0], "-test.run=^TestMethodsAfterTeardown$",
					"-test.count=1", "-test.v")
				cmd.Env = append(os.Environ(), methodsChild+"="+mode)
				out, err := cmd.CombinedOutput()
				require.NoError(t, err, "%s", out)
				assert.Contains(t, string(out), "every method refused")
			})
		}
		return
	}
	r := testRealm(t)
	lo := makeLiveObjects(t, r)
	if mode == "support" {
		require.NoError(t, support.Close())
	} else {
		require.NoError(t, gssapi.Close())
		require.NoError(t, krb5.Close())
	}
	for _, obj := range lo.objects {
		callEveryMethod(t, obj, lo, krb5.ErrFinalized)
	}
	if !t.Failed() {
		t.Log("every method refused")
	}
}

// TestInitiatorCloseRacesFinish closes initiators while Finish checks
// the acceptor's answer on another goroutine: Finish either establishes
// the context or fails with ErrClosed, never reads wiped keys, and the
// race detector sees no unguarded access.
func TestInitiatorCloseRacesFinish(t *testing.T) {
	r := testRealm(t)
	c := client(t, r)
	cred := acceptor(t, r)
	established, refused := 0, 0
	for i := 0; i < 50; i++ {
		in, tok, err := gssapi.Initiate(ctxT(t), c, r.Service)
		require.NoError(t, err)
		acc, reply, err := cred.Accept(tok)
		require.NoError(t, err)
		require.NoError(t, acc.Close())
		done := make(chan error, 1)
		go func() {
			sc, err := in.Finish(reply)
			if err == nil {
				err = sc.Close()
			}
			done <- err
		}()
		closeErr := in.Close()
		err = <-done
		switch {
		case err == nil:
			established++
			assert.ErrorIs(t, in.Close(), gssapi.ErrClosed, "Finish ended it")
		default:
			require.ErrorIs(t, err, gssapi.ErrClosed)
			require.NoError(t, closeErr)
			refused++
		}
	}
	t.Logf("%d established, %d refused", established, refused)
}
