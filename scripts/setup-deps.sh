#!/bin/sh
# setup-deps.sh - install the Debian 12 packages Postern needs to build and test.
# Idempotent; run as root. Used by the README quick start and by .ci/run.
set -eu
export DEBIAN_FRONTEND=noninteractive
PKGS="build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
 libyaml-dev libjansson-dev libldns-dev libedit-dev libssl-dev libcmocka-dev libisal-dev
 python3 python3-jsonschema unbound ldnsutils iproute2 util-linux diffutils strace git bc postfix
 tmux bash-completion zsh fish swaks pflogsumm mutt openssl passwd
 dovecot-core dovecot-imapd dovecot-lmtpd sasl2-bin libsasl2-dev libsasl2-modules
 fail2ban libnet-ssleay-perl
 opendkim opendkim-tools python3-dkim rspamd libpcre2-dev
 libdb5.3-dev liblmdb-dev libcdb-dev postfix-lmdb postfix-cdb postfix-pcre
 libpq-dev postgresql postfix-pgsql libmariadb-dev mariadb-server postfix-mysql
 libsqlite3-dev sqlite3 postfix-sqlite libldap2-dev slapd ldap-utils postfix-ldap
 memcached haproxy"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    # Debian's postfix is only an oracle for tests: preset "No configuration"
    # so the package configures and starts nothing.
    echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
    # Daemons (dovecot, saslauthd, fail2ban, opendkim, rspamd, postgresql,
    # mariadb, slapd, memcached) are installed for the tests,
    # which start their own unprivileged instances: keep the packages from
    # starting system instances (policy-rc.d 101 = action forbidden).
    rc_guard=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        rc_guard=1
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing
    [ -z "$rc_guard" ] || rm -f /usr/sbin/policy-rc.d
fi
