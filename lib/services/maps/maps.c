/*
 * maps - lookup tables and match lists.
 *
 * DESCRIPTION
 *	See maps.h. Text tables are loaded into a string hash on first
 *	use ("key value" per line, # comments, leading-space continuation
 *	lines; for aliases "key: value").
 *
 *	Every table set of the process is on one list, so that
 *	maps_pre_jail can read them all before a chroot, whichever module
 *	made them (Postfix's daemons open their dictionaries in
 *	pre_jail_init for the same reason).
 */
#define _DEFAULT_SOURCE 1 /* strcasecmp */
#include "maps/maps.h"

#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "conf/conf.h"
#include "maillog/maillog.h"
#include "maps/maps_dbfile.h"
#include "maps/maps_int.h"

/* the table types lib/services/maps opens: the one list (maps_type_supported)
 */
static const struct {
    const char *type;
    enum maps_kind kind;
} types[] = {
    {"texthash", K_TEXT}, {"hash", K_TEXT},     {"btree", K_TEXT},
    {"lmdb", K_TEXT},     {"cdb", K_TEXT},      {"dbm", K_TEXT},
    {"sdbm", K_TEXT},     {"inline", K_INLINE}, {"static", K_STATIC},
    {"regexp", K_REGEXP}, {"pcre", K_REGEXP},   {"cidr", K_CIDR},
    {"unix", K_UNIX},     {"nis", K_NIS},
};

enum maps_kind
maps_kind_of(const char *type)
{
    if (maps_driver_of(type))
        return K_DRIVER;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i].type, type) == 0)
            return types[i].kind;
    return K_NONE;
}

int
maps_type_supported(const char *type)
{
    /* proxy: is a wrapper: its inner type decides (maps_check_table) */
    return strcmp(type, "proxy") == 0 || maps_kind_of(type) != K_NONE;
}

struct table {
    enum maps_kind kind;
    char *type;
    char *name;
    int proxied; /* proxy:type:name */
    int loaded;
    int failed;
    struct htab *h;                /* K_TEXT, K_INLINE */
    char *static_value;            /* K_STATIC */
    struct maps_pat *pat;          /* K_REGEXP (maps_pcre.c) */
    struct maps_cidr *cidr;        /* K_CIDR (maps_cidr.c) */
    struct htab *unix_cache;       /* K_UNIX */
    const struct maps_driver *drv; /* K_DRIVER */
    void *drv_h;
    int watched; /* st: the file as it was when read */
    struct stat st;
    int watch_fd;     /* the file, open: fstat works inside a jail */
    char *watch_path; /* the file watched: name, or its NAME.db ... */
};

struct maps {
    char *title;
    unsigned flags;
    struct table *t;
    size_t n;
    char err[512];
    struct buf result;
    struct maps *prev, *next; /* every table set of the process */
};

static struct maps *all_maps;
static int jailed; /* maps_pre_jail ran: proxy: tables are remote */

/* maps_fold - see maps_int.h */
void
maps_fold(char *s)
{
    for (; *s; s++)
        *s = (char) tolower((unsigned char) *s);
}

/* parse_spec - split "type:name, type:{...}" into tables */
static void
add_table(struct maps *m, const char *item)
{
    const char *colon = strchr(item, ':');
    struct table *t;
    char *type;

    m->t = mem_realloc(m->t, (m->n + 1) * sizeof(*m->t));
    t = &m->t[m->n++];
    memset(t, 0, sizeof(*t));
    if (colon == NULL) {
        t->kind = K_NONE;
        t->type = mem_strdup(item);
        t->name = mem_strdup("");
        t->failed = 1;
        return;
    }
    type = mem_strndup(item, (size_t) (colon - item));
    /* proxy:type:name: type:name, in this process or by proxymap */
    while (strcmp(type, "proxy") == 0 && strchr(colon + 1, ':')) {
        const char *c2 = strchr(colon + 1, ':');

        mem_free(type);
        type = mem_strndup(colon + 1, (size_t) (c2 - colon - 1));
        colon = c2;
        t->proxied = 1;
    }
    t->type = type;
    t->name = mem_strdup(colon + 1);
    t->kind = maps_kind_of(type);
    if (t->kind == K_DRIVER)
        t->drv = maps_driver_of(type);
}

void
maps_split(const char *spec, struct strv *out)
{
    conf_list_split(spec, out, 0);
}

