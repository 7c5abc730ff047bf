// Package testsamba runs a Samba 4.17 Active Directory domain controller's
// KDC on the loopback interface for integration tests, beside the MIT
// realm of testrealm and the Heimdal realm of testheimdal.
//
// Samba bundles its own Kerberos libraries and installs beside MIT's
// (Debian packages samba, samba-ad-dc, samba-ad-provision and
// samba-dsdb-modules, installed by scripts/deps.sh). Provisioning a domain
// takes several seconds, so it happens once per test binary: the first
// Start provisions the domain AD.TEST into a template directory with
// samba-tool (no DNS, every path inside the directory, password policy
// relaxed so password changes work), creates a user and two service
// accounts and exports their keytabs. Every Start then copies the
// template into a fresh temporary directory, rewrites the paths and ports
// in its smb.conf, and runs samba in the foreground with only its KDC and
// kpasswd services, on random free ports bound to 127.0.0.1. Stop ends
// the process by PID and removes the copy; RemoveTemplate, called from
// TestMain, removes the template.
//
// Samba's tools are Python programs; they run under the system's
// /usr/bin/python3 with PYTHONPATH, PYTHONHOME and VIRTUAL_ENV removed
// from their environment. Provisioning needs root.
//
// BUG(safekrb5): a test binary that dies without calling RemoveTemplate
// leaves its template behind, named safekrb5-samba-template-* under the
// temporary directory.
package testsamba
