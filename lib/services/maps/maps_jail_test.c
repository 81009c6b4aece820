/*
 * maps_jail_test - unit tests of unix: tables and of maps_pre_jail's
 * refusal of tables that cannot work inside a chroot jail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "maps/maps.h"

static void
test_unix(void **state)
{
    struct maps *m = maps_new("local_recipient_maps",
                              "unix:passwd.byname, proxy:unix:group.byname", 0);
    const char *v;

    (void) state;
    assert_int_equal(maps_preload(m), 0);
    assert_int_equal(maps_find(m, "root", &v), MAPS_FOUND);
    assert_true(strncmp(v, "root:", 5) == 0);
    assert_non_null(strstr(v, ":0:0:"));                    /* uid 0, gid 0 */
    assert_int_equal(maps_find(m, "ROOT", &v), MAPS_FOUND); /* folded */
    assert_int_equal(maps_find(m, "no-such-user-xq7", &v), MAPS_NOTFOUND);
    maps_free(m);

    m = maps_new("t", "proxy:unix:group.byname", 0);
    assert_int_equal(maps_find(m, "root", &v), MAPS_FOUND);
    assert_true(strncmp(v, "root:", 5) == 0);
    assert_non_null(strstr(v, ":0:"));
    maps_free(m);

    m = maps_new("t", "unix:shadow.byname", 0);
    assert_int_equal(maps_preload(m), -1);
    assert_non_null(strstr(maps_error(m), "unsupported table unix:shadow"));
    maps_free(m);
}

static void
test_pre_jail_refuses_unix(void **state)
{
    struct maps *ok = maps_new("alias_maps", "inline:{a=b}", MAPS_F_ALIAS);
    struct maps *bad =
        maps_new("local_recipient_maps", "unix:passwd.byname", 0);
    char err[1024];

    (void) state;
    assert_int_equal(maps_pre_jail(err, sizeof(err)), -1);
    assert_non_null(strstr(err, "local_recipient_maps: table "
                                "unix:passwd.byname cannot be searched "
                                "inside the chroot jail"));
    assert_non_null(strstr(err, "use proxy:unix:passwd.byname"));
    maps_free(bad);
    /* without it, nothing stands in the way (no proxy: table here) */
    assert_int_equal(maps_pre_jail(err, sizeof(err)), 0);
    maps_free(ok);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_pre_jail_refuses_unix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
