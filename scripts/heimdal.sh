#!/bin/sh
# heimdal.sh unpacks Heimdal 7.8's KDC, admin tool and client programs from
# Debian packages into a private prefix, so the tests can run a Heimdal KDC
# beside MIT krb5. Heimdal's packages conflict with MIT's when installed, so
# they are fetched with apt-get download and unpacked with dpkg-deb -x; the
# system's package database is never told about them. The prefix is
# /var/cache/safekrb5-heimdal for root and $XDG_CACHE_HOME/safekrb5-heimdal
# (default ~/.cache) for anyone else; SAFEKRB5_HEIMDAL_PREFIX overrides both.
# Running it again when the prefix is complete does nothing.
set -eu

if [ -n "${SAFEKRB5_HEIMDAL_PREFIX:-}" ]; then
	prefix=$SAFEKRB5_HEIMDAL_PREFIX
elif [ "$(id -u)" = 0 ]; then
	prefix=/var/cache/safekrb5-heimdal
else
	prefix=${XDG_CACHE_HOME:-$HOME/.cache}/safekrb5-heimdal
fi

packages="heimdal-kdc heimdal-clients libkdc2-heimdal libhdb9-heimdal
libkrb5-26-heimdal libasn1-8-heimdal libhcrypto5-heimdal libheimbase1-heimdal
libroken19-heimdal libwind0-heimdal libhx509-5-heimdal libheimntlm0-heimdal
libgssapi3-heimdal libkadm5srv8-heimdal libkadm5clnt7-heimdal libsl0-heimdal
libotp0-heimdal libkafs0-heimdal"

# The stamp names the package set; a changed list unpacks again.
stamp="$prefix/.complete"
want=$(echo $packages)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

echo "heimdal: unpacking Heimdal into $prefix" >&2
debs=$(mktemp -d)
trap 'rm -rf "$debs"' EXIT
chmod 755 "$debs"
if ! (cd "$debs" && apt-get download -q $packages >/dev/null); then
	# The package lists may be stale or missing on a fresh machine.
	sudo=""
	[ "$(id -u)" != 0 ] && sudo=sudo
	$sudo apt-get update -q >/dev/null
	(cd "$debs" && apt-get download -q $packages >/dev/null)
fi

rm -rf "$prefix.new"
mkdir -p "$prefix.new"
for deb in "$debs"/*.deb; do
	dpkg-deb -x "$deb" "$prefix.new"
done
echo "$want" >"$prefix.new/.complete"
rm -rf "$prefix"
mv "$prefix.new" "$prefix"
