/*
 * maps_index - source files of lookup tables and their index files:
 * what "postern map build" (postmap/postalias, lib/tools/cli/cli_map.c) does.
 *
 * DESCRIPTION
 *	A table named hash:/etc/aliases (or btree:, lmdb:, cdb:, texthash:)
 *	is read from its text source. "postern map build FILE" checks the
 *	source like postmap (duplicate keys, lines that are not entries,
 *	with line numbers) and writes FILE.pdb, a sorted index that the
 *	daemons map and binary-search instead of parsing the source, as
 *	long as it is not older than the source. Format: "PMAP1\n" + 2
 *	bytes (alias syntax flag, 0), u32 count, count x (u32 key offset,
 *	u32 value offset) sorted by key, then NUL-terminated strings.
 *
 *	As postmap(1): the index gets the source's group/other read bits
 *	(never more than 0644), and run as root, the build runs as the
 *	source's owner and group. FILE.pdb is written through
 *	conf_write_file() (FILE.pdb.tmp, O_EXCL|O_NOFOLLOW, lock protocol).
 */
#define _DEFAULT_SOURCE /* setgroups */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "maps/maps.h"
#include "maps/maps_int.h"

#define MAGIC "PMAP1\n"
#define HDR   (8 + 4)

/* parse_text - the entries of a source's text (NUL terminated; freed) */
static void
parse_text(char *text, int alias, maps_entry_fn *fn, maps_bad_fn *bad,
           void *ctx)
{
    char *p;
    struct buf logical;
    int lineno = 0, start = 0;

    buf_init(&logical, 0);
    p = text;
    /* logical lines: a line starting with white space continues the
     * previous one; # comments and empty lines separate nothing */
    for (;;) {
        char *nl = p && *p ? strchr(p, '\n') : NULL;
        char *line = p && *p ? p : NULL;
        int cont;

        if (line) {
            if (nl)
                *nl = 0;
            lineno++;
        }
        cont = line && (line[0] == ' ' || line[0] == '\t') &&
               *str_trim(line) != '#' && *line != 0;
        if (line && (line[0] == '#' || *str_trim(line) == 0)) {
            p = nl ? nl + 1 : NULL;
            continue;
        }
        if (line && cont && logical.len) {
            (void) buf_putc(&logical, ' ');
            (void) buf_puts(&logical, str_trim(line));
            p = nl ? nl + 1 : NULL;
            continue;
        }
        if (logical.len) {
            char *k = logical.data, *v;

            if (alias) {
                v = strchr(k, ':');
                if (v == NULL) {
                    if (bad)
                        bad(ctx, start);
                } else {
                    *v++ = 0;
                    str_trim(k);
                    if (k[0] == '"' && strlen(k) > 1 &&
                        k[strlen(k) - 1] == '"') {
                        k[strlen(k) - 1] = 0;
                        k++;
                    }
                    fn(ctx, k, str_trim(v), start);
                }
            } else {
                size_t kl;

                v = k;
                while (*v && !isspace((unsigned char) *v))
                    v++;
                if (*v)
                    *v++ = 0;
                kl = strlen(k);
                /* an aliases(5) file used as a plain table */
                if (kl > 1 && k[kl - 1] == ':')
                    k[kl - 1] = 0;
                v = str_trim(v);
                if (*v == 0 && bad)
                    bad(ctx, start);
                else
                    fn(ctx, k, v, start);
            }
            buf_truncate(&logical, 0);
        }
        if (line == NULL)
            break;
        start = lineno;
        (void) buf_puts(&logical, str_trim(line));
        p = nl ? nl + 1 : NULL;
    }
    buf_fini(&logical);
    mem_free(text);
}

int
maps_parse_source(const char *path, int alias, maps_entry_fn *fn,
                  maps_bad_fn *bad, void *ctx)
{
    char *text;
    size_t len;

    if (util_read_file(path, (size_t) 1 << 30, &text, &len) < 0)
        return -1;
    parse_text(text, alias, fn, bad, ctx);
    return 0;
}

struct maps_index {
    void *map; /* as mmap returned it, for munmap */
    const unsigned char *base;
    size_t size;
    uint32_t count;
};

static uint32_t
be32(const unsigned char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 |
           (uint32_t) p[2] << 8 | p[3];
}

