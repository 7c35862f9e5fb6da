#!/bin/sh
# Installs what tlsscope needs to build, run its demo and run its tests (Debian 12, as root),
# then builds it in build/. Safe to run again: packages already present are not fetched twice.
# Daemons that come with the test peers (nginx) are neither started nor left enabled: the
# tests start their own, in the foreground, on 127.0.0.1.
set -eu
cd "$(dirname "$0")/.."

# Building and the demo.
BUILD="gcc libc6-dev pkg-config meson ninja-build
libgnutls28-dev libncurses-dev libjansson-dev"
# The tests: cmocka, the peers they talk to (gnutls-serv, openssl, nginx, curl, Python's ssl
# and Flask), tmux for the TUI, SoftHSM for PKCS#11, procps and util-linux (unshare, prlimit),
# groff for the man page check.
TESTS="libcmocka-dev gnutls-bin openssl nginx-light curl tmux ca-certificates softhsm2
util-linux procps python3 python3-flask python3-jsonschema python3-ecdsa python3-cryptography
groff-base apache2 haproxy nodejs golang-go chromium libnss3-tools openjdk-17-jdk-headless
dovecot-imapd dovecot-pop3d dovecot-lmtpd postgresql
postfix
mariadb-server
slapd
vsftpd
dovecot-managesieved
prosody
tinyproxy
dante-server
microsocks"
# Services these packages would start and enable.
SERVICES="nginx apache2 haproxy dovecot postgresql
postfix
mariadb
slapd
vsftpd
prosody
tinyproxy
danted"

missing=""
for p in $BUILD $TESTS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root, or install them)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	# policy-rc.d (Debian's invoke-rc.d policy): 101 refuses every start during the install.
	policy=/usr/sbin/policy-rc.d
	made_policy=""
	if [ ! -e "$policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		made_policy=1
	fi
	status=0
	# shellcheck disable=SC2086
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
		status=$?
	[ -z "$made_policy" ] || rm -f "$policy"
	[ "$status" = 0 ] || { echo "setup: apt-get failed ($status)" >&2; exit 1; }
	# Not enabled either, for systemd or for SysV init, whichever the machine boots with.
	for s in $SERVICES; do
		case " $missing " in *" $s"*) ;; *) continue ;; esac
		if command -v systemctl >/dev/null 2>&1; then
			systemctl disable "$s" >/dev/null 2>&1 || true
		fi
		if [ -e "/etc/init.d/$s" ] && command -v update-rc.d >/dev/null 2>&1; then
			update-rc.d "$s" disable >/dev/null 2>&1 || true
		fi
	done
fi

# Debian 12's Node.js 18, which the client-agreement tests run from a private directory (the
# machine may carry another Node): its package files, fetched here, never installed. The tests
# use no network of their own.
node18=/var/cache/tlsscope/node18
if [ ! -e "$node18/complete" ] && [ "$(id -u)" = 0 ]; then
	mkdir -p "$node18"
	fetch() {
		(cd "$node18" && apt-get download -qq 'nodejs=18.*' 'libnode108=18.*' node-acorn \
			node-cjs-module-lexer node-undici >/dev/null 2>&1)
	}
	if fetch || { apt-get update -qq && fetch; }; then
		touch "$node18/complete"
	else
		echo "setup: could not fetch Debian's nodejs 18 packages (the Node agreement test will fail)" >&2
	fi
fi

[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
echo "setup: built build/tlsscope"
