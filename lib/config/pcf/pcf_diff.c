/*
 * pcf_diff - "postern diff": what two Postfix configurations do
 *	differently.
 *
 * DESCRIPTION
 *	Each side is a configuration directory, a "main.cf,master.cf" pair
 *	of files, a single main.cf or master.cf, or "REV:PATH" in a git
 *	repository (read with "git show", no checkout). Both sides are
 *	loaded with the postconf engine, so the comparison is semantic:
 *	layout, comments and order do not count; values are compared with
 *	their whitespace normalized as postconf prints them.
 *
 *	Reported: main.cf parameters added, removed and changed (labelled
 *	when the new value only restates the default); with -x every
 *	parameter whose effective, $name-expanded value differs; master.cf
 *	services added, removed and changed (fields, command arguments,
 *	-o parameters); and per service, the effective values its daemon
 *	sees that differ. "--defaults DIR" compares DIR with Postfix's
 *	built-in defaults.
 *
 *	Exit status as diff(1): 0 same, 1 different, 2 trouble. The
 *	command line is lib/tools/cli/cli_diff.c.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out/out.h"
#include "pcf/pcf.h"
#include "pcf/pcf_int.h"

struct side {
    const char *label;
    char tmpdir[64];
    struct pcf *p;
};

struct diff {
    int expand; /* -x */
    int json;
    int color;
    int changes;
    struct out_val *jmain, *jmaster, *jeff;
};

/* norm - value with whitespace normalized as postconf prints it */
static char *
norm(const char *v)
{
    struct buf b;
    const char *cp = v;

    buf_init(&b, 0);
    while (cp && *cp) {
        size_t n;

        cp += strspn(cp, PCF_SEPARATORS);
        if (*cp == 0)
            break;
        n = strcspn(cp, PCF_SEPARATORS);
        if (b.len)
            buf_putc(&b, ' ');
        buf_append(&b, cp, n);
        cp += n;
    }
    return buf_steal(&b);
}

/*
 * same_value - equal as Postfix reads them: for list-valued parameters,
 * commas and blanks separate the same way ("a, b" is "a b").
 */
static int
same_value(const char *name, const char *a, const char *b)
{
    const struct schema_param *sp;
    char *ca, *cb, *pa, *pb, *ta, *tb;
    int same = 1;

    if (a == NULL || b == NULL)
        return a == b;
    if (strcmp(a, b) == 0)
        return 1;
    sp = schema_param_find(name);
    if (sp == NULL ||
        (sp->type != SCHEMA_LIST && sp->type != SCHEMA_MAPS &&
         sp->type != SCHEMA_RESTRICTIONS && !(sp->flags & SCHEMA_F_MULTI)))
        return 0;
    pa = ca = mem_strdup(a);
    pb = cb = mem_strdup(b);
    for (;;) {
        ta = conf_tok_next(&pa, CONF_SEP_COMMA_SP);
        tb = conf_tok_next(&pb, CONF_SEP_COMMA_SP);
        if (ta == NULL || tb == NULL) {
            same = ta == tb;
            break;
        }
        if (strcmp(ta, tb) != 0) {
            same = 0;
            break;
        }
    }
    mem_free(ca);
    mem_free(cb);
    return same;
}

static void
copy_file(const char *from, const char *to)
{
    char *data;
    size_t len;
    FILE *fp;

    if (util_read_file(from, CONF_MAX_FILE, &data, &len) < 0)
        log_fatal("read %s: %s", from, strerror(errno));
    if ((fp = fopen(to, "w")) == NULL || fwrite(data, 1, len, fp) != len ||
        fclose(fp) != 0)
        log_fatal("write %s: %s", to, strerror(errno));
    mem_free(data);
}

static void
empty_file(const char *path)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fclose(fp) != 0)
        log_fatal("create %s: %s", path, strerror(errno));
}

