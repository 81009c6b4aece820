# mta_unit - unit tests of the MTA modules; each program is built by its
# module's CMakeLists.txt (lib/<layer>/<module>/<module>_test.c).
postern_test(NAME mta_queue_unit LABELS unit TIMEOUT 30 COMMAND queue_test)
postern_test(NAME mta_maps_unit LABELS unit TIMEOUT 30 COMMAND maps_test)
postern_test(NAME mta_maps_jail_unit LABELS unit TIMEOUT 30
             COMMAND maps_jail_test)
postern_test(NAME mta_maillog_unit LABELS unit COMMAND maillog_test)
postern_test(NAME mta_co_unit LABELS unit COMMAND co_test)
postern_test(NAME util_unit LABELS unit TIMEOUT 30 COMMAND util_test)
postern_test(NAME mta_ipc_unit LABELS unit TIMEOUT 30 COMMAND ipc_test)
postern_test(NAME mta_server_tls_unit LABELS unit COMMAND server_tls_test)
postern_test(NAME mta_rewrite_unit LABELS unit TIMEOUT 30 COMMAND rewrite_test)
postern_test(NAME mta_bounce_unit LABELS unit TIMEOUT 30 COMMAND bounce_test)
postern_test(NAME mta_smtpd_check_unit LABELS unit COMMAND smtpd_check_test)
# the typed accessors: schema types, units, ranges, file:line fatals
postern_test(NAME server_typed_unit LABELS unit TIMEOUT 30
             COMMAND server_typed_test)
# the smtpd front's per-client limits (tests/security/dos_flood.sh)
postern_test(NAME security_dos_anvil_unit LABELS unit security TIMEOUT 30
             COMMAND server_anvil_test)
# virtual alias expansion (lib/daemons/cleanup/cleanup_virtual.c)
postern_test(NAME mta_cleanup_virtual_unit LABELS unit TIMEOUT 30
             COMMAND cleanup_virtual_test)
# receive_override_options and the FILTER action (cleanup_filter.c)
postern_test(NAME mta_cleanup_filter_unit LABELS unit TIMEOUT 30
             COMMAND cleanup_filter_test)
# header/body checks: actions and messages (lib/daemons/cleanup/cleanup_hdr.c)
postern_test(NAME mta_cleanup_hdr_unit LABELS unit TIMEOUT 30
             COMMAND cleanup_hdr_test)
