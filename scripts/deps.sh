#!/bin/sh
# deps.sh installs the Debian packages that the tests and the demo run
# against: MIT's KDC, admin server, client tools and headers, a C compiler
# for the small programs that ask MIT's library directly, curl, and
# Apache with mod_auth_gssapi, and Samba as an Active Directory domain
# controller (it bundles its own Kerberos and leaves MIT's alone), and
# OpenLDAP's slapd, its client tools and MIT's LDAP database module for a
# realm whose principals live in a private slapd (the harness starts its
# own; the system slapd is never started). Packages
# already present are left alone, so the script is quick on a machine that
# has them. It needs root or sudo when something is missing. Heimdal cannot
# be installed beside MIT; scripts/heimdal.sh unpacks it into a private
# prefix instead.
set -eu

here=$(dirname "$0")

packages="krb5-kdc krb5-admin-server krb5-user krb5-gss-samples libkrb5-dev
gcc libc6-dev curl apache2 libapache2-mod-auth-gssapi
samba samba-ad-dc samba-ad-provision samba-dsdb-modules
slapd ldap-utils krb5-kdc-ldap"

missing=""
for p in $packages; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
if [ -z "$missing" ]; then
	exec "$here/heimdal.sh"
fi

echo "deps: installing$missing" >&2
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo=sudo
fi
# The packages' own post-install scripts would ask for a default realm and
# start system-wide daemons; the tests start their own on loopback instead.
# A policy-rc.d that answers 101 keeps Debian from starting the system KDC,
# kadmind, Apache and Samba's daemons at all while they install: they would
# listen beyond loopback. One that was already there is put back afterwards.
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then
	saved=$(mktemp)
	$sudo cp -p "$policy" "$saved"
fi
restore() {
	if [ -n "$saved" ]; then
		$sudo mv "$saved" "$policy"
	else
		$sudo rm -f "$policy"
	fi
}
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
$sudo chmod 755 "$policy"
$sudo apt-get update -q >/dev/null
$sudo apt-get install -q -y --no-install-recommends $missing >/dev/null
# Where a service manager ignored the policy, stop what it started anyway.
for svc in krb5-kdc krb5-admin-server apache2 samba-ad-dc smbd nmbd \
	winbind slapd; do
	$sudo service "$svc" stop >/dev/null 2>&1 || true
done
"$here/heimdal.sh"
