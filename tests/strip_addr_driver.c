/*
 * strip_addr_driver - Postfix's strip_addr test program, for its .ref
 * file (testdata/peer/global/strip_addr.ref): address extensions cut
 * with rewrite_split_ext() (Postfix's split_addr) and the delimiter set
 * "+-", the same fixed cases, the same "unknown: ..." lines.
 *
 * USAGE
 *	strip_addr_driver TMPDIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pcf/pcf.h"
#include "rewrite/rewrite.h"

static struct rewrite *rw;

/* strip_addr - Postfix's strip_addr(): full without its extension (and
 * the extension with its delimiter in *ext when ext), or NULL */
static char *
strip_addr(const char *full, char **ext, const char *delims)
{
    char *stripped, *at, *rest;

    if (ext)
        *ext = NULL;
    if (*delims == 0 || full[strcspn(full, delims)] == 0)
        return NULL;
    stripped = mem_strdup(full);
    if ((at = strrchr(stripped, '@')) != NULL)
        *at = 0;
    if ((rest = rewrite_split_ext(rw, stripped, delims)) == NULL) {
        mem_free(stripped);
        return NULL;
    }
    rest -= 1; /* the delimiter */
    if (ext) {
        *rest = full[strlen(stripped)];
        *ext = mem_strdup(rest);
    }
    *rest = 0;
    if (at) {
        *at = '@';
        memmove(rest, at, strlen(at) + 1);
    }
    return stripped;
}

static void
check_none(const char *full, const char *delims)
{
    char *ext, *s = strip_addr(full, NULL, delims);

    if (s != NULL)
        log_fatal("strip_addr botch: %s", full);
    s = strip_addr(full, &ext, delims);
    if (s != NULL || ext != NULL)
        log_fatal("strip_addr botch: %s (extension)", full);
}

static void
show(const char *full, const char *want, const char *want_ext)
{
    char *ext = NULL, *s;

    s = strip_addr(full, want_ext ? &ext : NULL, "+-");
    if (s == NULL || (want_ext && ext == NULL))
        log_fatal("strip_addr botch: %s", full);
    if (want_ext) {
        log_info("wanted:    %s -> %s %s", full, want, want_ext);
        log_info("strip_addr %s -> %s %s", full, s, ext);
    } else {
        log_info("wanted:    %s -> %s", full, want);
        log_info("strip_addr %s -> %s", full, s);
    }
    mem_free(s);
    mem_free(ext);
}

int
main(int argc, char **argv)
{
    char path[4096];
    FILE *f;
    struct pcf *p;

    log_set_progname("unknown"); /* as Postfix's test programs */
    if (argc != 2) {
        fprintf(stderr, "usage: strip_addr_driver TMPDIR\n");
        return 2;
    }
    snprintf(path, sizeof(path), "%s/main.cf", argv[1]);
    if ((f = fopen(path, "w")) == NULL) {
        perror(path);
        return 1;
    }
    fputs("compatibility_level = 3.6\n", f);
    fclose(f);
    p = pcf_load(argv[1]);
    rw = rewrite_new(p, NULL);
    check_none("foo", "");
    check_none("foo", "+-");
    check_none("foo@bar", "");
    check_none("foo@bar", "+-");
    check_none("foo-ext", "");
    show("foo-ext", "foo", NULL);
    show("foo-ext", "foo", "-ext");
    check_none("foo-ext@bar", "");
    show("foo-ext@bar", "foo@bar", NULL);
    show("foo-ext@bar", "foo@bar", "-ext");
    show("foo+ext@bar", "foo@bar", "+ext");
    show("foo bar+ext", "foo bar", "+ext");
    rewrite_free(rw);
    pcf_free(p);
    return 0;
}
