#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine (run as root): installs what the tests
# need (only when missing), builds the workspace, runs every test. The real servers and
# peers the tests talk to (Python, socat, …) are started by the tests themselves, on
# loopback, each in its own process group with its state in a temp dir, and stopped by PID.
set -euo pipefail
cd "$(dirname "$0")"

apt_packages=(socat hyperfine nginx libnginx-mod-http-echo curl chromium wrk bind9 bind9-dnsutils
    postfix dovecot-core dovecot-lmtpd dovecot-imapd dovecot-pop3d pure-ftpd)
missing=()
for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "test.sh: installing ${missing[*]}"
    # Package scripts must not start system daemons (nginx, named, postfix, dovecot, pure-ftpd
    # and the openbsd-inetd it pulls in).
    created_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
    fi
    # Postfix asks for a mailer type on install; "No configuration" writes no system main.cf
    # (the tests run their own Postfix from a temp dir).
    if [[ " ${missing[*]} " == *" postfix "* ]]; then
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi

python3 -c 'import netaddr' 2>/dev/null || python3 -m pip install -q netaddr 2>/dev/null \
    || python3 -m pip install -q --break-system-packages netaddr
python3 -c 'import requests' 2>/dev/null || python3 -m pip install -q requests 2>/dev/null \
    || python3 -m pip install -q --break-system-packages requests
# The addr oracle tests must not skip here.
export NETSCRIPT_REQUIRE_ORACLE=1

cargo build --workspace --quiet
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --no-fail-fast --status-level fail --final-status-level slow
else
    cargo test --workspace --no-fail-fast
fi
# The pop3 plugin lives outside the workspace (it is built as a third party builds a
# plugin; tests/pop3.rs loads it): its own unit tests, with the host's lock file.
cp Cargo.lock plugins/pop3/Cargo.lock
CARGO_TARGET_DIR="$PWD/target/debug/outside-plugins/target" cargo test --offline --quiet --manifest-path plugins/pop3/Cargo.toml
