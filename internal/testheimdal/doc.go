// Package testheimdal runs a throwaway Heimdal 7.8 KDC on the loopback
// interface for integration tests, beside the MIT realm of testrealm.
//
// Heimdal's Debian packages conflict with MIT's, so they are not
// installed: scripts/heimdal.sh fetches them with apt-get download and
// unpacks them into a private prefix, and this package runs the programs
// from there with LD_LIBRARY_PATH pointing at the prefix's libraries.
// The prefix is SAFEKRB5_HEIMDAL_PREFIX when set, otherwise
// /var/cache/safekrb5-heimdal or $XDG_CACHE_HOME/safekrb5-heimdal (by
// default ~/.cache/safekrb5-heimdal), whichever holds a KDC.
//
// Start creates a temporary directory holding one configuration file
// whose every path (database, master key, ACL, logs) points into it,
// stashes a random master key, creates the realm with kadmin -l init,
// adds a user with a random password, a second user whose keys use a
// salt of the harness's choosing, and HTTP/localhost with a keytab, and
// runs Heimdal's kdc (and, on request, kpasswdd) on random free ports
// bound to 127.0.0.1. Stop ends every process it started by PID and
// removes the directory.
//
// Heimdal's kdc forks worker processes; they exit by themselves when the
// master process they were forked from ends, which is the one Stop
// signals.
package testheimdal
