/*
 * schema_test - unit tests for the generated parameter schema.
 *
 * DESCRIPTION
 *	Checks the tables generated from schemas/ against Postfix 3.7.11's
 *	own "postconf -d" output kept in testdata/schema/: every built-in
 *	with its exact default, and (with Debian's master.cf) every
 *	service-family parameter. Also spot-checks types, flags, units and
 *	the look-up functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

/* clang-format off: cmocka.h needs the headers above first */
#include <cmocka.h>
/* clang-format on */

#include "util/util.h"

#ifndef SCHEMA_TESTDATA
#define SCHEMA_TESTDATA "testdata/schema"
#endif

#define POSTFIX_BUILTINS 831 /* lines of postconf -d, empty master.cf */
#define POSTFIX_FAMILIES 17  /* suffixes in postconf_service.c (3.7) */

/* read_testdata - whole file from testdata/schema; fails the test if absent */
static char *
read_testdata(const char *name)
{
    struct buf path;
    char *text = NULL;
    size_t len;

    buf_init(&path, 0);
    (void) buf_printf(&path, "%s/%s", SCHEMA_TESTDATA, name);
    if (util_read_file(buf_str(&path), 1u << 22, &text, &len) < 0)
        fail_msg("cannot read %s", buf_str(&path));
    buf_fini(&path);
    return text;
}

/* put_param - "name = default" as postconf -d prints it */
static void
put_param(struct buf *out, const char *name, const char *value)
{
    if (*value)
        (void) buf_printf(out, "%s = %s\n", name, value);
    else
        (void) buf_printf(out, "%s =\n", name);
}

/* compare_text - equal, or fail naming the first differing line */
static void
compare_text(const char *want, const char *got, const char *what)
{
    unsigned line = 1;
    const char *w = want;
    const char *g = got;

    while (*w && *g) {
        size_t wl = strcspn(w, "\n");
        size_t gl = strcspn(g, "\n");

        if (wl != gl || memcmp(w, g, wl) != 0)
            fail_msg("%s line %u:\nwant: %.*s\ngot:  %.*s", what, line,
                     (int) wl, w, (int) gl, g);
        w += wl + (w[wl] == '\n');
        g += gl + (g[gl] == '\n');
        line++;
    }
    if (*w || *g)
        fail_msg("%s: %s ends early at line %u", what, *w ? "ours" : "oracle",
                 line);
}

static void
test_counts(void **state)
{
    (void) state;
    assert_int_equal(schema_param_count(), POSTFIX_BUILTINS);
    assert_int_equal(schema_family_count(), POSTFIX_FAMILIES);
    assert_null(schema_param_at(POSTFIX_BUILTINS));
    assert_null(schema_family_at(POSTFIX_FAMILIES));
}

static void
test_find_every_name(void **state)
{
    static const char *const absent[] = {
        "",
        "0",
        "zzzz",
        "2bounce_notice_recipien",
        "virtual_maps",
        "fallback_relay",
        "smtp_tls_cipherlist",
        "myhostname_",
        "~",
    };

    (void) state;
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *p = schema_param_at(i);

        assert_non_null(p);
        assert_ptr_equal(schema_param_find(p->name), p);
        if (i > 0)
            assert_true(strcmp(schema_param_at(i - 1)->name, p->name) < 0);
    }
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        assert_null(schema_param_find(absent[i]));
}

/* The oracle: every built-in, byte for byte. */
static void
test_defaults_match_postconf(void **state)
{
    struct buf out;
    char *want = read_testdata("d-empty-master.out");

    (void) state;
    buf_init(&out, 0);
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *p = schema_param_at(i);

        put_param(&out, p->name, p->defval);
    }
    compare_text(want, buf_str(&out), "postconf -d (empty master.cf)");
    buf_fini(&out);
    mem_free(want);
}