int
pcf_run(char *const argv[], int out_fd, int quiet)
{
    pid_t pid;
    int status;

    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        if (out_fd >= 0 && out_fd != STDOUT_FILENO &&
            dup2(out_fd, STDOUT_FILENO) < 0)
            _exit(127);
        if (quiet) {
            int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

            if (null < 0 || dup2(null, STDERR_FILENO) < 0)
                _exit(127);
        }
        execvp(argv[0], argv);
        if (!quiet)
            log_info("cannot run %s: %s", argv[0], strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    if (!WIFEXITED(status)) {
        errno = EINTR;
        return -1;
    }
    return WEXITSTATUS(status);
}

/* git_show - REV:PATH into file "to"; 0, or -1 when the path is absent */
static int
git_show(const char *rev, const char *path, const char *to)
{
    struct buf obj;
    struct strv argv;
    int fd, rc;

    buf_init(&obj, 0);
    buf_printf(&obj, "%s:%s", rev, path);
    strv_init(&argv);
    strv_add(&argv, "git");
    strv_add(&argv, "show");
    strv_add(&argv, "--end-of-options");
    strv_add(&argv, buf_str(&obj));
    if ((fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
                   0600)) < 0)
        log_fatal("create %s: %s", to, strerror(errno));
    rc = pcf_run(argv.v, fd, 1);
    if (close(fd) < 0)
        log_fatal("write %s: %s", to, strerror(errno));
    strv_fini(&argv);
    buf_fini(&obj);
    return rc == 0 ? 0 : -1;
}

/* is_git_rev - rev names a commit of the repository we are in */
static int
is_git_rev(const char *rev)
{
    struct buf obj;
    struct strv argv;
    int null, rc;

    /* A revision never starts with '-': that would be an option. */
    if (*rev == '-' || (null = open("/dev/null", O_WRONLY | O_CLOEXEC)) < 0)
        return 0;
    buf_init(&obj, 0);
    buf_printf(&obj, "%s^{commit}", rev);
    strv_init(&argv);
    strv_add(&argv, "git");
    strv_add(&argv, "rev-parse");
    strv_add(&argv, "--verify");
    strv_add(&argv, "--quiet");
    strv_add(&argv, "--end-of-options");
    strv_add(&argv, buf_str(&obj));
    rc = pcf_run(argv.v, null, 1);
    close(null);
    strv_fini(&argv);
    buf_fini(&obj);
    return rc == 0;
}

/* rm_tmpdir - remove a side's temporary directory and what is in it */
static int
rm_tmpdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int rc = 0;

    if (d == NULL)
        return errno == ENOENT ? 0 : -1;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0 &&
            unlinkat(dirfd(d), de->d_name, 0) < 0)
            rc = -1;
    closedir(d);
    if (rmdir(dir) < 0)
        rc = -1;
    return rc;
}

static char *
join(const char *a, const char *b)
{
    struct buf p;

    buf_init(&p, 0);
    buf_printf(&p, "%s/%s", a, b);
    return buf_steal(&p);
}