struct maps_index *
maps_index_open(const char *path, int alias)
{
    char ipath[4200];
    struct stat src, st;
    int fd;
    void *base;
    struct maps_index *ix;
    uint32_t count;

    snprintf(ipath, sizeof(ipath), "%s.pdb", path);
    fd = open(ipath, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) < 0 || st.st_size < HDR ||
        (stat(path, &src) == 0 &&
         (src.st_mtim.tv_sec > st.st_mtim.tv_sec ||
          (src.st_mtim.tv_sec == st.st_mtim.tv_sec &&
           src.st_mtim.tv_nsec > st.st_mtim.tv_nsec)))) {
        (void) close(fd);
        return NULL;
    }
    base = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    (void) close(fd);
    if (base == MAP_FAILED)
        return NULL;
    count = be32((const unsigned char *) base + 8);
    if (memcmp(base, MAGIC, 6) != 0 ||
        ((const unsigned char *) base)[6] != alias ||
        (uint64_t) HDR + (uint64_t) count * 8 > (uint64_t) st.st_size) {
        munmap(base, (size_t) st.st_size);
        return NULL;
    }
    ix = mem_calloc(1, sizeof(*ix));
    ix->map = base;
    ix->base = base;
    ix->size = (size_t) st.st_size;
    ix->count = count;
    return ix;
}

void
maps_index_close(struct maps_index *ix)
{
    if (ix == NULL)
        return;
    munmap(ix->map, ix->size);
    mem_free(ix);
}

/* str_at - a NUL-terminated string inside the file, or NULL */
static const char *
str_at(const struct maps_index *ix, uint32_t off)
{
    if (off >= ix->size || memchr(ix->base + off, 0, ix->size - off) == NULL)
        return NULL;
    return (const char *) ix->base + off;
}