static void
test_types(void **state)
{
    static const struct {
        const char *name;
        enum schema_type type;
        unsigned flags; /* these must be set */
        char unit;
    } cases[] = {
        {"message_size_limit", SCHEMA_LONG, 0, 0},
        {"mailbox_size_limit", SCHEMA_LONG, 0, 0},
        {"smtpd_tls_auth_only", SCHEMA_BOOL, 0, 0},
        {"smtputf8_enable", SCHEMA_BOOL, 0, 0},
        {"maximal_queue_lifetime", SCHEMA_TIME, 0, 'd'},
        {"smtpd_timeout", SCHEMA_TIME, 0, 's'},
        {"address_verify_cache_cleanup_interval", SCHEMA_TIME, 0, 'h'},
        {"inet_protocols", SCHEMA_ENUM, SCHEMA_F_MULTI, 0},
        {"smtp_tls_security_level", SCHEMA_ENUM, 0, 0},
        {"smtpd_recipient_restrictions", SCHEMA_RESTRICTIONS, 0, 0},
        {"smtpd_relay_restrictions", SCHEMA_RESTRICTIONS, 0, 0},
        {"alias_maps", SCHEMA_MAPS, 0, 0},
        {"virtual_alias_maps", SCHEMA_MAPS, 0, 0},
        {"header_checks", SCHEMA_MAPS, 0, 0},
        {"mydestination", SCHEMA_LIST, 0, 0},
        {"default_rbl_reply", SCHEMA_STRING, SCHEMA_F_RAW, 0},
        {"smtpd_junk_command_limit", SCHEMA_INT, 0, 0},
        {"myhostname", SCHEMA_STRING, SCHEMA_F_DYNAMIC, 0},
        {"mynetworks", SCHEMA_LIST, SCHEMA_F_DYNAMIC, 0},
        {"process_id", SCHEMA_INT, SCHEMA_F_DYNAMIC | SCHEMA_F_READONLY, 0},
        {"mail_version", SCHEMA_STRING, 0, 0},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct schema_param *p = schema_param_find(cases[i].name);

        if (p == NULL)
            fail_msg("%s: not found", cases[i].name);
        if (p->type != cases[i].type)
            fail_msg("%s: type %s, want %s", p->name, schema_type_name(p->type),
                     schema_type_name(cases[i].type));
        if ((p->flags & cases[i].flags) != cases[i].flags)
            fail_msg("%s: flags %#x lack %#x", p->name, p->flags,
                     cases[i].flags);
        if (cases[i].unit && p->time_unit != cases[i].unit)
            fail_msg("%s: unit %c, want %c", p->name, p->time_unit,
                     cases[i].unit);
    }
    assert_string_equal(schema_type_name(SCHEMA_RESTRICTIONS), "restrictions");
    assert_string_equal(schema_type_name(SCHEMA_BOOL), "bool");
}

/* The raw set must be exactly postconf's CONFIG_RAW_TABLE parameters. */
static void
test_raw_set(void **state)
{
    static const char *const raw[] = {
        "command_execution_directory",
        "default_rbl_reply",
        "forward_path",
        "luser_relay",
        "mailbox_command",
        "postscreen_expansion_filter",
        "postscreen_reject_footer",
        "smtpd_expansion_filter",
        "smtpd_reject_footer",
    };
    size_t n = 0;

    (void) state;
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *p = schema_param_at(i);

        if (!(p->flags & SCHEMA_F_RAW))
            continue;
        if (n >= sizeof(raw) / sizeof(raw[0]) || strcmp(raw[n], p->name) != 0)
            fail_msg("unexpected raw parameter %s", p->name);
        n++;
    }
    assert_int_equal(n, sizeof(raw) / sizeof(raw[0]));
}

/* Per-type invariants that the generator also enforces. */
static void
test_invariants(void **state)
{
    (void) state;
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *p = schema_param_at(i);

        if (p->type == SCHEMA_ENUM) {
            assert_non_null(p->enum_values);
            assert_non_null(p->enum_values[0]);
        } else {
            assert_null(p->enum_values);
        }
        if (p->type == SCHEMA_TIME)
            assert_non_null(strchr("smhdw", p->time_unit));
        else
            assert_int_equal(p->time_unit, 0);
        if (p->flags & SCHEMA_F_MULTI)
            assert_int_equal(p->type, SCHEMA_ENUM);
        if (p->max != 0)
            assert_true(p->min <= p->max);
        if (p->replacement)
            assert_non_null(schema_param_find(p->replacement));
        if (p->desc == NULL || p->desc[0] == '\0')
            fail_msg("%s: no description", p->name);
    }
    assert_true(schema_enum_has(schema_param_find("inet_protocols"), "ipv6"));
    assert_false(schema_enum_has(schema_param_find("inet_protocols"), "ip"));
    assert_false(schema_enum_has(schema_param_find("myorigin"), "x"));
}

