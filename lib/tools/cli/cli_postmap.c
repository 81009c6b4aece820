/*
 * cli_postmap - postmap, postalias and newaliases (links to postern, or
 *	"postern map [options] [type:]file..."): Postfix 3.7's options,
 *	output, warnings and exit codes, on lib/services/maps (maps_file.h
 *	for the file types, maps_find for every type with -q).
 *
 *	postmap [-bfFhimnNoprsuUvw] [-c config_dir] [-d key] [-q key]
 *	    [map_type:]file...
 *	Build (the default), -i add stdin's entries, -q key (or -q - for
 *	stdin's keys; with -h/-b a message's header/body lines), -d key
 *	(or -d -), -s list. Exit 0 (found, deleted, built), 1 (not found,
 *	an error: "prog: fatal: ...").
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/conf.h"
#include "maps/maps.h"
#include "maps/maps_file.h"
#include "pcf/pcf.h"

struct pm {
    const char *prog; /* "postmap", "postalias" */
    int alias;
    unsigned flags;   /* MAPS_PM_* */
    int mode;         /* 0 build, 'q', 'd', 's', 'i' */
    const char *key;  /* of -q, -d */
    int header, body; /* -h, -b */
    const char *deftype;
};

/* fatal - "prog: fatal: text"; 1, the exit code */
static int
fatal(const struct pm *p, const char *text)
{
    (void) p;
    log_msg(NULL, LOG_LEVEL_FATAL, "%s", text);
    return 1;
}

static int
usage(const struct pm *p)
{
    log_msg(NULL, LOG_LEVEL_FATAL,
            "usage: %s [-%s] [-c config_dir] [-d key] [-q key] "
            "[map_type:]file...",
            p->prog, p->alias ? "Nfinoprsuvw" : "bfFhimnNoprsuUvw");
    return 1;
}

/* split - "type:file" (or "file": the default type) */
static void
split(const struct pm *p, const char *arg, char *type, size_t tl,
      const char **path)
{
    const char *c = strchr(arg, ':');

    /* Postfix's split_at(): the first ':' ends the type, always */
    if (c && (size_t) (c - arg) < tl) {
        snprintf(type, tl, "%.*s", (int) (c - arg), arg);
        *path = c + 1;
    } else {
        snprintf(type, tl, "%s", p->deftype);
        *path = arg;
    }
}

/* slurp - all of stdin */
static char *
slurp(void)
{
    struct buf b;
    char chunk[8192];
    size_t got;

    buf_init(&b, 0);
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
        (void) buf_append(&b, chunk, got);
    (void) buf_puts(&b, "");
    return buf_steal(&b);
}

/* open_maps - the tables of argv, for -q; NULL after a fatal message */
static struct maps **
open_maps(const struct pm *p, int n, char **argv)
{
    struct maps **m = mem_calloc((size_t) n + 1, sizeof(*m));
    unsigned mf = (p->alias ? MAPS_F_ALIAS : 0) |
                  ((p->flags & MAPS_PM_NOFOLD) ? MAPS_F_NOFOLD : 0);

    for (int i = 0; i < n; i++) {
        char type[64], spec[4300];
        const char *path;

        split(p, argv[i], type, sizeof(type), &path);
        if (!maps_type_supported(type)) {
            char why[200];

            snprintf(why, sizeof(why), "unsupported dictionary type: %s", type);
            (void) fatal(p, why);
            for (int j = 0; j < i; j++)
                maps_free(m[j]);
            mem_free(m);
            return NULL;
        }
        if (maps_file_type(type)) {
            /* postmap opens the database, never the source */
            char db[4200];

            snprintf(db, sizeof(db), "%s.%s", path,
                     strcmp(type, "hash") == 0 || strcmp(type, "btree") == 0
                         ? "db"
                         : type);
            if (access(db, F_OK) < 0) {
                char why[4400];

                snprintf(why, sizeof(why), "open database %s: %s", db,
                         strerror(errno));
                (void) fatal(p, why);
                for (int j = 0; j < i; j++)
                    maps_free(m[j]);
                mem_free(m);
                return NULL;
            }
        }
        snprintf(spec, sizeof(spec), "%s:%s", type, path);
        m[i] = maps_new(p->prog, spec, mf);
    }
    return m;
}

