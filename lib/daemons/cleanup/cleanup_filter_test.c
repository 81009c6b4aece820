/*
 * cleanup_filter_test - receive_override_options parsing and the FILTER
 * action's core (cleanup_filter.c, issue 19).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "cleanup/cleanup.h"

static void
test_override_flags(void **state)
{
    (void) state;
    assert_int_equal(cleanup_override_flags(""), 0);
    assert_int_equal(cleanup_override_flags(NULL), 0);
    assert_int_equal(cleanup_override_flags("no_address_mappings"),
                     CLEANUP_FLAG_NO_ADDR_MAPS);
    /* FILTER_README's list: commas, blanks, any case */
    assert_int_equal(cleanup_override_flags("no_unknown_recipient_checks, "
                                            "No_Header_Body_Checks,no_milters "
                                            "no_address_mappings"),
                     CLEANUP_FLAG_NO_UNKNOWN_RCPT | CLEANUP_FLAG_NO_HDR_BODY |
                         CLEANUP_FLAG_NO_MILTERS | CLEANUP_FLAG_NO_ADDR_MAPS);
    /* an unknown word is ignored (with a warning), the rest kept */
    assert_int_equal(cleanup_override_flags("bogus, no_milters"),
                     CLEANUP_FLAG_NO_MILTERS);
    /* the flags stay clear of the QUEUE_F_* bits of the same word */
    assert_int_equal(cleanup_override_flags("no_unknown_recipient_checks "
                                            "no_address_mappings "
                                            "no_header_body_checks "
                                            "no_milters") &
                         (QUEUE_F_8BITMIME | QUEUE_F_SMTPUTF8 | QUEUE_F_LOCAL |
                          QUEUE_F_BOUNCE | QUEUE_F_FILTER),
                     0);
}

static void
test_filter_action(void **state)
{
    struct queue_env env;

    (void) state;
    queue_env_init(&env);
    assert_int_equal(
        cleanup_filter_action(&env, "header", "smtp:[127.0.0.1]:10026"), 0);
    assert_string_equal(env.filter, "smtp:[127.0.0.1]:10026");
    /* the last one wins */
    assert_int_equal(cleanup_filter_action(&env, "body", "amavis:"), 0);
    assert_string_equal(env.filter, "amavis:");
    /* no transport, or nothing: ignored, the recorded one kept */
    assert_int_equal(cleanup_filter_action(&env, "header", "localhost"), -1);
    assert_int_equal(cleanup_filter_action(&env, "header", ""), -1);
    assert_string_equal(env.filter, "amavis:");
    queue_env_fini(&env);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_override_flags),
        cmocka_unit_test(test_filter_action),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