static void
test_deprecation(void **state)
{
    const struct schema_param *p;

    (void) state;
    p = schema_param_find("disable_dns_lookups");
    assert_non_null(p);
    assert_non_null(p->deprecated);
    assert_string_equal(p->replacement, "smtp_dns_support_level");
    p = schema_param_find("smtpd_tls_dh1024_param_file");
    assert_non_null(p);
    assert_non_null(p->deprecated);
    p = schema_param_find("smtpd_tls_security_level");
    assert_null(p->deprecated);
    assert_string_equal(p->since, "2.3");
}

static void
test_family_match(void **state)
{
    static const struct {
        const char *name;
        const char *suffix; /* NULL: no family */
        size_t service_len;
    } cases[] = {
        {"relay_destination_rate_delay", "_destination_rate_delay", 5},
        {"smtp-amavis_destination_recipient_limit",
         "_destination_recipient_limit", 11},
        {"x_recipient_limit", "_recipient_limit", 1},
        {"foo_extra_recipient_limit", "_extra_recipient_limit", 3},
        {"maildrop_time_limit", "_time_limit", 8},
        {"bsmtp_transport_rate_delay", "_transport_rate_delay", 5},
        {"_recipient_limit", NULL, 0},
        {"recipient_limit", NULL, 0},
        {"myhostname", NULL, 0},
    };

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = 0;
        const struct schema_family *f =
            schema_family_match(cases[i].name, &len);

        if (cases[i].suffix == NULL) {
            if (f != NULL)
                fail_msg("%s: matched %s", cases[i].name, f->suffix);
            continue;
        }
        if (f == NULL)
            fail_msg("%s: no family", cases[i].name);
        assert_string_equal(f->suffix, cases[i].suffix);
        assert_int_equal(len, cases[i].service_len);
    }
}

static void
test_family_types(void **state)
{
    (void) state;
    for (size_t i = 0; i < schema_family_count(); i++) {
        const struct schema_family *f = schema_family_at(i);
        const struct schema_param *p = schema_param_find(f->defparam);

        assert_non_null(p);
        assert_int_equal(schema_family_type(f), p->type);
        assert_non_null(schema_family_desc(f));
        assert_true(schema_family_applies(f, "pipe"));
        assert_false(schema_family_applies(f, "smtpd"));
        assert_int_equal(schema_family_applies(f, "spawn"),
                         strcmp(f->suffix, "_time_limit") == 0);
    }
}

/* has_daemon - 1 when by lists d */
static int
has_daemon(const char *const *by, const char *d)
{
    for (; by && *by; by++)
        if (strcmp(*by, d) == 0)
            return 1;
    return 0;
}

/* What Postern does with a parameter (schemas/postern.yaml). */
static void
test_postern(void **state)
{
    const struct schema_param *p;
    const struct schema_family *f;

    (void) state;
    p = schema_param_find("smtpd_banner");
    assert_non_null(p);
    assert_true(has_daemon(p->honoured_by, "smtpd"));
    assert_false(has_daemon(p->honoured_by, "smtp"));
    p = schema_param_find("smtpd_sasl_auth_enable");
    assert_true(has_daemon(p->honoured_by, "smtpd"));
    p = schema_param_find("relocated_maps");
    assert_null(p->honoured_by);
    assert_true(schema_unhonoured_is_error(p));
    assert_string_equal(p->refuse, "relocated users");
    p = schema_param_find("biff");
    assert_null(p->honoured_by);
    assert_false(schema_unhonoured_is_error(p));
    assert_string_equal(p->behaves, "no");
    /* honoured wins over a refuse pattern: transport_maps is read */
    p = schema_param_find("transport_maps");
    assert_true(has_daemon(p->honoured_by, "trivial-rewrite"));
    f = schema_family_match("relay_destination_rate_delay", NULL);
    assert_non_null(f);
    assert_true(has_daemon(schema_family_honoured_by(f), "qmgr"));
    f = schema_family_match("relay_delivery_slot_cost", NULL);
    assert_non_null(f);
    assert_null(schema_family_honoured_by(f));
}

static void
test_dbms(void **state)
{
    const char *const *sfx = schema_dbms_suffixes("ldap");
    int found = 0;

    (void) state;
    assert_non_null(sfx);
    for (; *sfx; sfx++)
        found |= strcmp(*sfx, "server_host") == 0;
    assert_true(found);
    assert_non_null(schema_dbms_suffixes("memcache"));
    assert_null(schema_dbms_suffixes("hash"));
    assert_null(schema_dbms_suffixes(""));
}