struct maps *
maps_new(const char *title, const char *spec, unsigned flags)
{
    struct maps *m = mem_calloc(1, sizeof(*m));

    m->title = mem_strdup(title);
    m->flags = flags;
    buf_init(&m->result, 0);
    {
        struct strv items;

        strv_init(&items);
        maps_split(spec, &items);
        for (size_t i = 0; i < items.n; i++)
            add_table(m, items.v[i]);
        strv_fini(&items);
    }
    m->next = all_maps;
    if (all_maps)
        all_maps->prev = m;
    all_maps = m;
    return m;
}

void
maps_free(struct maps *m)
{
    if (m == NULL)
        return;
    if (m->prev)
        m->prev->next = m->next;
    else if (all_maps == m)
        all_maps = m->next;
    if (m->next)
        m->next->prev = m->prev;
    for (size_t i = 0; i < m->n; i++) {
        struct table *t = &m->t[i];

        if (t->h)
            htab_free(t->h, mem_free);
        maps_unix_cache_free(t->unix_cache);
        if (t->drv && t->drv_h)
            t->drv->close(t->drv_h);
        maps_pat_free(t->pat);
        maps_cidr_free(t->cidr);
        mem_free(t->static_value);
        mem_free(t->type);
        mem_free(t->name);
        if (t->watched)
            (void) close(t->watch_fd);
        mem_free(t->watch_path);
    }
    mem_free(m->t);
    buf_fini(&m->result);
    mem_free(m->title);
    mem_free(m);
}

int
maps_empty(const struct maps *m)
{
    return m->n == 0;
}

const char *
maps_error(const struct maps *m)
{
    return m->err;
}

/* put - key/value into a table hash (first one wins, as postmap warns) */
static void
put(struct htab *h, char *key, const char *value, unsigned flags)
{
    if (!(flags & MAPS_F_NOFOLD))
        maps_fold(key);
    if (!htab_has(h, key))
        htab_set(h, key, mem_strdup(value));
}

/* load_text - the source file ("key value", or "key: value" for
 * aliases): texthash: */
struct load_ctx {
    struct table *t;
    unsigned flags;
};

static void
load_entry(void *ctx, char *key, const char *value, int line)
{
    struct load_ctx *lc = ctx;

    (void) line;
    put(lc->t->h, key, value, lc->flags);
}

/* load_thash_entry - a texthash: entry; "key:" (an aliases(5) file
 * used as a plain table) is found as "key" too, as Postern's other text
 * tables find it; Postfix's warning about it is left out here */
static void
load_thash_entry(void *ctx, char *key, const char *value, int line)
{
    struct load_ctx *lc = ctx;
    size_t kl = strlen(key);

    load_entry(ctx, key, value, line);
    if (kl > 1 && key[kl - 1] == ':') {
        key[kl - 1] = 0;
        put(lc->t->h, key, value, lc->flags);
    }
}

static int
load_text(struct maps *m, struct table *t)
{
    struct load_ctx lc = {t, m->flags};
    int alias = (m->flags & MAPS_F_ALIAS) != 0;

    t->h = htab_new(64);
    if ((!alias && strcmp(t->type, "texthash") == 0
             ? maps_thash_parse(t->name, m->flags, 1, load_thash_entry, &lc)
             : maps_parse_source(t->name, alias, load_entry, NULL, &lc)) < 0) {
        snprintf(m->err, sizeof(m->err), "%s: open %s:%s: %s", m->title,
                 t->type, t->name, strerror(errno));
        return -1;
    }
    return 0;
}

static int
load_inline(struct maps *m, struct table *t)
{
    char why[400];

    t->h = htab_new(16);
    if (maps_inline_load(t->name, m->flags, t->h, why, sizeof(why)) < 0) {
        snprintf(m->err, sizeof(m->err), "%s: %s", m->title, why);
        return -1;
    }
    return 0;
}

/* inline_rules - "{{rule}, {rule} ...}" as the lines of a table source
 * (Postfix 3.7's in-line regexp/pcre/cidr tables, as the default of
 * smtpd_forbidden_commands uses); -1 with m->err set */
static int
inline_rules(struct maps *m, struct table *t, char **text)
{
    size_t n = strlen(t->name);
    char *body;
    struct strv items;
    struct buf b;
    int rc = 0;

    if (n < 2 || t->name[n - 1] != '}') {
        snprintf(m->err, sizeof(m->err), "%s: %s:%s: need {...}", m->title,
                 t->type, t->name);
        return -1;
    }
    body = mem_strndup(t->name + 1, n - 2);
    strv_init(&items);
    maps_split(body, &items);
    buf_init(&b, 0);
    for (size_t i = 0; i < items.n && rc == 0; i++) {
        size_t il = strlen(items.v[i]);

        if (il < 2 || items.v[i][0] != '{' || items.v[i][il - 1] != '}') {
            snprintf(m->err, sizeof(m->err),
                     "%s: %s:%s: need {rule} for each rule, not %s", m->title,
                     t->type, t->name, items.v[i]);
            rc = -1;
        } else {
            (void) buf_printf(&b, "%.*s\n", (int) (il - 2), items.v[i] + 1);
        }
    }
    strv_fini(&items);
    mem_free(body);
    if (b.data == NULL)
        (void) buf_puts(&b, "");
    *text = buf_steal(&b);
    if (rc < 0) {
        mem_free(*text);
        *text = NULL;
    }
    return rc;
}