/* materialize - put one side's main.cf and master.cf in a temp dir */
static void
materialize(struct side *s, const char *spec)
{
    char *m = join(s->tmpdir, "main.cf"), *x = join(s->tmpdir, "master.cf");
    struct stat st;
    const char *colon = strchr(spec, ':');
    const char *comma = strchr(spec, ',');

    if (colon && colon > spec) {
        char *rev = mem_strndup(spec, (size_t) (colon - spec));

        if (is_git_rev(rev)) {
            const char *path = colon + 1;
            char *pm, *px;
            int found = 0;

            if (str_has_suffix(path, "main.cf") ||
                str_has_suffix(path, "master.cf")) {
                char *dir = mem_strdup(path), *slash = strrchr(dir, '/');

                if (slash)
                    *slash = 0;
                else
                    dir[0] = 0;
                pm = *dir ? join(dir, "main.cf") : mem_strdup("main.cf");
                px = *dir ? join(dir, "master.cf") : mem_strdup("master.cf");
                mem_free(dir);
            } else {
                const char *d = *path ? path : ".";

                pm =
                    strcmp(d, ".") ? join(d, "main.cf") : mem_strdup("main.cf");
                px = strcmp(d, ".") ? join(d, "master.cf")
                                    : mem_strdup("master.cf");
            }
            if (git_show(rev, pm, m) == 0)
                found++;
            else
                empty_file(m);
            if (git_show(rev, px, x) == 0)
                found++;
            else
                empty_file(x);
            mem_free(pm);
            mem_free(px);
            mem_free(rev);
            if (!found)
                log_fatal("%s: no main.cf or master.cf in that revision", spec);
            goto done;
        }
        mem_free(rev);
    }
    if (comma) {
        char *a = mem_strndup(spec, (size_t) (comma - spec));

        copy_file(a, m);
        copy_file(comma + 1, x);
        mem_free(a);
    } else if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode)) {
        char *sm = join(spec, "main.cf"), *sx = join(spec, "master.cf");

        if (access(sm, F_OK) != 0 && access(sx, F_OK) != 0)
            log_fatal("%s: no main.cf or master.cf in this directory", spec);
        if (access(sm, F_OK) == 0)
            copy_file(sm, m);
        else
            empty_file(m);
        if (access(sx, F_OK) == 0)
            copy_file(sx, x);
        else
            empty_file(x);
        mem_free(sm);
        mem_free(sx);
    } else if (stat(spec, &st) == 0) {
        const char *base = strrchr(spec, '/');

        base = base ? base + 1 : spec;
        if (str_has_prefix(base, "master")) {
            empty_file(m);
            copy_file(spec, x);
        } else {
            copy_file(spec, m);
            empty_file(x);
        }
    } else {
        log_fatal("%s: %s", spec, strerror(errno));
    }
done:
    mem_free(m);
    mem_free(x);
}

/* show - a value for reading: empty shows as "(empty)", absent "(unset)" */
static const char *
show(const char *v)
{
    return v == NULL ? "(unset)" : *v == 0 ? "(empty)" : v;
}

static const char *
col(struct diff *d, const char *c)
{
    return d->color ? c : "";
}

#define C_ADD "\033[32m"
#define C_DEL "\033[31m"
#define C_CHG "\033[33m"
#define C_OFF "\033[0m"

/* effective - a parameter's value as a daemon sees it, expanded */
static char *
effective(struct pcf *p, const char *name, struct pcf_master *scope)
{
    struct pcf_node *node = htab_find(p->params, name);
    const char *v = pcf_lookup(p, 0, name, scope, node);
    char *exp, *n;

    if (v == NULL)
        return NULL;
    if (node && (node->flags & PCF_F_RAW))
        return norm(v);
    exp = pcf_expand(p, 0, v, scope);
    n = norm(exp);
    mem_free(exp);
    return n;
}

static char *
default_of(struct pcf *p, const char *name)
{
    struct pcf_node *node = htab_find(p->params, name);

    if (node == NULL || (node->flags & PCF_F_USER))
        return NULL;
    return norm(pcf_node_default(p, name, node));
}

