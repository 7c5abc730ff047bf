// Package testapache runs Debian's apache2 with mod_auth_gssapi as a real
// MIT GSS-API acceptor for integration tests.
//
// Start writes a private minimal configuration into a temporary directory
// and runs apache2 -D FOREGROUND on a random free port on 127.0.0.1. Every
// path answers with a CGI script, and / is protected with AuthType GSSAPI,
// the realm's HTTP/localhost keytab, krb5 as the only allowed mechanism
// and Require valid-user. A request that authenticates gets status 200,
// the authenticated principal as the body and in the X-Remote-User header;
// one that does not gets 401 with WWW-Authenticate: Negotiate.
//
// Apache refuses to run its workers as root. When the harness runs as
// root, the workers run as www-data (or nobody), and the keytab, the
// client configuration and a replay cache directory are copied or created
// in the server's own directory, owned by that user.
//
// The programs come from the Debian packages apache2 and
// libapache2-mod-auth-gssapi.
//
// BUG(safekrb5): apache2 is started with a parent-death signal, but its
// worker processes are not; if the test binary is killed, the workers
// notice their parent is gone and exit on their own, which may take a
// moment.
package testapache
