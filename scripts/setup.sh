#!/bin/sh
# Installs what tlsscope needs to build and test (Debian 12, as root), then builds it in build/.
# Safe to run again: packages already present are not fetched twice.
set -eu
cd "$(dirname "$0")/.."

PACKAGES="gcc libc6-dev pkg-config meson ninja-build
libgnutls28-dev libncurses-dev libjansson-dev libcmocka-dev
gnutls-bin openssl nginx-light curl tmux ca-certificates softhsm2 util-linux
python3 python3-flask python3-jsonschema python3-ecdsa groff-base"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "setup: missing packages:$missing (run as root, or install them)" >&2
		exit 1
	fi
	echo "setup: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null
echo "setup: built build/tlsscope"