static void
main_diff(struct diff *d, struct pcf *a, struct pcf *b)
{
    struct strv names;

    strv_init(&names);
    for (size_t i = 0; i < htab_count(a->main_line); i++)
        strv_add(&names, htab_key(a->main_line, i));
    for (size_t i = 0; i < htab_count(b->main_line); i++)
        if (!htab_has(a->main_line, htab_key(b->main_line, i)))
            strv_add(&names, htab_key(b->main_line, i));
    strv_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.v[i];
        const char *ra =
            htab_has(a->main_line, name) ? pcf_dict_get(a->main, name) : NULL;
        const char *rb =
            htab_has(b->main_line, name) ? pcf_dict_get(b->main, name) : NULL;
        char *va = ra ? norm(ra) : NULL, *vb = rb ? norm(rb) : NULL;
        char *def = default_of(rb ? b : a, name);
        const char *what;
        int same_def;

        if (va && vb && same_value(name, va, vb)) {
            mem_free(va);
            mem_free(vb);
            mem_free(def);
            continue;
        }
        d->changes++;
        what = !va ? "added" : !vb ? "removed" : "changed";
        same_def = vb && def && same_value(name, vb, def);
        if (d->json) {
            struct out_val *o = out_obj_new();

            out_obj_str(o, "name", name);
            out_obj_str(o, "change", what);
            out_obj_str(o, "a", va);
            out_obj_str(o, "b", vb);
            out_obj_str(o, "default", def);
            out_obj_bool(o, "restates_default", same_def);
            out_arr_add(d->jmain, o);
        } else if (!va) {
            printf("%s+ %s = %s%s%s\n", col(d, C_ADD), name, show(vb),
                   same_def ? "   (same as the default)" : "", col(d, C_OFF));
        } else if (!vb) {
            if (def && same_value(name, va, def))
                printf("%s- %s = %s   (it restated the default: no effect)%s\n",
                       col(d, C_DEL), name, show(va), col(d, C_OFF));
            else if (def)
                printf("%s- %s = %s   (back to the default: %s)%s\n",
                       col(d, C_DEL), name, show(va), show(def), col(d, C_OFF));
            else
                printf("%s- %s = %s%s\n", col(d, C_DEL), name, show(va),
                       col(d, C_OFF));
        } else {
            printf("%s~ %s = %s%s\n    was: %s%s\n", col(d, C_CHG), name,
                   show(vb), same_def ? "   (only restates the default)" : "",
                   show(va), col(d, C_OFF));
        }
        mem_free(va);
        mem_free(vb);
        mem_free(def);
    }
    strv_fini(&names);
}

/* expanded_diff - every parameter whose effective value differs (-x) */
static void
expanded_diff(struct diff *d, struct pcf *a, struct pcf *b)
{
    struct strv names;
    int header = 0;

    strv_init(&names);
    for (size_t i = 0; i < htab_count(a->params); i++)
        if (((struct pcf_node *) htab_value(a->params, i))->flags & PCF_F_CLASS)
            strv_add(&names, htab_key(a->params, i));
    for (size_t i = 0; i < htab_count(b->params); i++)
        if ((((struct pcf_node *) htab_value(b->params, i))->flags &
             PCF_F_CLASS) &&
            !htab_has(a->params, htab_key(b->params, i)))
            strv_add(&names, htab_key(b->params, i));
    strv_sort(&names);
    for (size_t i = 0; i < names.n; i++) {
        const char *name = names.v[i];
        char *ea, *eb;

        if (strcmp(name, "config_directory") == 0 ||
            strcmp(name, "process_id") == 0)
            continue;
        ea = effective(a, name, NULL);
        eb = effective(b, name, NULL);
        if (!same_value(name, ea, eb)) {
            d->changes++;
            if (d->json) {
                struct out_val *o = out_obj_new();

                out_obj_str(o, "service", NULL);
                out_obj_str(o, "name", name);
                out_obj_str(o, "a", ea);
                out_obj_str(o, "b", eb);
                out_arr_add(d->jeff, o);
            } else {
                if (!header++)
                    printf("\neffective values (-x):\n");
                printf("%s~ %s = %s\n    was: %s%s\n", col(d, C_CHG), name,
                       show(eb), show(ea), col(d, C_OFF));
            }
        }
        mem_free(ea);
        mem_free(eb);
    }
    strv_fini(&names);
}

static struct pcf_master *
find_service(struct pcf *p, const char *ns)
{
    for (size_t m = 0; m < p->nmaster; m++)
        if (strcmp(p->master[m].name_space, ns) == 0)
            return &p->master[m];
    return NULL;
}

/* entry_text - an entry on one line, as postconf -M prints it */
static char *
entry_text(struct pcf *p, struct pcf_master *ms)
{
    char *mem = NULL, *n;
    size_t len = 0;
    FILE *fp = open_memstream(&mem, &len);

    if (fp == NULL)
        log_fatal("open_memstream: %s", strerror(errno));
    pcf_print_master_entry(p, fp, 0, ms);
    fclose(fp);
    n = norm(mem);
    free(mem);
    return n;
}

