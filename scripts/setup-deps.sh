#!/bin/sh
# setup-deps.sh - install the Debian 12 packages Postern needs to build and test.
# Idempotent; run as root. Used by the README quick start and by .ci/run.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential cmake pkg-config clang libclang-rt-14-dev
 libyaml-dev libjansson-dev libldns-dev libedit-dev libssl-dev libcmocka-dev libisal-dev
 python3 python3-jsonschema unbound ldnsutils iproute2 util-linux diffutils strace git bc postfix
 tmux bash-completion zsh fish swaks pflogsumm mutt openssl passwd"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    # Debian's postfix is only an oracle for tests: preset "No configuration"
    # so the package configures and starts nothing.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
fi