static void
close_maps(struct maps **m)
{
    for (size_t i = 0; m[i]; i++)
        maps_free(m[i]);
    mem_free(m);
}

/* query_one - key in the tables in order: 1 found (printed), 0, -1 */
static int
query_one(const struct pm *p, struct maps **m, const char *key, int with_key)
{
    for (size_t i = 0; m[i]; i++) {
        const char *v;
        enum maps_result r = maps_find(m[i], key, &v);

        if (r == MAPS_FOUND) {
            if (with_key)
                printf("%s%s\t%s\n", key, p->alias ? ":" : "", v);
            else
                printf("%s\n", v);
            return 1;
        }
        if (r == MAPS_ERROR) {
            (void) fatal(p, maps_error(m[i]));
            return -1;
        }
    }
    return 0;
}

/* query_stdin - -q -: keys, or (-h, -b) a message's lines */
static int
query_stdin(const struct pm *p, struct maps **m)
{
    char *text = slurp(), *line, *next;
    int found = 0, in_body = 0, rc = 0;
    struct buf hdr;

    buf_init(&hdr, 0);
    for (line = text; line && rc >= 0; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = 0;
        else if (*line == 0)
            break;
        if (!p->header && !p->body) {
            rc = query_one(p, m, line, 1);
        } else if (!in_body) {
            /* a header: its continuation lines are part of it */
            if (hdr.len && (*line == ' ' || *line == '\t')) {
                (void) buf_putc(&hdr, '\n');
                (void) buf_puts(&hdr, line);
                continue;
            }
            if (hdr.len && p->header)
                rc = query_one(p, m, buf_str(&hdr), 1);
            buf_truncate(&hdr, 0);
            if (*line == 0)
                in_body = 1;
            else
                (void) buf_puts(&hdr, line);
        } else if (p->body) {
            rc = query_one(p, m, line, 1);
        }
        found |= rc > 0;
    }
    if (rc >= 0 && hdr.len && p->header)
        found |= query_one(p, m, buf_str(&hdr), 1) > 0;
    buf_fini(&hdr);
    mem_free(text);
    return rc < 0 ? 1 : found ? 0 : 1;
}

static int
do_query(const struct pm *p, int n, char **argv)
{
    struct maps **m = open_maps(p, n, argv);
    int rc;

    if (m == NULL)
        return 1;
    if (strcmp(p->key, "-") == 0) {
        rc = query_stdin(p, m);
    } else {
        rc = query_one(p, m, p->key, 0);
        rc = rc > 0 ? 0 : 1;
    }
    close_maps(m);
    return rc;
}

static int
do_delete(const struct pm *p, int n, char **argv)
{
    struct strv keys;
    char err[4600] = "";
    int deleted = 0;

    strv_init(&keys);
    if (strcmp(p->key, "-") == 0) {
        char *text = slurp(), *save = NULL;

        for (char *k = strtok_r(text, "\n", &save); k;
             k = strtok_r(NULL, "\n", &save))
            if (*str_trim(k))
                strv_add(&keys, str_trim(k));
        mem_free(text);
    } else {
        strv_add(&keys, p->key);
    }
    for (int i = 0; i < n; i++) {
        char type[64];
        const char *path;
        int d;

        split(p, argv[i], type, sizeof(type), &path);
        d = maps_file_delete(type, path, keys.v, keys.n, p->flags, err,
                             sizeof(err));
        if (d < 0) {
            strv_fini(&keys);
            return fatal(p, err);
        }
        deleted += d;
    }
    strv_fini(&keys);
    return deleted ? 0 : 1;
}

