/*
 * schemagen - generate lib/config/schema's C tables from the YAML in schemas/.
 *
 * DESCRIPTION
 *	schemagen [-o output.c] file.yaml...
 *
 *	Reads every YAML file, checks the schema (see schemas/README.md) and,
 *	when there is no problem, writes the C source to output.c (written
 *	to a temporary name and renamed, so a failed run leaves no half
 *	file). Without -o it only checks.
 * DIAGNOSTICS
 *	"file:line:col: error: text" on stderr, one line per problem; exit
 *	status 1 when there was any, 2 for usage or I/O errors.
 */
#include "schemagen.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SCHEMAGEN_MAX_FILE (16u << 20)

static void
usage(void)
{
    fprintf(stderr, "usage: schemagen [-o output.c] [-m COMPATIBILITY.md] "
                    "file.yaml...\n");
}

/* write_output - emit (C tables, or with md the Markdown) to path via a
 * temporary file */
static int
write_output(const struct sg_schema *sc, const char *path, int md)
{
    struct buf tmp;
    FILE *fp;
    int rc = -1;

    buf_init(&tmp, 0);
    (void) buf_printf(&tmp, "%s.tmp", path);
    if ((fp = fopen(buf_str(&tmp), "w")) == NULL) {
        log_error("open %s: %s", buf_str(&tmp), strerror(errno));
        goto out;
    }
    if ((md ? sg_emit_compat(sc, fp) : sg_emit(sc, fp)) < 0) {
        log_error("write %s: %s", buf_str(&tmp), strerror(errno));
        (void) fclose(fp);
        goto out;
    }
    if (fclose(fp) != 0) {
        log_error("close %s: %s", buf_str(&tmp), strerror(errno));
        goto out;
    }
    if (rename(buf_str(&tmp), path) != 0) {
        log_error("rename %s: %s", buf_str(&tmp), strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (rc < 0)
        (void) remove(buf_str(&tmp));
    buf_fini(&tmp);
    return rc;
}

int
main(int argc, char **argv)
{
    struct sg_schema sc;
    const char *output = NULL, *compat = NULL;
    int i = 1;
    int status = 0;

    log_set_progname("schemagen");
    while (i + 1 < argc &&
           (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "-m") == 0)) {
        if (argv[i][1] == 'o')
            output = argv[i + 1];
        else
            compat = argv[i + 1];
        i += 2;
    }
    if (i >= argc || argv[i][0] == '-') {
        usage();
        return 2;
    }

    sg_schema_init(&sc);
    for (; i < argc; i++) {
        char *text;
        size_t len;

        if (util_read_file(argv[i], SCHEMAGEN_MAX_FILE, &text, &len) < 0) {
            log_error("read %s: %s", argv[i], strerror(errno));
            status = 2;
            continue;
        }
        (void) sg_parse(&sc, argv[i], text, len);
        mem_free(text);
    }
    if (status == 0)
        (void) sg_check(&sc);
    for (size_t j = 0; j < sc.diags.n; j++)
        fprintf(stderr, "%s\n", sc.diags.v[j]);
    if (status == 0 && sc.diags.n > 0) {
        fprintf(stderr, "schemagen: %zu error%s\n", sc.diags.n,
                sc.diags.n == 1 ? "" : "s");
        status = 1;
    }
    if (status == 0 && output != NULL && write_output(&sc, output, 0) < 0)
        status = 2;
    if (status == 0 && compat != NULL && write_output(&sc, compat, 1) < 0)
        status = 2;
    sg_schema_fini(&sc);
    return status;
}
