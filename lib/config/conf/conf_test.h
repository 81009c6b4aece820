/*
 * conf_test - what the test files of lib/config/conf share (conf_test*.c,
 *	one executable: conf_test, ctest conf_unit).
 */
#ifndef CONF_CONF_TEST_H
#define CONF_CONF_TEST_H

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"

/* clang-format off: cmocka.h needs the headers above first */
#include <cmocka.h>
/* clang-format on */

#include "util/util.h"

#ifndef CONF_TESTDATA
#define CONF_TESTDATA "testdata"
#endif

/* S - a string literal with its length, so that tables may hold NULs */
#define S(lit)   lit, sizeof(lit) - 1
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* escape - printable rendering of n bytes for failure messages; lives in out */
const char *escape(struct buf *out, const char *s, size_t n);
/*
 * check_model - round trip, coverage and per-entry invariants of the
 * model of data, and agreement with ref_readllines() (conf_test_ref.c).
 * ctx names the input in failure messages.
 */
void check_model(const char *data, size_t len, enum conf_kind kind,
                 const char *ctx);

/* round trip of the corpus, entry grouping, generated inputs
 * (conf_test_group.c) */
void test_corpus_round_trip(void **state);
void test_read_matches_parse(void **state);
void test_serialize_replaced_and_limit(void **state);
void test_grouping(void **state);
void test_entry_bytes(void **state);
void test_generated(void **state);

/* names and values, master.cf fields, positions, text primitives
 * (conf_test_fields.c) */
void test_name_value(void **state);
void test_split_nameval(void **state);
void test_master_fields(void **state);
void test_entry_pos(void **state);
void test_tok_next(void **state);
void test_tok_next_src(void **state);
void test_balpar(void **state);
void test_extpar(void **state);

/* safe edits and the configuration directory (conf_test_edit.c) */
void test_edit_planted(void **state);
void test_config_dir(void **state);

#endif
