#!/bin/sh
# mkgolden.sh regenerates the golden ccache and keytab files in
# testdata/ccache and testdata/keytab with MIT Kerberos 1.20 tools
# (Debian krb5-kdc, krb5-admin-server, krb5-user). It builds a throwaway
# realm in a temporary directory, runs krb5kdc on a random 127.0.0.1
# port and stops it by PID. Run from the repository root:
#   sh testdata/ccache/mkgolden.sh
set -eu
root=$(pwd)
cc="$root/testdata/ccache"
kt="$root/testdata/keytab"
dir=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
realm=EXAMPLE.TEST

cat >"$dir/kdc.conf" <<EOC
[kdcdefaults]
 kdc_listen = 127.0.0.1:$port
 kdc_tcp_listen = 127.0.0.1:$port
[realms]
 $realm = {
  database_name = $dir/principal
  key_stash_file = $dir/stash
  acl_file = $dir/kadm5.acl
  kdc_listen = 127.0.0.1:$port
  kdc_tcp_listen = 127.0.0.1:$port
  supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal
 }
[logging]
 kdc = FILE:$dir/kdc.log
EOC
cat >"$dir/krb5.conf" <<EOC
[libdefaults]
 default_realm = $realm
 dns_lookup_kdc = false
 dns_lookup_realm = false
 rdns = false
 dns_canonicalize_hostname = false
 udp_preference_limit = 1
 forwardable = true
 renew_lifetime = 7d
[realms]
 $realm = {
  kdc = 127.0.0.1:$port
 }
[domain_realm]
 svc.example.test = $realm
EOC
cp "$dir/krb5.conf" "$dir/krb5-v3.conf"
sed -i 's/^ forwardable = true/ forwardable = true\n ccache_type = 3/' "$dir/krb5-v3.conf"
: >"$dir/kadm5.acl"

export KRB5_CONFIG="$dir/krb5.conf" KRB5_KDC_PROFILE="$dir/kdc.conf"
kdb5_util create -s -P masterpw -r $realm >/dev/null 2>&1
kadmin.local -q "addprinc -pw alicepw -maxrenewlife 7d alice" >/dev/null 2>&1
kadmin.local -q "addprinc -randkey -maxrenewlife 7d host/svc.example.test" >/dev/null 2>&1
kadmin.local -q "modprinc -maxrenewlife 7d krbtgt/$realm" >/dev/null 2>&1

krb5kdc -n -P "$dir/kdc.pid" >"$dir/kdc.out" 2>&1 &
kdcpid=$!
trap 'kill $kdcpid 2>/dev/null || true; rm -rf "$dir"' EXIT
for i in 1 2 3 4 5 6 7 8 9 10; do
  if python3 -c "import socket;socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; then break; fi
  sleep 0.3
done

# ccaches
rm -f "$cc"/*.ccache
echo alicepw | kinit -r 2d -c "FILE:$cc/v4-tgt.ccache" alice >/dev/null 2>&1
cp "$cc/v4-tgt.ccache" "$cc/v4-tgt-svc.ccache"
kvno -c "FILE:$cc/v4-tgt-svc.ccache" host/svc.example.test >/dev/null 2>&1
echo alicepw | KRB5_CONFIG="$dir/krb5-v3.conf" kinit -c "FILE:$cc/v3-tgt.ccache" alice >/dev/null 2>&1
KRB5_CONFIG="$dir/krb5-v3.conf" kvno -c "FILE:$cc/v3-tgt.ccache" host/svc.example.test >/dev/null 2>&1

# keytabs
rm -f "$kt"/*.keytab
kadmin.local -q "ktadd -k $kt/alice-norandkey.keytab -norandkey alice" >/dev/null 2>&1
kadmin.local -q "ktadd -k $kt/host.keytab -norandkey host/svc.example.test" >/dev/null 2>&1
# ktutil reads the password from the same stdin as its commands.
ktutil >/dev/null <<EOK
addent -password -p alice@$realm -k 300 -e aes256-cts-hmac-sha1-96
alicepw
addent -password -p alice@$realm -k 7 -e aes128-cts-hmac-sha1-96 -s SALTYREALMalice
alicepw
addent -password -p alice@$realm -k 7 -e aes256-cts-hmac-sha1-96 -s SALTYREALMalice
alicepw
wkt $kt/ktutil.keytab
EOK
# A keytab with a hole: two kvnos, then the old one removed in place.
kadmin.local -q "ktadd -k $kt/hole.keytab -norandkey host/svc.example.test" >/dev/null 2>&1
kadmin.local -q "ktadd -k $kt/hole.keytab host/svc.example.test" >/dev/null 2>&1
kadmin.local -q "ktremove -k $kt/hole.keytab host/svc.example.test old" >/dev/null 2>&1
# klist listings as reference output, in UTC with relative names.
cd "$cc"
for f in *.ccache; do TZ=UTC klist -e -f -c "FILE:$f" >"$f.klist"; done
cd "$kt"
for f in *.keytab; do TZ=UTC klist -k -t -e "FILE:$f" >"$f.klist"; done
