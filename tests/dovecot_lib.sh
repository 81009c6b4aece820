# dovecot_lib.sh - an unprivileged Dovecot for the mail-hosting tests
# (sourced after tests/mta_lib.sh, whose $T, $RUN_USER, AS, free_port,
# fail and PIDS it uses).
#
# dovecot_start USER:PASSWORD...  Debian's dovecot from a configuration
# written here, as $RUN_USER, with:
#   passwd-file users ($T/dovecot/users; home $T/dovecot/home/DOMAIN/USER,
#     mail in ~/Maildir), plaintext PLAIN and LOGIN
#   auth for an MTA:   unix $DOVECOT_AUTH_SOCKET, inet 127.0.0.1:$DOVECOT_AUTH_PORT
#   LMTP:              unix $DOVECOT_LMTP_SOCKET, inet 127.0.0.1:$DOVECOT_LMTP_PORT
#   IMAP:              127.0.0.1:$DOVECOT_IMAP_PORT (no TLS)
# Users are full addresses (alice@example.test:secret). $dovecot_lda is
# dovecot-lda with this configuration's -c argument, for pipe tests.
#
# dovecot_start_conf CONF  Dovecot from an admin's dovecot.conf (paths
# already moved under $T), made an unprivileged instance the same way.
#
# Both run every Dovecot process as $RUN_USER (the rootless layout of
# Dovecot's docs): the rootless settings are appended to the file (a later
# setting wins in dovecot.conf), listener owners are dropped (nobody can
# chown), IMAP moves to 127.0.0.1:$DOVECOT_IMAP_PORT, and they wait for
# every unix_listener the file names. They set the EXIT trap to
# dovecot_stop, stop_pids, cleanup_instance (set your own after it if the
# test needs more).
set -u

DOVECOT_BIN=${DOVECOT_BIN:-/usr/sbin/dovecot}
DOVECOT_PID=
DOVECOT_CONF=

dovecot_stop() {
    [ -n "$DOVECOT_CONF" ] && [ -f "$DOVECOT_CONF" ] &&
        "${AS[@]}" "$DOVECOT_BIN" -c "$DOVECOT_CONF" stop >/dev/null 2>&1
    if [ -n "$DOVECOT_PID" ]; then
        local i
        for i in $(seq 50); do
            kill -0 "$DOVECOT_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$DOVECOT_PID" 2>/dev/null
    fi
    DOVECOT_PID=
}

dovecot_need() {
    [ -x "$DOVECOT_BIN" ] && [ -x /usr/lib/dovecot/lmtp ] &&
        [ -x /usr/lib/dovecot/imap ] || {
        echo "skip: dovecot-core, dovecot-lmtpd and dovecot-imapd are needed"
        exit 77
    }
}

dovecot_start() {
    dovecot_need
    DOVECOT_DIR=$T/dovecot
    mkdir -p "$DOVECOT_DIR/home"
    DOVECOT_AUTH_SOCKET=$DOVECOT_DIR/auth
    DOVECOT_LMTP_SOCKET=$DOVECOT_DIR/lmtp
    DOVECOT_AUTH_PORT=$(free_port)
    DOVECOT_LMTP_PORT=$(free_port)
    local uid gid u
    uid=$(id -u "$RUN_USER")
    gid=$(id -g "$RUN_USER")
    : > "$DOVECOT_DIR/users"
    for u in "$@"; do
        local user=${u%%:*} pass=${u#*:}
        local dom=${user#*@} local_part=${user%@*}
        echo "$user:{PLAIN}$pass:$uid:$gid::$DOVECOT_DIR/home/$dom/$local_part::" \
            >> "$DOVECOT_DIR/users"
    done
    cat > "$DOVECOT_DIR/dovecot.conf" <<DC
# a test instance (tests/dovecot_lib.sh)
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
postmaster_address = postmaster@example.test
hostname = imap.example.test
passdb {
  driver = passwd-file
  args = username_format=%u $DOVECOT_DIR/users
}
userdb {
  driver = passwd-file
  args = username_format=%u $DOVECOT_DIR/users
}
service auth {
  unix_listener $DOVECOT_AUTH_SOCKET {
    mode = 0666
  }
  inet_listener {
    address = 127.0.0.1
    port = $DOVECOT_AUTH_PORT
  }
}
service lmtp {
  unix_listener $DOVECOT_LMTP_SOCKET {
    mode = 0666
  }
  inet_listener lmtp {
    address = 127.0.0.1
    port = $DOVECOT_LMTP_PORT
  }
}
protocol lmtp {
  # deliver to user@domain as the passwd-file names it
  auth_username_format = %Lu
}
DC
    dovecot_start_conf "$DOVECOT_DIR/dovecot.conf"
    dovecot_lda="/usr/lib/dovecot/dovecot-lda -c $DOVECOT_DIR/dovecot.conf"
}

dovecot_start_conf() {
    local conf=$1 group
    dovecot_need
    DOVECOT_DIR=$T/dovecot
    mkdir -p "$DOVECOT_DIR/run"
    DOVECOT_IMAP_PORT=$(free_port)
    group=$(id -gn "$RUN_USER")
    sed -i -e '/^[[:space:]]*user = /d' -e '/^[[:space:]]*group = /d' \
        -e 's/^listen = .*/listen = 127.0.0.1/' "$conf"
    cat >> "$conf" <<DC

# --- appended by tests/dovecot_lib.sh: an unprivileged test instance ---
base_dir = $DOVECOT_DIR/run
state_dir = $DOVECOT_DIR/state
instance_name = postern-test-$$
log_path = $DOVECOT_DIR/dovecot.log
info_log_path = $DOVECOT_DIR/dovecot.log
default_internal_user = $RUN_USER
default_internal_group = $group
default_login_user = $RUN_USER
first_valid_uid = 1
first_valid_gid = 1
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service pop3-login {
  chroot =
}
service submission-login {
  chroot =
}
DC
    if [ "$(id -u)" = 0 ]; then chown -R "$RUN_USER" "$DOVECOT_DIR" "$conf"; fi
    DOVECOT_CONF=$conf
    trap 'dovecot_stop; stop_pids; cleanup_instance' EXIT
    "${AS[@]}" "$DOVECOT_BIN" -F -c "$conf" >> "$DOVECOT_DIR/dovecot.stderr" 2>&1 &
    DOVECOT_PID=$!
    PIDS+=("$DOVECOT_PID")
    local i s ok
    for i in $(seq 100); do
        ok=1
        for s in $(sed -n 's/^[[:space:]]*unix_listener \(\/[^ ]*\) {/\1/p' "$conf"); do
            [ -S "$s" ] || ok=
        done
        $PY -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 1).close()" \
            "$DOVECOT_IMAP_PORT" 2>/dev/null || ok=
        [ -n "$ok" ] && break
        kill -0 "$DOVECOT_PID" 2>/dev/null || {
            cat "$DOVECOT_DIR/dovecot.stderr" "$DOVECOT_DIR/dovecot.log" >&2 2>/dev/null
            fail "dovecot did not start"
        }
        sleep 0.1
    done
    [ -n "$ok" ] || fail "dovecot: its listeners did not appear"
}
