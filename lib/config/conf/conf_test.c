/*
 * conf_test - unit tests for the lossless main.cf/master.cf model: the
 *	table of tests. They are grouped by subject in conf_test_*.c.
 *
 * DESCRIPTION
 *	Byte-exact round trip (conf_file_parse + conf_file_serialize) of
 *	every configuration file under testdata/corpus/, as main.cf and as
 *	master.cf, plus CRLF, no-final-newline and NUL-byte variants.
 *
 *	Entry grouping is checked two ways: a table of hand-written cases
 *	(continuation lines, comment and blank lines inside and after a
 *	value, orphans, CRLF, NUL bytes), and a property test that compares
 *	the model of thousands of generated inputs with ref_readllines(), a
 *	line-by-line transcription of Postfix 3.7 readllines().
 *
 *	Then name/value splitting with positions and errors, master.cf
 *	fields with {...} grouping and positions across continuation lines,
 *	and the text primitives conf_split_nameval, conf_tok_next,
 *	conf_balpar and conf_extpar. Where behaviour was unclear the
 *	expectation was taken from Postfix 3.7.11 postconf on a crafted file
 *	(noted at the case).
 *
 *	Last, safe edits: what is planted at main.cf.tmp, main.cf.bak.tmp
 *	or FILE.tmp (symlink, hard link, FIFO, directory) is removed, never
 *	written through.
 */
#include "conf/conf_test.h"

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_read_matches_parse),
        cmocka_unit_test(test_serialize_replaced_and_limit),
        cmocka_unit_test(test_grouping),
        cmocka_unit_test(test_entry_bytes),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_name_value),
        cmocka_unit_test(test_split_nameval),
        cmocka_unit_test(test_master_fields),
        cmocka_unit_test(test_entry_pos),
        cmocka_unit_test(test_tok_next),
        cmocka_unit_test(test_tok_next_src),
        cmocka_unit_test(test_balpar),
        cmocka_unit_test(test_extpar),
        cmocka_unit_test(test_edit_planted),
        cmocka_unit_test(test_config_dir),
    };

    log_set_progname("conf_test");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
