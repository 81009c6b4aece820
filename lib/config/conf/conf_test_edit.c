/*
 * conf_test_edit - safe edits and the configuration directory.
 *
 * DESCRIPTION
 *	What is planted at main.cf.tmp, main.cf.bak.tmp or FILE.tmp (symlink,
 *	hard link, FIFO, directory) is removed, never written through; and
 *	conf_config_dir.
 */
#include "conf/conf_test.h"

/*
 * Safe edits: whatever is planted at main.cf.tmp (and main.cf.bak.tmp,
 * FILE.tmp for conf_write_file) is removed, never written through; the
 * victim it points to keeps its bytes. tests/security/edit_*.sh do the
 * same as root with a real unprivileged user.
 */
static char edir[64];

static char *
epath(const char *name)
{
    static char buf[4][256];
    static int i;

    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "%s/%s", edir, name);
    return buf[i];
}

static void
put(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void
assert_file(const char *path, const char *text)
{
    char *data = NULL;
    size_t len = 0;

    assert_int_equal(util_read_file(path, 1 << 20, &data, &len), 0);
    assert_string_equal(data, text);
    mem_free(data);
}

enum plant { P_SYMLINK, P_HARDLINK, P_FIFO, P_EMPTYDIR };

static void
plant(enum plant k, const char *name)
{
    switch (k) {
    case P_SYMLINK:
        assert_int_equal(symlink(epath("victim"), epath(name)), 0);
        break;
    case P_HARDLINK:
        assert_int_equal(link(epath("victim"), epath(name)), 0);
        break;
    case P_FIFO:
        assert_int_equal(mkfifo(epath(name), 0600), 0);
        break;
    case P_EMPTYDIR:
        assert_int_equal(mkdir(epath(name), 0700), 0);
        break;
    }
}

void
test_edit_planted(void **state)
{
    struct conf_edit ed;
    struct stat st;
    char *err = NULL;

    (void) state;
    memcpy(edir, "/tmp/conf_test.XXXXXX", sizeof("/tmp/conf_test.XXXXXX"));
    assert_non_null(mkdtemp(edir));
    log_set_quiet(1);
    for (int k = P_SYMLINK; k <= P_EMPTYDIR; k++) {
        put(epath("victim"), "secret\n");
        put(epath("main.cf"), "a = 1\n");
        plant((enum plant) k, "main.cf.tmp");
        plant((enum plant) k, "main.cf.bak.tmp");
        assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), 0);
        assert_int_equal(ed.len, 6);
        assert_int_equal(conf_edit_commit(&ed, "a = 2\n", 6, ".bak", &err), 0);
        assert_file(epath("main.cf"), "a = 2\n");
        assert_file(epath("main.cf.bak"), "a = 1\n");
        assert_file(epath("victim"), "secret\n");
        assert_int_equal(lstat(epath("victim"), &st), 0);
        assert_int_equal(st.st_nlink, 1);
        assert_int_equal(lstat(epath("main.cf.tmp"), &st), -1);
        assert_int_equal(lstat(epath("main.cf.bak.tmp"), &st), -1);
        /* conf_write_file: the same for FILE.tmp */
        plant((enum plant) k, "idx.tmp");
        assert_int_equal(conf_write_file(epath("idx"), "x", 1, 0640, &err), 0);
        assert_file(epath("idx"), "x");
        assert_int_equal(stat(epath("idx"), &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_file(epath("victim"), "secret\n");
        assert_int_equal(unlink(epath("idx")), 0);
        assert_int_equal(unlink(epath("main.cf.bak")), 0);
    }
    /* a directory with something in it: refused, naming it */
    assert_int_equal(mkdir(epath("main.cf.tmp"), 0700), 0);
    put(epath("main.cf.tmp/x"), "");
    assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), -1);
    assert_non_null(strstr(err, "main.cf.tmp"));
    mem_free(err);
    err = NULL;
    assert_file(epath("main.cf"), "a = 2\n");
    assert_int_equal(unlink(epath("main.cf.tmp/x")), 0);
    assert_int_equal(rmdir(epath("main.cf.tmp")), 0);
    /* a stale file of our own (an editor killed mid-write) is reused */
    put(epath("main.cf.tmp"), "half");
    assert_int_equal(chmod(epath("main.cf.tmp"), 0600), 0);
    assert_int_equal(conf_edit_begin(&ed, epath("main.cf"), &err), 0);
    assert_int_equal(conf_edit_commit(&ed, "a = 3\n", 6, NULL, &err), 0);
    assert_file(epath("main.cf"), "a = 3\n");
    log_set_quiet(0);
    assert_int_equal(unlink(epath("main.cf")), 0);
    assert_int_equal(unlink(epath("victim")), 0);
    assert_int_equal(rmdir(edir), 0);
}

/* conf_config_dir: -c, else a non-empty $MAIL_CONFIG, else the default;
 * conf_config_dir_arg takes every "-c DIR" out of argv, the last wins */
void
test_config_dir(void **state)
{
    char a0[] = "queue", a1[] = "-c", a2[] = "/a", a3[] = "list", a4[] = "-c",
         a5[] = "/b", a6[] = "-c";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, NULL};
    int argc = 7;

    (void) state;
    assert_int_equal(unsetenv("MAIL_CONFIG"), 0);
    assert_string_equal(conf_config_dir(NULL), CONF_DEF_CONFIG_DIR);
    assert_string_equal(conf_config_dir(""), CONF_DEF_CONFIG_DIR);
    assert_int_equal(setenv("MAIL_CONFIG", "", 1), 0);
    assert_string_equal(conf_config_dir(NULL), CONF_DEF_CONFIG_DIR);
    assert_int_equal(setenv("MAIL_CONFIG", "/env", 1), 0);
    assert_string_equal(conf_config_dir(NULL), "/env");
    assert_string_equal(conf_config_dir(""), "/env");
    assert_string_equal(conf_config_dir("/given"), "/given");
    assert_int_equal(unsetenv("MAIL_CONFIG"), 0);

    /* from 1: argv[0] is never an option; a trailing "-c" is left */
    assert_string_equal(conf_config_dir_arg(&argc, argv, 1), "/b");
    assert_int_equal(argc, 3);
    assert_string_equal(argv[0], "queue");
    assert_string_equal(argv[1], "list");
    assert_string_equal(argv[2], "-c");
    assert_null(argv[3]);
    assert_null(conf_config_dir_arg(&argc, argv, 1));
    assert_int_equal(argc, 3);
}