/* An entry of the "postconf -d" listing built from schema + master.cf. */
struct entry {
    char *name;
    const char *value;
    char *owned; /* value storage for "$param" defaults */
};

static int
entry_cmp(const void *a, const void *b)
{
    return strcmp(((const struct entry *) a)->name,
                  ((const struct entry *) b)->name);
}

/*
 * Built-ins plus the families of Debian's master.cf must give exactly the
 * names and defaults of "postconf -d" with that master.cf.
 */
static void
test_families_with_debian_master(void **state)
{
    char *master = read_testdata("master.cf");
    char *want = read_testdata("d.out");
    struct entry *v;
    size_t n = 0;
    size_t cap = schema_param_count() + 1024;
    struct htab *seen = htab_new(2048);
    struct buf out;

    (void) state;
    v = mem_calloc(cap, sizeof(*v));
    for (size_t i = 0; i < schema_param_count(); i++) {
        const struct schema_param *p = schema_param_at(i);

        v[n].name = mem_strdup(p->name);
        v[n].value = p->defval;
        htab_set(seen, p->name, NULL);
        n++;
    }

    /* master.cf entries: service in field 1, command in field 8. */
    char *lsave;

    for (char *line = strtok_r(master, "\n", &lsave); line;
         line = strtok_r(NULL, "\n", &lsave)) {
        char *fields[8];
        int nf = 0;
        char *save;

        if (line[0] == '#' || line[0] == ' ' || line[0] == '\t')
            continue;
        for (char *f = strtok_r(line, " \t", &save); f && nf < 8;
             f = strtok_r(NULL, " \t", &save))
            fields[nf++] = f;
        if (nf < 8)
            continue;
        for (size_t i = 0; i < schema_family_count(); i++) {
            const struct schema_family *f = schema_family_at(i);
            struct buf name;

            if (!schema_family_applies(f, fields[7]))
                continue;
            buf_init(&name, 0);
            (void) buf_printf(&name, "%s%s", fields[0], f->suffix);
            if (!htab_has(seen, buf_str(&name))) {
                assert_true(n < cap);
                htab_set(seen, buf_str(&name), NULL);
                v[n].owned = mem_alloc(strlen(f->defparam) + 2);
                v[n].owned[0] = '$';
                memcpy(v[n].owned + 1, f->defparam, strlen(f->defparam) + 1);
                v[n].value = v[n].owned;
                v[n].name = buf_steal(&name);
                n++;
            }
            buf_fini(&name);
        }
    }
    qsort(v, n, sizeof(*v), entry_cmp);
    buf_init(&out, 0);
    for (size_t i = 0; i < n; i++)
        put_param(&out, v[i].name, v[i].value);
    compare_text(want, buf_str(&out), "postconf -d (Debian master.cf)");
    assert_int_equal(n, 1043);

    buf_fini(&out);
    for (size_t i = 0; i < n; i++) {
        mem_free(v[i].name);
        mem_free(v[i].owned);
    }
    mem_free(v);
    htab_free(seen, NULL);
    mem_free(master);
    mem_free(want);
}

/*
 * The verdicts and fatal lines of Postfix 3.7.11's own daemons (qmgr,
 * cleanup, smtpd run stand-alone with the value in main.cf, their
 * syslog read back); "" where the daemon accepted the value. The shared
 * parser must give the same, and lint's check the same verdict.
 */