const char *
maps_index_find(const struct maps_index *ix, const char *key)
{
    uint32_t lo = 0, hi = ix->count;

    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        const unsigned char *e = ix->base + HDR + (size_t) mid * 8;
        const char *k = str_at(ix, be32(e));
        int c;

        if (k == NULL)
            return NULL;
        c = strcmp(key, k);
        if (c == 0)
            return str_at(ix, be32(e + 4));
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- postern map ---- */

struct build {
    const char *path;
    struct htab *seen; /* key -> line (as pointer) */
    struct strv keys, values;
    int fold;
    unsigned warnings;
    int alias;
};

static void
build_entry(void *ctx, char *key, const char *value, int line)
{
    struct build *b = ctx;

    if (b->fold)
        for (char *c = key; *c; c++)
            *c = (char) tolower((unsigned char) *c);
    if (htab_has(b->seen, key)) {
        log_msg("postern map", LOG_LEVEL_WARN,
                "%s, line %d: duplicate entry: "
                "\"%s\"",
                b->path, line, key);
        b->warnings++;
        return;
    }
    htab_set(b->seen, key, NULL);
    strv_add(&b->keys, key);
    strv_add(&b->values, value);
}

static void
build_bad(void *ctx, int line)
{
    struct build *b = ctx;

    log_msg("postern map", LOG_LEVEL_WARN, "%s, line %d: %s", b->path, line,
            b->alias ? "need name:value pair"
                     : "expected format: key whitespace value");
    b->warnings++;
}

static const struct build *sort_b;

static int
cmp_idx(const void *a, const void *b)
{
    return strcmp(sort_b->keys.v[*(const uint32_t *) a],
                  sort_b->keys.v[*(const uint32_t *) b]);
}

static void
put_be32(struct buf *o, uint32_t v)
{
    char c[4] = {(char) (v >> 24), (char) (v >> 16), (char) (v >> 8), (char) v};

    (void) buf_append(o, c, 4);
}

/* strip_type - "hash:/etc/aliases" -> "/etc/aliases" */
static const char *
strip_type(const char *arg)
{
    const char *c = strchr(arg, ':');

    if (c && arg[0] != '/')
        return c + 1;
    return arg;
}

/* build_index - the index of source text (freed) as FILE.pdb, mode mode */
static int
build_index(const char *arg, int alias, char *text, mode_t mode)
{
    struct build b;
    uint32_t *order, n, off;
    struct buf out, strings;
    char final[4200], *err = NULL;
    int rc = 0;

    memset(&b, 0, sizeof(b));
    b.path = strip_type(arg);
    b.alias = alias;
    b.seen = htab_new(256);
    b.fold = 1;
    strv_init(&b.keys);
    strv_init(&b.values);
    parse_text(text, alias, build_entry, build_bad, &b);
    n = (uint32_t) b.keys.n;
    order = mem_calloc(n + 1, sizeof(*order));
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    sort_b = &b;
    if (n)
        qsort(order, n, sizeof(*order), cmp_idx);
    buf_init(&out, 0);
    buf_init(&strings, 0);
    (void) buf_append(&out, MAGIC, 6);
    (void) buf_putc(&out, alias ? 1 : 0);
    (void) buf_putc(&out, 0);
    put_be32(&out, n);
    off = HDR + n * 8;
    for (uint32_t i = 0; i < n; i++) {
        const char *k = b.keys.v[order[i]], *v = b.values.v[order[i]];

        put_be32(&out, off + (uint32_t) strings.len);
        (void) buf_append(&strings, k, strlen(k) + 1);
        put_be32(&out, off + (uint32_t) strings.len);
        (void) buf_append(&strings, v, strlen(v) + 1);
    }
    (void) buf_append(&out, strings.data ? strings.data : "", strings.len);
    mem_free(order);
    /*
     * Atomically, and safe in a directory others can write to: FILE.pdb.tmp
     * made with O_EXCL|O_NOFOLLOW under the editors' lock protocol (so two
     * builds take turns), fsync, rename, fsync of the directory.
     */
    snprintf(final, sizeof(final), "%s.pdb", b.path);
    if (conf_write_file(final, out.data ? out.data : "", out.len, mode, &err) <
        0) {
        log_msg("postern map", LOG_LEVEL_FATAL, "%s", err);
        mem_free(err);
        rc = 1;
    }
    buf_fini(&out);
    buf_fini(&strings);
    htab_free(b.seen, NULL);
    strv_fini(&b.keys);
    strv_fini(&b.values);
    return rc;
}

/*
 * maps_build - "postern map build FILE" as postmap(1) does it: the source is
 * opened once (a FIFO does not block us) and must be a regular file; the
 * index is no more readable than the source (group/other read bits as the
 * source's, as postmap's umask does); run as root, the index is built and
 * written as the source's owner and group (postmap's set_eugid), in a child
 * process, so that root never writes on behalf of a file's owner where that
 * owner could not.
 */
int
maps_build(const char *arg, int alias)
{
    const char *path = strip_type(arg);
    struct stat st;
    struct buf text;
    char chunk[65536];
    ssize_t got;
    pid_t pid;
    int fd, status;
    mode_t mode;

    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
        log_msg("postern map", LOG_LEVEL_FATAL, "open %s: %s", path,
                strerror(errno));
        return 1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        log_msg("postern map", LOG_LEVEL_FATAL, "%s: %s", path,
                S_ISREG(st.st_mode) ? strerror(errno) : "not a regular file");
        close(fd);
        return 1;
    }
    buf_init(&text, (size_t) 1 << 30);
    while ((got = read(fd, chunk, sizeof(chunk))) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 || buf_append(&text, chunk, (size_t) got) < 0) {
            log_msg("postern map", LOG_LEVEL_FATAL, "read %s: %s", path,
                    strerror(got < 0 ? errno : EFBIG));
            close(fd);
            buf_fini(&text);
            return 1;
        }
    }
    close(fd);
    mode = 0600 | (st.st_mode & 044);
    if (getuid() != 0 || (st.st_uid == geteuid() && st.st_gid == getegid()))
        return build_index(arg, alias, buf_steal(&text), mode);
    fflush(stdout);
    fflush(stderr);
    if ((pid = fork()) < 0) {
        log_msg("postern map", LOG_LEVEL_FATAL, "fork: %s", strerror(errno));
        buf_fini(&text);
        return 1;
    }
    if (pid == 0) {
        if (setgroups(1, &st.st_gid) < 0 || setgid(st.st_gid) < 0 ||
            setuid(st.st_uid) < 0) {
            log_msg("postern map", LOG_LEVEL_FATAL,
                    "run as the owner of %s (uid %ld, "
                    "gid %ld): %s",
                    path, (long) st.st_uid, (long) st.st_gid, strerror(errno));
            _exit(1);
        }
        _exit(build_index(arg, alias, buf_steal(&text), mode));
    }
    buf_fini(&text);
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