/* plain_args - the command's arguments other than -o name=value */
static char *
plain_args(struct pcf_master *ms)
{
    struct buf b;

    buf_init(&b, 0);
    for (size_t f = PCF_MASTER_MIN_FIELDS; f < ms->argv.n; f++) {
        if (strcmp(ms->argv.v[f], "-o") == 0 && f + 1 < ms->argv.n) {
            f++;
            continue;
        }
        buf_printf(&b, "%s%s", b.len ? " " : "", ms->argv.v[f]);
    }
    return buf_steal(&b);
}

static void
say_service(struct diff *d, int *said, const char *ns, const char *what)
{
    if (!*said && !d->json)
        printf("%s~ %s%s\n", col(d, C_CHG), ns, col(d, C_OFF));
    (void) what;
    *said = 1;
}

/* say_changed - the "master.cf:" heading once, then service ns once */
static void
say_changed(struct diff *d, int *header, int *said, const char *ns)
{
    if (!*header && !d->json) {
        printf("\nmaster.cf:\n");
        *header = 1;
    }
    say_service(d, said, ns, "changed");
}

/* service_changed - the fields, arguments and -o parameters in which
 * service ns differs between a (ma) and b (mb) */
static void
service_changed(struct diff *d, int *header, const char *ns,
                struct pcf_master *ma, struct pcf_master *mb)
{
    struct out_val *o = NULL, *fields = NULL, *params = NULL;
    int said = 0;

    if (d->json) {
        o = out_obj_new();
        fields = out_obj_new();
        params = out_arr_new();
    }
    for (int f = PCF_FLD_PRIVATE; f <= PCF_FLD_CMD; f++) {
        if (strcmp(ma->argv.v[f], mb->argv.v[f]) == 0)
            continue;
        say_changed(d, header, &said, ns);
        if (d->json) {
            struct out_val *fv = out_obj_new();

            out_obj_str(fv, "a", ma->argv.v[f]);
            out_obj_str(fv, "b", mb->argv.v[f]);
            out_obj_add(fields, pcf_field_names[f], fv);
        } else {
            printf("    %s: %s -> %s\n", pcf_field_names[f], ma->argv.v[f],
                   mb->argv.v[f]);
        }
    }
    {
        char *pa = plain_args(ma), *pb = plain_args(mb);

        if (strcmp(pa, pb) != 0) {
            say_changed(d, header, &said, ns);
            if (d->json) {
                struct out_val *fv = out_obj_new();

                out_obj_str(fv, "a", pa);
                out_obj_str(fv, "b", pb);
                out_obj_add(fields, "arguments", fv);
            } else {
                printf("    arguments: %s -> %s\n", *pa ? pa : "(none)",
                       *pb ? pb : "(none)");
            }
        }
        mem_free(pa);
        mem_free(pb);
    }
    {
        struct strv keys = pcf_dict_keys(ma->all_params);
        struct strv kb = pcf_dict_keys(mb->all_params);

        for (size_t k = 0; k < kb.n; k++)
            if (!pcf_dict_get(ma->all_params, kb.v[k]))
                strv_add(&keys, kb.v[k]);
        strv_sort(&keys);
        for (size_t k = 0; k < keys.n; k++) {
            const char *va = pcf_dict_get(ma->all_params, keys.v[k]);
            const char *vb = pcf_dict_get(mb->all_params, keys.v[k]);

            if (va && vb && strcmp(va, vb) == 0)
                continue;
            say_changed(d, header, &said, ns);
            if (d->json) {
                struct out_val *pv = out_obj_new();

                out_obj_str(pv, "name", keys.v[k]);
                out_obj_str(pv, "a", va);
                out_obj_str(pv, "b", vb);
                out_arr_add(params, pv);
            } else {
                printf("    -o %s: %s -> %s\n", keys.v[k], show(va), show(vb));
            }
        }
        strv_fini(&keys);
        strv_fini(&kb);
    }
    if (said)
        d->changes++;
    if (d->json) {
        if (said) {
            out_obj_str(o, "service", ns);
            out_obj_str(o, "change", "changed");
            out_obj_add(o, "fields", fields);
            out_obj_add(o, "params", params);
            out_arr_add(d->jmaster, o);
        } else {
            out_free(fields);
            out_free(params);
            out_free(o);
        }
    }
}

