#!/bin/sh
# A first look at tlsscope with nothing set up: makes a throw-away CA, starts gnutls-serv on a
# free loopback port requiring a client certificate, and connects twice — without a
# certificate (refused, and tlsscope says why) and with one (accepted).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
exe="$root/build/tlsscope"
dir=$(mktemp -d)
server_pid=""
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
cd "$dir"
umask 077

certtool --generate-privkey --key-type ecdsa --outfile ca.key 2>/dev/null
printf 'cn = "tlsscope try CA"\nca\ncert_signing_key\nexpiration_days = 2\n' >ca.tmpl
certtool --generate-self-signed --load-privkey ca.key --template ca.tmpl --outfile ca.crt 2>/dev/null
for who in server client; do
	certtool --generate-privkey --key-type ecdsa --outfile $who.key 2>/dev/null
	if [ $who = server ]; then
		printf 'cn = "localhost"\ndns_name = "localhost"\nip_address = "127.0.0.1"\ntls_www_server\nsigning_key\nexpiration_days = 2\n' >$who.tmpl
	else
		printf 'cn = "try client"\ntls_www_client\nsigning_key\nexpiration_days = 2\n' >$who.tmpl
	fi
	certtool --generate-certificate --load-privkey $who.key --load-ca-certificate ca.crt \
		--load-ca-privkey ca.key --template $who.tmpl --outfile $who.crt 2>/dev/null
done

# A free port: let the kernel pick one, then hand it to gnutls-serv.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
gnutls-serv -p "$port" --x509certfile server.crt --x509keyfile server.key --x509cafile ca.crt \
	--require-client-cert --http >/dev/null 2>&1 &
server_pid=$!
i=0
until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),0.2)" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "try: gnutls-serv did not start" >&2; exit 1; }
	sleep 0.05
done

echo "== 1. Two-way TLS without a client certificate =="
echo "\$ tlsscope connect 127.0.0.1:$port --ca ca.crt"
"$exe" connect "127.0.0.1:$port" --ca ca.crt || true
echo
echo "== 2. The same server, now with the client certificate =="
echo "\$ tlsscope connect 127.0.0.1:$port --ca ca.crt --cert client.crt --key client.key"
"$exe" connect "127.0.0.1:$port" --ca ca.crt --cert client.crt --key client.key
