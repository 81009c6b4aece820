/*
 * util_test - unit tests of lib/base/util: the hash table (htab.c) and
 *	string vectors (strv.c).
 *
 * DESCRIPTION
 *	Table-driven cases of insert, delete and walk with the order each
 *	must leave; a long pseudo-random run against a plain array that
 *	exercises growth, probe clusters and the backward shift of
 *	deletion; deleting while walking, as qmgr does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* After the headers it needs (stdarg, stddef, stdint, setjmp). */
#include <cmocka.h>

#include "util/util.h"

/* walk - the keys in walk order, space-separated */
static void
walk(const struct htab *h, char *out, size_t len)
{
    size_t n = 0;

    out[0] = 0;
    for (size_t i = 0; i < htab_count(h) && n < len; i++)
        n += (size_t) snprintf(out + n, len - n, "%s%s", i ? " " : "",
                               htab_key(h, i));
}

/*
 * Each case runs ops, one per word: "+k" inserts k (its value is k's
 * own key text), "-k" deletes k and must return its value, "~k" deletes
 * a key that is not there and must return NULL. want is the walk order
 * afterwards.
 */
static const struct {
    const char *name;
    const char *ops;
    const char *want;
} cases[] = {
    {"insertion order", "+a +b +c", "a b c"},
    {"delete the last", "+a +b +c -c", "a b"},
    {"delete the first: the last takes its place", "+a +b +c -a", "c b"},
    {"delete the middle", "+a +b +c +d -b", "a d c"},
    {"delete all", "+a +b -a -b", ""},
    {"absent key", "+a ~b ~a2", "a"},
    {"deleted key is absent", "+a +b -a ~a", "b"},
    {"insert again after delete", "+a +b -a +a", "b a"},
    {"replace keeps the place", "+a +b +a", "a b"},
};

static void
test_cases(void **state)
{
    (void) state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        struct htab *h = htab_new(0);
        char ops[256], got[256], *save = NULL;

        snprintf(ops, sizeof(ops), "%s", cases[c].ops);
        for (char *w = strtok_r(ops, " ", &save); w;
             w = strtok_r(NULL, " ", &save)) {
            const char *k = w + 1;
            void *v;

            switch (w[0]) {
            case '+':
                (void) htab_set(h, k, mem_strdup(k));
                break;
            case '-':
                v = htab_delete(h, k);
                if (v == NULL || strcmp(v, k) != 0)
                    fail_msg("%s: delete %s returned %s", cases[c].name, k,
                             v ? (char *) v : "NULL");
                mem_free(v);
                break;
            case '~':
                if (htab_delete(h, k) != NULL)
                    fail_msg("%s: deleted absent %s", cases[c].name, k);
                break;
            }
        }
        walk(h, got, sizeof(got));
        if (strcmp(got, cases[c].want) != 0)
            fail_msg("%s: walk \"%s\", want \"%s\"", cases[c].name, got,
                     cases[c].want);
        htab_free(h, mem_free);
    }
}

/* xorshift - a fixed pseudo-random sequence */
static uint32_t
xorshift(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

#define NKEYS 3000

/* every key of the model in h with its value, and nothing else */
static void
check_model(const struct htab *h, const int *in, size_t n_in)
{
    char key[16];
    size_t seen = 0;

    for (int k = 0; k < NKEYS; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        if (in[k]) {
            const int *v = htab_find(h, key);

            if (v == NULL || *v != k)
                fail_msg("k%d lost", k);
            seen++;
        } else if (htab_has(h, key)) {
            fail_msg("k%d still there", k);
        }
    }
    assert_int_equal(seen, n_in);
    assert_int_equal(htab_count(h), n_in);
    for (size_t i = 0; i < htab_count(h); i++) {
        const int *v = htab_value(h, i);

        snprintf(key, sizeof(key), "k%d", *v);
        assert_string_equal(htab_key(h, i), key);
    }
}

/* a long mix of inserts and deletes, checked against an array */
static void
test_random(void **state)
{
    static int vals[NKEYS], in[NKEYS];
    struct htab *h = htab_new(0);
    uint32_t seed = 2463534242u;
    size_t n_in = 0;
    char key[16];

    (void) state;
    for (int k = 0; k < NKEYS; k++)
        vals[k] = k;
    for (int round = 0; round < 40000; round++) {
        int k = (int) (xorshift(&seed) % NKEYS);

        snprintf(key, sizeof(key), "k%d", k);
        /* insert more than delete at first, then the other way */
        if (xorshift(&seed) % 100 < (round < 20000 ? 70u : 30u)) {
            if (!in[k])
                n_in++;
            in[k] = 1;
            (void) htab_set(h, key, &vals[k]);
        } else {
            void *v = htab_delete(h, key);

            assert_ptr_equal(v, in[k] ? &vals[k] : NULL);
            if (in[k])
                n_in--;
            in[k] = 0;
        }
        if (round % 5000 == 0)
            check_model(h, in, n_in);
    }
    check_model(h, in, n_in);
    htab_free(h, NULL);
}

/* delete every other entry during one walk, as qmgr's "delete ALL" */
static void
test_delete_while_walking(void **state)
{
    static int vals[NKEYS];
    struct htab *h = htab_new(0);
    char key[16];
    size_t visited = 0;

    (void) state;
    for (int k = 0; k < NKEYS; k++) {
        vals[k] = k;
        snprintf(key, sizeof(key), "k%d", k);
        (void) htab_set(h, key, &vals[k]);
    }
    for (size_t i = 0; i < htab_count(h);) {
        const int *v = htab_value(h, i);

        visited++;
        if (*v % 2 == 0) {
            snprintf(key, sizeof(key), "k%d", *v);
            assert_ptr_equal(htab_delete(h, key), v);
        } else {
            i++;
        }
    }
    assert_int_equal(visited, NKEYS);
    assert_int_equal(htab_count(h), NKEYS / 2);
    for (int k = 0; k < NKEYS; k++) {
        snprintf(key, sizeof(key), "k%d", k);
        assert_int_equal(htab_has(h, key), k % 2);
    }
    htab_free(h, NULL);
}

/* strv_uniq - sorted, each string once, the repeats freed (ASan) */
static void
test_strv_uniq(void **state)
{
    static const struct {
        const char *in, *want;
    } tab[] = {
        {"", ""},
        {"a", "a"},
        {"b a b c a", "a b c"},
        {"x x x", "x"},
    };

    (void) state;
    for (size_t t = 0; t < sizeof(tab) / sizeof(tab[0]); t++) {
        struct strv sv;
        char in[64], got[64], *save = NULL;
        size_t n = 0;

        strv_init(&sv);
        snprintf(in, sizeof(in), "%s", tab[t].in);
        for (char *w = strtok_r(in, " ", &save); w;
             w = strtok_r(NULL, " ", &save))
            strv_add(&sv, w);
        strv_uniq(&sv);
        got[0] = 0;
        for (size_t i = 0; i < sv.n; i++)
            n += (size_t) snprintf(got + n, sizeof(got) - n, "%s%s",
                                   i ? " " : "", sv.v[i]);
        assert_string_equal(got, tab[t].want);
        assert_true(sv.n == 0 || sv.v[sv.n] == NULL);
        strv_fini(&sv);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cases),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_delete_while_walking),
        cmocka_unit_test(test_strv_uniq),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