static const struct {
    const char *name, *value, *fatal;
    long n; /* the value read, when accepted */
} postfix_verdicts[] = {
    {"maximal_queue_lifetime", "5D",
     "parameter maximal_queue_lifetime: bad time value or unit: 5D", 0},
    {"maximal_queue_lifetime", "5d", "", 432000},
    {"maximal_queue_lifetime", "5", "", 432000},
    {"maximal_queue_lifetime", "5ss", "", 5},
    {"maximal_queue_lifetime", "5djunk", "", 432000},
    {"maximal_queue_lifetime", "+5", "", 432000},
    {"maximal_queue_lifetime", "1m", "", 60},
    {"maximal_queue_lifetime", "5 d",
     "parameter maximal_queue_lifetime: bad time value or unit: 5 d", 0},
    {"maximal_queue_lifetime", "5x",
     "parameter maximal_queue_lifetime: bad time value or unit: 5x", 0},
    {"maximal_queue_lifetime", "-1",
     "parameter maximal_queue_lifetime: bad time value or unit: -1", 0},
    {"maximal_queue_lifetime", "1000000w",
     "parameter maximal_queue_lifetime: bad time value or unit: 1000000w", 0},
    {"maximal_queue_lifetime", "2147483647",
     "parameter maximal_queue_lifetime: bad time value or unit: 2147483647", 0},
    {"maximal_queue_lifetime", "200d",
     "invalid maximal_queue_lifetime: 17280000 (max 8640000)", 0},
    {"smtpd_timeout", "0", "invalid smtpd_timeout: 0 (min 1)", 0},
    {"smtpd_timeout", "-5",
     "parameter smtpd_timeout: bad time value or unit: -5", 0},
    {"message_size_limit", "10MB",
     "bad numerical configuration: message_size_limit = 10MB", 0},
    {"message_size_limit", "1e3",
     "bad numerical configuration: message_size_limit = 1e3", 0},
    {"message_size_limit", "0x10",
     "bad numerical configuration: message_size_limit = 0x10", 0},
    {"message_size_limit", "",
     "bad numerical configuration: message_size_limit = ", 0},
    {"message_size_limit", "9999999999999999999999",
     "bad numerical configuration: message_size_limit = "
     "9999999999999999999999",
     0},
    {"message_size_limit", "99999999999", "", 99999999999L},
    {"message_size_limit", "-1", "", -1},
    {"message_size_limit", "+5", "", 5},
    {"smtpd_use_tls", "true", "bad boolean configuration: smtpd_use_tls = true",
     0},
    {"smtpd_use_tls", "1", "bad boolean configuration: smtpd_use_tls = 1", 0},
    {"smtpd_use_tls", "", "bad boolean configuration: smtpd_use_tls = ", 0},
    {"smtpd_use_tls", "Yes", "", 1},
    {"smtpd_recipient_limit", "0",
     "invalid smtpd_recipient_limit parameter value 0 < 1", 0},
    {"smtpd_recipient_limit", "-1",
     "invalid smtpd_recipient_limit parameter value -1 < 1", 0},
    {"smtpd_recipient_limit", "abc",
     "bad numerical configuration: smtpd_recipient_limit = abc", 0},
    {"smtpd_recipient_limit", "5x",
     "bad numerical configuration: smtpd_recipient_limit = 5x", 0},
    {"smtpd_recipient_limit", "99999999999",
     "bad numerical configuration: smtpd_recipient_limit = 99999999999", 0},
    {"smtpd_recipient_limit", "+3", "", 3},
};

static void
test_value_parse_as_postfix(void **state)
{
    (void) state;
    for (size_t i = 0;
         i < sizeof(postfix_verdicts) / sizeof(postfix_verdicts[0]); i++) {
        const struct schema_param *sp =
            schema_param_find(postfix_verdicts[i].name);
        struct buf why, lint;
        long n = -12345;
        int rc, lrc;

        assert_non_null(sp);
        buf_init(&why, 0);
        buf_init(&lint, 0);
        rc = schema_value_parse(sp, sp->name, postfix_verdicts[i].value, &n,
                                &why);
        lrc = schema_value_check(sp, postfix_verdicts[i].value, &lint);
        if (strcmp(buf_str(&why), postfix_verdicts[i].fatal) != 0)
            fail_msg("%s = [%s]: got \"%s\", Postfix \"%s\"",
                     postfix_verdicts[i].name, postfix_verdicts[i].value,
                     buf_str(&why), postfix_verdicts[i].fatal);
        assert_int_equal(rc, *postfix_verdicts[i].fatal ? -1 : 0);
        /* lint and the REPL judge as the daemons do */
        assert_int_equal(lrc, rc);
        assert_int_equal(*buf_str(&lint) != 0, rc < 0);
        if (rc == 0)
            assert_int_equal(n, postfix_verdicts[i].n);
        buf_fini(&why);
        buf_fini(&lint);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_find_every_name),
        cmocka_unit_test(test_defaults_match_postconf),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_raw_set),
        cmocka_unit_test(test_invariants),
        cmocka_unit_test(test_deprecation),
        cmocka_unit_test(test_family_match),
        cmocka_unit_test(test_family_types),
        cmocka_unit_test(test_dbms),
        cmocka_unit_test(test_postern),
        cmocka_unit_test(test_families_with_debian_master),
        cmocka_unit_test(test_value_parse_as_postfix),
    };

    return cmocka_run_group_tests_name("schema", tests, NULL, NULL);
}