static void
master_diff(struct diff *d, struct pcf *a, struct pcf *b)
{
    struct strv ns;
    int header = 0;

    strv_init(&ns);
    for (size_t m = 0; m < a->nmaster; m++)
        strv_add(&ns, a->master[m].name_space);
    for (size_t m = 0; m < b->nmaster; m++)
        if (!find_service(a, b->master[m].name_space))
            strv_add(&ns, b->master[m].name_space);
    for (size_t i = 0; i < ns.n; i++) {
        struct pcf_master *ma = find_service(a, ns.v[i]);
        struct pcf_master *mb = find_service(b, ns.v[i]);

        if (i > 0 && strcmp(ns.v[i], ns.v[i - 1]) == 0)
            continue;
        if (!header && !d->json && (!ma || !mb)) {
            printf("\nmaster.cf:\n");
            header = 1;
        }
        if (!ma || !mb) {
            char *t = entry_text(ma ? a : b, ma ? ma : mb);

            d->changes++;
            if (d->json) {
                struct out_val *o = out_obj_new();

                out_obj_str(o, "service", ns.v[i]);
                out_obj_str(o, "change", ma ? "removed" : "added");
                out_obj_str(o, "entry", t);
                out_arr_add(d->jmaster, o);
            } else {
                printf("%s%c %s%s\n", col(d, ma ? C_DEL : C_ADD),
                       ma ? '-' : '+', t, col(d, C_OFF));
            }
            mem_free(t);
            continue;
        }
        service_changed(d, &header, ns.v[i], ma, mb);
    }
    strv_fini(&ns);
}

/* relevant - is name a parameter that the service's daemon reads? */
static int
relevant(const struct pcf_master *ms, const char *name)
{
    const char *cmd = ms->argv.v[PCF_FLD_CMD];
    size_t n = strlen(cmd);

    size_t svc_len;
    const struct schema_family *fam;

    if (strcmp(cmd, "trivial-rewrite") == 0)
        return str_has_prefix(name, "resolve_") ||
               str_has_prefix(name, "transport_") ||
               str_has_prefix(name, "relay");
    if (strncmp(name, cmd, n) == 0 && name[n] == '_')
        return 1;
    /* Per-service parameters such as relay_destination_concurrency_limit. */
    fam = schema_family_match(name, &svc_len);
    return fam && schema_family_applies(fam, cmd) &&
           strlen(ms->argv.v[0]) == svc_len &&
           strncmp(name, ms->argv.v[0], svc_len) == 0;
}

/* service_effective - per service, the values its daemon sees change */
static void
service_effective(struct diff *d, struct pcf *a, struct pcf *b)
{
    int header = 0;

    for (size_t m = 0; m < b->nmaster; m++) {
        struct pcf_master *mb = &b->master[m];
        struct pcf_master *ma = find_service(a, mb->name_space);
        struct strv names;

        if (ma == NULL || find_service(b, mb->name_space) != mb)
            continue;
        strv_init(&names);
        for (size_t i = 0; i < htab_count(b->params); i++)
            if (relevant(mb, htab_key(b->params, i)))
                strv_add(&names, htab_key(b->params, i));
        {
            struct strv ka = pcf_dict_keys(ma->all_params);
            struct strv kb = pcf_dict_keys(mb->all_params);

            for (size_t k = 0; k < ka.n; k++)
                strv_add(&names, ka.v[k]);
            for (size_t k = 0; k < kb.n; k++)
                strv_add(&names, kb.v[k]);
            strv_fini(&ka);
            strv_fini(&kb);
        }
        strv_sort(&names);
        for (size_t i = 0; i < names.n; i++) {
            char *ea, *eb;

            if (i > 0 && strcmp(names.v[i], names.v[i - 1]) == 0)
                continue;
            ea = effective(a, names.v[i], ma);
            eb = effective(b, names.v[i], mb);
            if (!same_value(names.v[i], ea, eb)) {
                if (d->json) {
                    struct out_val *o = out_obj_new();

                    out_obj_str(o, "service", mb->name_space);
                    out_obj_str(o, "name", names.v[i]);
                    out_obj_str(o, "a", ea);
                    out_obj_str(o, "b", eb);
                    out_arr_add(d->jeff, o);
                } else {
                    if (!header++)
                        printf("\nwhat each service's daemon sees:\n");
                    printf("  %s (%s): %s = %s\n      was: %s\n",
                           mb->name_space, mb->argv.v[PCF_FLD_CMD], names.v[i],
                           show(eb), show(ea));
                }
            }
            mem_free(ea);
            mem_free(eb);
        }
        strv_fini(&names);
    }
}