static int
do_files(const struct pm *p, int n, char **argv)
{
    char *input = p->mode == 'i' ? slurp() : NULL;
    int rc = 0;

    for (int i = 0; i < n && rc == 0; i++) {
        char type[64], err[4600] = "";
        const char *path;

        split(p, argv[i], type, sizeof(type), &path);
        if (p->mode == 's') {
            struct buf out;

            buf_init(&out, 0);
            if (maps_file_list(type, path, &out, err, sizeof(err)) < 0)
                rc = fatal(p, err);
            else if (p->alias) {
                /* postalias lists "name:<TAB>value" */
                char *s = buf_data(&out), *save = NULL;

                for (char *l = strtok_r(s, "\n", &save); l;
                     l = strtok_r(NULL, "\n", &save)) {
                    char *tab = strchr(l, '\t');

                    if (tab)
                        *tab = 0;
                    printf("%s:\t%s\n", l, tab ? tab + 1 : "");
                }
            } else {
                fputs(buf_str(&out), stdout);
            }
            buf_fini(&out);
        } else if (!maps_file_type(type)) {
            char why[300];

            /* Postfix's words (Debian's, for a type it does not know) */
            if (maps_type_supported(type))
                snprintf(why, sizeof(why),
                         "unsupported dictionary type: %s does not support "
                         "bulk-mode creation.",
                         type);
            else
                snprintf(why, sizeof(why),
                         "unsupported dictionary type: %s. Is the postfix-%s "
                         "package installed?",
                         type, type);
            rc = fatal(p, why);
        } else if (maps_file_build(
                       type, path, p->flags | (p->alias ? MAPS_PM_ALIAS : 0),
                       input ? input : NULL, err, sizeof(err)) < 0) {
            rc = err[0] ? fatal(p, err) : 1;
        }
        if (input) {
            mem_free(input);
            input = mem_strdup(""); /* stdin is read once */
        }
    }
    mem_free(input);
    return rc;
}

/* config - main.cf of -c DIR, $MAIL_CONFIG or /etc/postfix, as postmap
 * reads it: default_database_type, myhostname (and for newaliases,
 * alias_database into *aliases); -1 after a fatal message */
static int
config(struct pm *p, char **aliases)
{
    const char *dir = conf_config_dir(NULL);
    char path[4200], *v;
    struct pcf *cf;
    FILE *fp;

    snprintf(path, sizeof(path), "%s/main.cf", dir);
    if ((fp = fopen(path, "r")) == NULL) {
        char why[4400];

        snprintf(why, sizeof(why), "open %s: %s", path, strerror(errno));
        return fatal(p, why) * -1;
    }
    (void) fclose(fp);
    cf = pcf_load(dir);
    if ((v = pcf_value(cf, "default_database_type")) != NULL && *v)
        p->deftype = v; /* lives until exit, as the pcf */
    else
        mem_free(v);
    if ((v = pcf_value(cf, "myhostname")) != NULL)
        maps_file_hostname(v);
    mem_free(v);
    if (aliases)
        *aliases = pcf_value(cf, "alias_database");
    return 0;
}

/* newaliases - postalias $alias_database (sendmail -bi) */
static int
newaliases(struct pm *p, int argc, char **argv)
{
    char *db = NULL;
    struct strv maps;
    int rc = 0, ch;

    opterr = 0;
    while ((ch = getopt(argc, argv, "c:C:v")) > 0)
        if ((ch == 'c' || ch == 'C') && setenv("MAIL_CONFIG", optarg, 1) < 0)
            return fatal(p, "out of memory");
    if (config(p, &db) < 0)
        return 1;
    strv_init(&maps);
    maps_split(db ? db : "", &maps);
    for (size_t i = 0; i < maps.n && rc == 0; i++) {
        char type[64], err[4600] = "";
        const char *path;

        split(p, maps.v[i], type, sizeof(type), &path);
        if (maps_file_build(type, path, p->flags | MAPS_PM_ALIAS, NULL, err,
                            sizeof(err)) < 0)
            rc = err[0] ? fatal(p, err) : 1;
    }
    strv_fini(&maps);
    mem_free(db);
    return rc;
}