/* read_table - a table's source file, whole; -1 with m->err set */
static int
read_table(struct maps *m, struct table *t, char **text)
{
    size_t len;

    if (t->name[0] == '{')
        return inline_rules(m, t, text);
    if (util_read_file(t->name, (size_t) 1 << 26, text, &len) < 0) {
        snprintf(m->err, sizeof(m->err), "%s: open %s:%s: %s", m->title,
                 t->type, t->name, strerror(errno));
        return -1;
    }
    return 0;
}

/* maps_rx_line - see maps_int.h: the one parser of regexp: lines */
int
maps_rx_line(char *l, char **pat, int *cflags, int *neg, char **result)
{
    char *end, *flags;

    *cflags = REG_EXTENDED | REG_ICASE;
    *neg = 0;
    if (*l == 0 || *l == '#')
        return 0;
    if (*l == '!') {
        *neg = 1;
        l++;
    }
    if (*l != '/')
        return 0;
    /* the pattern ends at the last '/' before white space */
    end = l + 1;
    while (*end &&
           !(*end == '/' && (isspace((unsigned char) end[1]) ||
                             isalpha((unsigned char) end[1]) || end[1] == 0)))
        end++;
    if (*end != '/')
        return 0;
    *end = 0;
    *pat = l + 1;
    flags = end + 1;
    while (*flags && !isspace((unsigned char) *flags)) {
        if (*flags == 'i')
            *cflags ^= REG_ICASE;
        flags++;
    }
    *result = str_trim(flags);
    return 1;
}

static int
load_regexp(struct maps *m, struct table *t)
{
    char *text;
    char map[1100];

    if (read_table(m, t, &text) < 0)
        return -1;
    snprintf(map, sizeof(map), "%s map %s", t->type, t->name);
    t->pat = maps_pat_parse(text, strcmp(t->type, "pcre") == 0, map);
    mem_free(text);
    return 0;
}

static int
load_cidr(struct maps *m, struct table *t)
{
    char *text;

    if (read_table(m, t, &text) < 0)
        return -1;
    t->cidr = maps_cidr_parse(text, t->name);
    mem_free(text);
    return 0;
}

