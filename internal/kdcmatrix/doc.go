// Package kdcmatrix holds the integration suite that runs the same
// client and acceptor scenarios against the three KDCs users run: MIT
// Kerberos 1.20 (internal/testrealm), Heimdal 7.8 (internal/testheimdal)
// and a Samba 4.17 Active Directory domain controller
// (internal/testsamba).
//
// Each KDC starts once per test binary, the three in parallel, and every
// scenario runs against each as a subtest named KDC/scenario:
//
//	go test -race -run 'TestMatrix/Samba_AD' ./internal/kdcmatrix
//
// Where a KDC does something differently (it has no PAC, or refuses a
// name another canonicalizes), the scenario asserts what that KDC does,
// so a change in any of them fails the suite. A KDC whose programs are
// missing fails the suite naming the Debian packages, unless
// SAFEKRB5_SKIP_INTEGRATION=1.
//
// The package has no code of its own; it exists for its tests.
package kdcmatrix