/* options - Postfix's postmap/postalias JCL; -1 after a fatal message */
static int
options(struct pm *p, int argc, char **argv)
{
    int ch;

    opterr = 1;
    while ((ch = getopt(argc, argv,
                        p->alias ? "Nc:d:finopq:rsuvw"
                                 : "bc:d:fFhimnNopq:rsuUvw")) > 0) {
        switch (ch) {
        case 'N':
            p->flags = (p->flags & ~MAPS_PM_NONUL) | MAPS_PM_NUL;
            break;
        case 'n':
            p->flags = (p->flags & ~MAPS_PM_NUL) | MAPS_PM_NONUL;
            break;
        case 'b':
            p->body = 1;
            break;
        case 'h':
            p->header = 1;
            break;
        case 'm':
            p->header |= 2; /* MIME: noted, as -b/-h need it */
            break;
        case 'c':
            if (setenv("MAIL_CONFIG", optarg, 1) < 0)
                return fatal(p, "out of memory") * -1;
            break;
        case 'd':
        case 'q':
            if (p->mode == 's' || p->mode == 'q' || p->mode == 'd')
                return fatal(p, "specify only one of -s -q or -d") * -1;
            p->mode = ch;
            p->key = optarg;
            break;
        case 's':
            if (p->mode == 'q' || p->mode == 'd')
                return fatal(p, "specify only one of -s or -q or -d") * -1;
            p->mode = 's';
            break;
        case 'f':
            p->flags |= MAPS_PM_NOFOLD;
            break;
        case 'F':
            p->flags |= MAPS_PM_B64;
            break;
        case 'i':
            if (p->mode == 0)
                p->mode = 'i';
            break;
        case 'o':
            p->flags |= MAPS_PM_ASROOT;
            break;
        case 'p':
            p->flags |= MAPS_PM_NOPERM;
            break;
        case 'r':
            p->flags = (p->flags & ~MAPS_PM_IGNDUP) | MAPS_PM_REPLACE;
            break;
        case 'w':
            p->flags = (p->flags & ~MAPS_PM_REPLACE) | MAPS_PM_IGNDUP;
            break;
        case 'u':
        case 'U':
        case 'v':
            break; /* UTF-8 checks, verbosity: nothing to change here */
        default:
            return usage(p) * -1;
        }
    }
    return 0;
}

int
cli_postmap_main(int argc, char **argv)
{
    const char *base = strrchr(argv[0], '/');
    struct pm p;
    int n;

    base = base ? base + 1 : argv[0];
    memset(&p, 0, sizeof(p));
    p.deftype = "hash";
    p.prog = strcmp(base, "postalias") == 0 || strcmp(base, "newaliases") == 0
                 ? "postalias"
                 : "postmap";
    p.alias = strcmp(p.prog, "postalias") == 0;
    log_set_progname(p.prog); /* newaliases runs postalias */
    if (strcmp(base, "newaliases") == 0)
        return newaliases(&p, argc, argv);
    optind = 1;
    if (options(&p, argc, argv) < 0 || config(&p, NULL) < 0)
        return 1;
    if ((p.header || p.body) && (p.mode != 'q' || strcmp(p.key, "-") != 0))
        return fatal(&p, "specify -b -h or -m only with \"-q -\"");
    if (p.header == 2 && !p.body) {
        log_msg(NULL, LOG_LEVEL_WARN, "ignoring -m option without -b or -h");
        p.header = 0;
    }
    p.header &= 1;
    n = argc - optind;
    argv += optind;
    if (p.mode == 's')
        return n < 1 ? 1 : do_files(&p, 1, argv) ? 1 : 0;
    if (n < 1)
        return usage(&p);
    if (p.mode == 'd')
        return do_delete(&p, n, argv);
    if (p.mode == 'q')
        return do_query(&p, n, argv);
    return do_files(&p, n, argv);
}