static int
load(struct maps *m, struct table *t)
{
    int rc = 0;

    if (t->loaded)
        return t->failed ? -1 : 0;
    t->loaded = 1;
    if (t->proxied && jailed)
        return 0; /* proxymap opens it */
    if (t->kind == K_TEXT || t->kind == K_REGEXP || t->kind == K_CIDR ||
        (t->kind == K_DRIVER && (t->drv->flags & MAPS_DRV_FILE)))
        /* a hash: (lmdb:, cdb:) table changes when its database file
         * does, as Postfix's daemons watch it (maps_dbfile.c) */
        if ((t->watch_path = maps_dbfile_watch(t->type, t->name)) != NULL &&
            (t->watch_fd =
                 open(t->watch_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) >= 0 &&
            !(t->watched = fstat(t->watch_fd, &t->st) == 0))
            (void) close(t->watch_fd);
    switch (t->kind) {
    case K_TEXT:
        rc = load_text(m, t);
        break;
    case K_INLINE:
        rc = load_inline(m, t);
        break;
    case K_STATIC: {
        char why[400];

        if ((t->static_value = maps_static_value(t->name, why, sizeof(why))) ==
            NULL) {
            snprintf(m->err, sizeof(m->err), "%s: %s", m->title, why);
            rc = -1;
        }
        break;
    }
    case K_REGEXP:
        rc = load_regexp(m, t);
        break;
    case K_CIDR:
        rc = load_cidr(m, t);
        break;
    case K_UNIX:
        if (!maps_unix_known(t->name)) {
            snprintf(m->err, sizeof(m->err), "%s: unsupported table unix:%s",
                     m->title, t->name);
            rc = -1;
        }
        break;
    case K_DRIVER: {
        char why[400] = "";

        t->drv_h = t->drv->open(t->name, m->flags, why, sizeof(why));
        if (t->drv_h == NULL) {
            snprintf(m->err, sizeof(m->err), "%s: %s:%s: %s", m->title, t->type,
                     t->name, why[0] ? why : "cannot open");
            rc = -1;
        }
        break;
    }
    case K_NIS:
        break;
    case K_NONE:
        log_warn("%s: table type \"%s\" is not supported by "
                 "Postern; %s:%s finds nothing",
                 m->title, t->type, t->type, t->name);
        break;
    }
    t->failed = rc < 0;
    return rc;
}

/* proxy_find - key in table t through the proxymap service; the value
 * in m->result, or MAPS_ERROR with m->err */
static enum maps_result
proxy_find(struct maps *m, struct table *t, const char *key)
{
    struct buf table;
    int st;

    buf_init(&table, 0);
    (void) buf_printf(&table, "%s:%s", t->type, t->name);
    st = maps_proxy_call(MAPS_PROXY_LOOKUP, buf_str(&table), m->flags, key,
                         &m->result);
    buf_fini(&table);
    switch (st) {
    case MAPS_PROXY_OK:
        return MAPS_FOUND;
    case MAPS_PROXY_NOKEY:
        return MAPS_NOTFOUND;
    case MAPS_PROXY_DENY:
        snprintf(m->err, sizeof(m->err),
                 "%s: proxymap refuses table %s:%s: list proxy:%s:%s in "
                 "proxy_read_maps",
                 m->title, t->type, t->name, t->type, t->name);
        break;
    default:
        snprintf(m->err, sizeof(m->err), "%s: proxy:%s:%s: %s", m->title,
                 t->type, t->name,
                 *buf_str(&m->result) ? buf_str(&m->result)
                                      : "lookup error in the proxymap service");
        break;
    }
    buf_truncate(&m->result, 0);
    return MAPS_ERROR;
}

int
maps_pre_jail(char *err, size_t errlen)
{
    struct buf why, name;
    int rc = 0;

    buf_init(&why, 0);
    buf_init(&name, 0);
    err[0] = 0;
    for (struct maps *m = all_maps; m && rc == 0; m = m->next) {
        for (size_t i = 0; i < m->n && rc == 0; i++) {
            struct table *t = &m->t[i];
            const char *table;
            int st;

            if (t->kind == K_NONE || t->kind == K_NIS)
                continue;
            buf_truncate(&name, 0);
            (void) buf_printf(&name, "%s:%s", t->type, t->name);
            table = buf_str(&name);
            if (!t->proxied) {
                if (t->kind == K_UNIX) {
                    snprintf(err, errlen,
                             "%s: table %s cannot be searched inside the "
                             "chroot jail (NSS reads files under /etc); use "
                             "proxy:%s, as Postfix's default "
                             "local_recipient_maps does, or chroot n in "
                             "master.cf",
                             m->title, table, table);
                    rc = -1;
                }
                /* files outside the jail: read now (a table that fails
                 * keeps failing as it did outside, with its own error) */
                (void) load(m, t);
                continue;
            }
            /* proxymap checks that it may and can open the table (and
             * master starts it if it is not running) */
            st = maps_proxy_call(MAPS_PROXY_OPEN, table, m->flags, NULL, &why);
            if (st == MAPS_PROXY_DENY) {
                snprintf(err, errlen,
                         "%s: the proxymap service refuses table %s: list "
                         "proxy:%s in proxy_read_maps",
                         m->title, table, table);
                rc = -1;
            } else if (st < 0) {
                snprintf(err, errlen,
                         "%s: table proxy:%s: %s (is proxymap in master.cf?)",
                         m->title, table, buf_str(&why));
                rc = -1;
            } else if (st != MAPS_PROXY_OK) {
                snprintf(err, errlen, "%s: table proxy:%s: %s", m->title, table,
                         buf_str(&why));
                rc = -1;
            }
        }
    }
    buf_fini(&why);
    buf_fini(&name);
    if (rc == 0)
        jailed = 1;
    return rc;
}

const char *
maps_changed(void)
{
    static char name[1100];

    for (struct maps *m = all_maps; m; m = m->next)
        for (size_t i = 0; i < m->n; i++) {
            struct table *t = &m->t[i];
            struct stat st;

            if (!t->watched)
                continue;
            /* outside a jail the name tells (a file replaced by rename);
             * inside, the open file (unlinked: replaced; else its time) */
            if ((jailed ? fstat(t->watch_fd, &st) < 0 || st.st_nlink == 0
                        : stat(t->watch_path, &st) < 0) ||
                st.st_ino != t->st.st_ino || st.st_dev != t->st.st_dev ||
                st.st_size != t->st.st_size ||
                st.st_mtim.tv_sec != t->st.st_mtim.tv_sec ||
                st.st_mtim.tv_nsec != t->st.st_mtim.tv_nsec ||
                (!jailed &&
                 maps_dbfile_appeared(t->type, t->name, t->watch_path))) {
                snprintf(name, sizeof(name), "%s:%s", t->type, t->name);
                return name;
            }
        }
    return NULL;
}

int
maps_preload(struct maps *m)
{
    int rc = 0;

    for (size_t i = 0; i < m->n; i++)
        if (load(m, &m->t[i]) < 0 && m->t[i].kind != K_NONE)
            rc = -1;
    return rc;
}

/* find - maps_find; partial: skip the pattern tables (regexp, pcre,
 * cidr), as Postfix's DICT_FLAG_FIXED lookups do */
static enum maps_result
find(struct maps *m, const char *key, const char **value, int partial)
{
    char *k = mem_strdup(key);

    if (!(m->flags & MAPS_F_NOFOLD))
        maps_fold(k);
    for (size_t i = 0; i < m->n; i++) {
        struct table *t = &m->t[i];
        const char *v = NULL;

        if (partial &&
            (t->kind == K_REGEXP || t->kind == K_CIDR ||
             (t->kind == K_DRIVER && (t->drv->flags & MAPS_DRV_PATTERN))))
            continue;
        if (t->proxied && jailed && t->kind != K_NONE) {
            enum maps_result r = proxy_find(m, t, key);

            if (r == MAPS_NOTFOUND)
                continue;
            *value = buf_str(&m->result);
            mem_free(k);
            return r;
        }
        if (load(m, t) < 0) {
            if (t->kind == K_NONE)
                continue;
            mem_free(k);
            if (!m->err[0])
                snprintf(m->err, sizeof(m->err), "%s: bad table %s:%s",
                         m->title, t->type, t->name);
            return MAPS_ERROR;
        }
        switch (t->kind) {
        case K_TEXT:
            v = htab_find(t->h, k);
            break;
        case K_INLINE:
            v = htab_find(t->h, k);
            break;
        case K_STATIC:
            v = t->static_value;
            break;
        case K_REGEXP:
            v = maps_pat_find(t->pat, key, &m->result);
            break;
        case K_CIDR:
            v = maps_cidr_find(t->cidr, key);
            break;
        case K_UNIX: {
            enum maps_result r;

            if (jailed) {
                /* NSS reads /etc: maps_pre_jail refused this table */
                snprintf(m->err, sizeof(m->err),
                         "%s: table unix:%s cannot be searched inside a "
                         "chroot jail; use proxy:unix:%s",
                         m->title, t->name, t->name);
                mem_free(k);
                return MAPS_ERROR;
            }
            r = maps_unix_find(&t->unix_cache, t->name, k, &v, m->err,
                               sizeof(m->err));
            if (r == MAPS_ERROR) {
                mem_free(k);
                return MAPS_ERROR;
            }
            break;
        }
        case K_DRIVER: {
            char why[400] = "";
            enum maps_result r;

            buf_truncate(&m->result, 0);
            r = t->drv->find(t->drv_h,
                             (t->drv->flags & MAPS_DRV_RAWKEY) ? key : k,
                             &m->result, why, sizeof(why));
            if (r == MAPS_ERROR && !(m->flags & MAPS_F_NOWARN)) {
                /* Postfix's maps_find warning, for every table type */
                log_warn("%s:%s lookup error for \"%s\"", t->type, t->name,
                         (t->drv->flags & MAPS_DRV_RAWKEY) ? key : k);
            }
            if (r == MAPS_ERROR) {
                snprintf(m->err, sizeof(m->err), "%s: %s:%s: %s", m->title,
                         t->type, t->name, why[0] ? why : "lookup error");
                mem_free(k);
                return MAPS_ERROR;
            }
            if (r == MAPS_FOUND)
                v = buf_str(&m->result);
            break;
        }
        case K_NIS:
        case K_NONE:
            break;
        }
        if (v) {
            if (v != buf_str(&m->result)) {
                buf_truncate(&m->result, 0);
                (void) buf_puts(&m->result, v);
            }
            *value = buf_str(&m->result);
            mem_free(k);
            return MAPS_FOUND;
        }
    }
    mem_free(k);
    return MAPS_NOTFOUND;
}

enum maps_result
maps_find(struct maps *m, const char *key, const char **value)
{
    return find(m, key, value, 0);
}

enum maps_result
maps_find_partial(struct maps *m, const char *key, const char **value)
{
    return find(m, key, value, 1);
}