int
pcf_diff_run(const struct pcf_diff_opts *o)
{
    struct diff d;
    struct side sa, sb;
    const char *const *specs = o->specs;
    int defaults = o->defaults;

    memset(&d, 0, sizeof(d));
    d.expand = o->expand;
    d.json = o->json;
    d.color = !d.json && isatty(1) && getenv("NO_COLOR") == NULL;
    memset(&sa, 0, sizeof(sa));
    memset(&sb, 0, sizeof(sb));
    snprintf(sa.tmpdir, sizeof(sa.tmpdir), "%s", "/tmp/postern-diff-a.XXXXXX");
    snprintf(sb.tmpdir, sizeof(sb.tmpdir), "%s", "/tmp/postern-diff-b.XXXXXX");
    if (mkdtemp(sa.tmpdir) == NULL || mkdtemp(sb.tmpdir) == NULL)
        log_fatal("create temporary directory: %s", strerror(errno));
    if (defaults) {
        char *x;

        materialize(&sb, specs[0]);
        x = join(sa.tmpdir, "main.cf");
        empty_file(x);
        mem_free(x);
        x = join(sa.tmpdir, "master.cf");
        copy_file(join(sb.tmpdir, "master.cf"), x);
        mem_free(x);
        sa.label = "(Postfix defaults)";
        sb.label = specs[0];
    } else {
        materialize(&sa, specs[0]);
        materialize(&sb, specs[1]);
        sa.label = specs[0];
        sb.label = specs[1];
    }
    sa.p = pcf_load(sa.tmpdir);
    sb.p = pcf_load(sb.tmpdir);
    if (d.json) {
        d.jmain = out_arr_new();
        d.jmaster = out_arr_new();
        d.jeff = out_arr_new();
    } else {
        printf("--- %s\n+++ %s\n", sa.label, sb.label);
        printf("\nmain.cf:\n");
    }
    main_diff(&d, sa.p, sb.p);
    if (d.expand)
        expanded_diff(&d, sa.p, sb.p);
    master_diff(&d, sa.p, sb.p);
    service_effective(&d, sa.p, sb.p);
    if (d.json) {
        struct out_val *root = out_obj_new();

        out_obj_str(root, "a", sa.label);
        out_obj_str(root, "b", sb.label);
        out_obj_bool(root, "different", d.changes > 0);
        out_obj_add(root, "main", d.jmain);
        out_obj_add(root, "master", d.jmaster);
        out_obj_add(root, "effective", d.jeff);
        if (out_print(root, stdout) < 0)
            log_fatal("write error on standard output");
        out_free(root);
    } else if (d.changes == 0) {
        printf("(no differences)\n");
    }
    if (rm_tmpdir(sa.tmpdir) < 0 || rm_tmpdir(sb.tmpdir) < 0)
        log_warn("could not remove %s and %s", sa.tmpdir, sb.tmpdir);
    if (fflush(stdout) != 0)
        log_fatal("write error on standard output");
    return d.changes ? 1 : 0;
}
