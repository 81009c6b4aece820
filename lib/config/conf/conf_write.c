/*
 * conf_write - safe, atomic replacement of a configuration file.
 *
 * DESCRIPTION
 *	An edit locks PATH.tmp the way Postfix's edit_file(3) does, so a
 *	concurrent "postconf -e" and "postern conf -e" take turns; then it
 *	reads PATH, writes the new text to PATH.tmp, fsyncs it, gives it
 *	the original's mode, owner and group, renames it over PATH and
 *	fsyncs the directory. Whatever fails before the rename leaves PATH
 *	untouched and removes PATH.tmp; a process killed before the rename
 *	leaves only a stale PATH.tmp, which the next edit reuses.
 *
 *	Before the rename, PATH is checked again: if something that does
 *	not take the lock (an editor) changed it after we read it, nothing
 *	is written.
 *
 * SECURITY
 *	Edits run as root in directories that others may write to (a
 *	delegated configuration, a map owned by its user). PATH.tmp is
 *	therefore made with O_CREAT|O_EXCL|O_NOFOLLOW relative to a
 *	descriptor of the directory. When the name exists, it is only
 *	reused when it is a regular file with one link, owned by us, mode
 *	0600 (what edit_file(3) and we leave behind), and only after we
 *	hold its lock; anything else is removed (a regular file of someone
 *	else's after we hold its lock, so an editor of another uid still
 *	takes turns with us) and creation is tried again. Nothing is ever
 *	opened for writing through a name that could lead elsewhere, no
 *	open can block (O_NONBLOCK: a FIFO), and the owner is only changed
 *	when it differs, on a descriptor of our own file.
 *
 * DIAGNOSTICS
 *	Errors come back as text naming the file and the reason.
 */
#define _DEFAULT_SOURCE /* flock, fchown */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "ipc/ipc.h"

/*
 * How often something planted at PATH.tmp is removed before we give up,
 * and how often we look again at all (another editor's rename while we
 * waited for its lock counts too, so this one is high). Postfix retries
 * forever.
 */
#define TMP_REMOVALS 100
#define TMP_TRIES    100000

static char *errtext(const char *fmt, const char *path, int err)
    UTIL_PRINTF(1, 0);

static char *
errtext(const char *fmt, const char *path, int err)
{
    struct buf b;

    buf_init(&b, 0);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    buf_printf(&b, fmt, path);
#pragma GCC diagnostic pop
    if (err)
        buf_printf(&b, ": %s", strerror(err));
    return buf_steal(&b);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
           a->st_size == b->st_size && a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
           a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* split_path - directory (opened) and last component of path */
static int
split_path(const char *path, int *dfd, char **base, char **err)
{
    const char *slash = strrchr(path, '/');
    char *dir;

    if (slash == NULL)
        dir = mem_strdup(".");
    else if (slash == path)
        dir = mem_strdup("/");
    else
        dir = mem_strndup(path, (size_t) (slash - path));
    *base = mem_strdup(slash ? slash + 1 : path);
    if (**base == 0 || strcmp(*base, ".") == 0 || strcmp(*base, "..") == 0) {
        *err = errtext("%s: not a file name", path, 0);
        goto fail;
    }
    if ((*dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        *err = errtext("open directory %s", dir, errno);
        goto fail;
    }
    mem_free(dir);
    return 0;
fail:
    mem_free(dir);
    mem_free(*base);
    *base = NULL;
    *dfd = -1;
    return -1;
}

static const char *
kind_of(mode_t m)
{
    return S_ISLNK(m)    ? "a symbolic link"
           : S_ISDIR(m)  ? "a directory"
           : S_ISFIFO(m) ? "a FIFO"
           : S_ISSOCK(m) ? "a socket"
           : S_ISCHR(m)  ? "a character device"
           : S_ISBLK(m)  ? "a block device"
                         : "a file";
}

/*
 * remove_name - take name (shown as shown) out of dfd, whatever it is.
 * A directory is removed only when empty. 0, or -1 with *err set.
 */
static int
remove_name(int dfd, const char *name, const char *shown, const struct stat *st,
            char **err)
{
    int reg = S_ISREG(st->st_mode);

    if (unlinkat(dfd, name, S_ISDIR(st->st_mode) ? AT_REMOVEDIR : 0) < 0 &&
        errno != ENOENT) {
        *err = errtext(S_ISDIR(st->st_mode)
                           ? "%s is a directory where a temporary file must "
                             "go; remove it"
                           : "remove %s",
                       shown, errno);
        return -1;
    }
    /* Our own leftovers (a crash after chmod) go without a word. */
    if (!reg || st->st_nlink != 1 || st->st_uid != geteuid())
        log_warn("%s was %s%s%s, not a file of this editor's: removed it",
                 shown, kind_of(st->st_mode),
                 reg && st->st_nlink != 1 ? " with other links" : "",
                 reg && st->st_nlink == 1 && st->st_uid != geteuid()
                     ? " owned by someone else"
                     : "");
    return 0;
}

/*
 * tmp_lock - edit_file(3)'s protocol on dfd/name, made safe against what
 * others plant there: on success *fdp is a descriptor of an empty regular
 * file, ours, one link, mode 0600, locked, under that name.
 */
static int
tmp_lock(int dfd, const char *name, const char *shown, int *fdp, char **err)
{
    struct stat fst, lst;
    int fd, created, removed = 0;

    for (int tries = 0; tries < TMP_TRIES && removed < TMP_REMOVALS; tries++) {
        created = 0;
        fd = openat(dfd, name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK |
                        O_NOCTTY | O_CLOEXEC,
                    0600);
        if (fd >= 0) {
            created = 1;
        } else if (errno != EEXIST) {
            *err = errtext("create %s", shown, errno);
            return -1;
        } else {
            /* It exists: maybe another editor's, maybe planted. */
            if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0) {
                if (errno == ENOENT)
                    continue;
                *err = errtext("lstat %s", shown, errno);
                return -1;
            }
            if (!S_ISREG(lst.st_mode) || lst.st_nlink != 1) {
                if (remove_name(dfd, name, shown, &lst, err) < 0)
                    return -1;
                removed++;
                continue;
            }
            /* A regular file: open it only to wait for its lock. */
            fd = openat(dfd, name,
                        (lst.st_uid == geteuid() ? O_WRONLY : O_RDONLY) |
                            O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            if (fd < 0) {
                if (errno == ENOENT || errno == ELOOP || errno == ENXIO ||
                    errno == EISDIR || errno == ETXTBSY)
                    continue; /* replaced meanwhile: look again */
                *err = errtext("open %s", shown, errno);
                return -1;
            }
        }
        while (flock(fd, LOCK_EX) < 0) {
            if (errno != EINTR) {
                *err = errtext("lock %s", shown, errno);
                close(fd);
                return -1;
            }
        }
        /* Another editor may have renamed or removed it while we waited. */
        if (fstat(fd, &fst) < 0 ||
            fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) < 0 ||
            fst.st_dev != lst.st_dev || fst.st_ino != lst.st_ino) {
            close(fd);
            continue;
        }
        if (!created &&
            (!S_ISREG(fst.st_mode) || fst.st_nlink != 1 ||
             fst.st_uid != geteuid() || (fst.st_mode & 07777) != 0600)) {
            /* We hold its lock: nobody is using it under the protocol. */
            int rc = remove_name(dfd, name, shown, &fst, err);

            close(fd);
            if (rc < 0)
                return -1;
            removed++;
            continue;
        }
        if (ftruncate(fd, 0) < 0) {
            *err = errtext("truncate %s", shown, errno);
            (void) unlinkat(dfd, name, 0);
            close(fd);
            return -1;
        }
        *fdp = fd;
        return 0;
    }
    *err = errtext("%s keeps being replaced by something this editor will "
                   "not write to; nothing was written",
                   shown, 0);
    return -1;
}

/* edit_open - the directory, the names and the locked PATH.tmp */
static int
edit_open(struct conf_edit *ed, const char *path, char **err)
{
    struct buf b;

    memset(ed, 0, sizeof(*ed));
    ed->fd = -1;
    ed->dfd = -1;
    ed->path = mem_strdup(path);
    buf_init(&b, 0);
    buf_printf(&b, "%s.tmp", path);
    ed->tmp_path = buf_steal(&b);
    if (split_path(path, &ed->dfd, &ed->base, err) < 0)
        return -1;
    buf_init(&b, 0);
    buf_printf(&b, "%s.tmp", ed->base);
    ed->tmp_base = buf_steal(&b);
    return tmp_lock(ed->dfd, ed->tmp_base, ed->tmp_path, &ed->fd, err);
}

int
conf_edit_begin(struct conf_edit *ed, const char *path, char **err)
{
    int in;

    if (edit_open(ed, path, err) < 0)
        goto fail;
    /*
     * PATH itself is read through a symlink, as postconf reads it (the
     * rename then replaces the link); O_NONBLOCK: a FIFO must not hang us.
     */
    if ((in = openat(ed->dfd, ed->base,
                     O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
        *err = errtext("open %s for reading", path, errno);
        goto fail;
    }
    if (fstat(in, &ed->st) < 0) {
        *err = errtext("open %s for reading", path, errno);
        close(in);
        goto fail;
    }
    if (!S_ISREG(ed->st.st_mode)) {
        *err = errtext("%s: not a regular file", path, 0);
        close(in);
        goto fail;
    }
    if (util_read_fd(in, CONF_MAX_FILE, &ed->data, &ed->len) < 0) {
        *err = errtext("read %s", path, errno);
        close(in);
        goto fail;
    }
    close(in);
    return 0;
fail:
    conf_edit_abort(ed);
    return -1;
}

void
conf_edit_abort(struct conf_edit *ed)
{
    if (ed->fd >= 0) {
        /* We hold the lock: the temporary file is ours to remove. */
        (void) unlinkat(ed->dfd, ed->tmp_base, 0);
        close(ed->fd);
        ed->fd = -1;
    }
    if (ed->dfd >= 0)
        close(ed->dfd);
    mem_free(ed->path);
    mem_free(ed->tmp_path);
    mem_free(ed->base);
    mem_free(ed->tmp_base);
    mem_free(ed->data);
    memset(ed, 0, sizeof(*ed));
    ed->fd = -1;
    ed->dfd = -1;
}

/* write_tmp - data into the locked PATH.tmp, on disk, with mode */
static int
write_tmp(struct conf_edit *ed, const char *data, size_t len, mode_t mode,
          char **err)
{
    if (ipc_write_all(ed->fd, data, len, -1) < 0) {
        *err = errtext("write %s", ed->tmp_path, errno);
        return -1;
    }
    if (fsync(ed->fd) < 0) {
        *err = errtext("fsync %s", ed->tmp_path, errno);
        return -1;
    }
    if (fchmod(ed->fd, mode & 07777) < 0) {
        *err = errtext("chmod %s", ed->tmp_path, errno);
        return -1;
    }
    return 0;
}

/* keep_backup - PATH also as PATH+suffix: a hard link, made under a
 * temporary name that is cleared first, then renamed into place; no
 * name is ever opened, so nothing planted there is written through */
static int
keep_backup(struct conf_edit *ed, const char *suffix, char **err)
{
    struct buf bak, baktmp, shown, shown_tmp;
    struct stat st;
    int rc = -1, linked = 0;

    buf_init(&bak, 0);
    buf_init(&baktmp, 0);
    buf_init(&shown, 0);
    buf_init(&shown_tmp, 0);
    buf_printf(&bak, "%s%s", ed->base, suffix);
    buf_printf(&baktmp, "%s%s.tmp", ed->base, suffix);
    buf_printf(&shown, "%s%s", ed->path, suffix);
    buf_printf(&shown_tmp, "%s%s.tmp", ed->path, suffix);
    for (int tries = 0; tries < TMP_REMOVALS && !linked; tries++) {
        if (fstatat(ed->dfd, buf_str(&baktmp), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            remove_name(ed->dfd, buf_str(&baktmp), buf_str(&shown_tmp), &st,
                        err) < 0)
            goto out;
        if (linkat(ed->dfd, ed->base, ed->dfd, buf_str(&baktmp), 0) == 0)
            linked = 1;
        else if (errno != EEXIST) {
            *err = errtext("keep backup %s", buf_str(&shown), errno);
            goto out;
        }
    }
    if (!linked) {
        *err = errtext("%s keeps being replaced; no backup was kept and "
                       "nothing was written",
                       buf_str(&shown_tmp), 0);
        goto out;
    }
    if (renameat(ed->dfd, buf_str(&baktmp), ed->dfd, buf_str(&bak)) < 0) {
        *err = errtext("keep backup %s", buf_str(&shown), errno);
        (void) unlinkat(ed->dfd, buf_str(&baktmp), 0);
        goto out;
    }
    rc = 0;
out:
    buf_fini(&bak);
    buf_fini(&baktmp);
    buf_fini(&shown);
    buf_fini(&shown_tmp);
    return rc;
}

/* finish - rename PATH.tmp over PATH, fsync the directory, close */
static int
finish(struct conf_edit *ed, char **err)
{
    if (renameat(ed->dfd, ed->tmp_base, ed->dfd, ed->base) < 0) {
        *err = errtext("rename %s", ed->tmp_path, errno);
        conf_edit_abort(ed);
        return -1;
    }
    /* The name is no longer ours to remove. */
    close(ed->fd);
    ed->fd = -1;
    if (fsync(ed->dfd) < 0) {
        /* The new file is in place; only its durability is in doubt. */
        *err = errtext("fsync directory of %s", ed->path, errno);
        conf_edit_abort(ed);
        return -1;
    }
    conf_edit_abort(ed);
    return 0;
}

int
conf_edit_commit(struct conf_edit *ed, const char *data, size_t len,
                 const char *backup_suffix, char **err)
{
    struct stat now, mine;

    /*
     * The original's permissions, but never set-uid, set-gid or sticky: a
     * main.cf that is a symlink to a set-uid program must not give its
     * owner a set-uid copy in a directory someone else controls.
     */
    if (write_tmp(ed, data, len, ed->st.st_mode & 0777, err) < 0)
        goto fail;
    /* Owner and group as before; touch them only when they differ. */
    if (fstat(ed->fd, &mine) < 0) {
        *err = errtext("fstat %s", ed->tmp_path, errno);
        goto fail;
    }
    if ((mine.st_uid != ed->st.st_uid || mine.st_gid != ed->st.st_gid) &&
        fchown(ed->fd, ed->st.st_uid, ed->st.st_gid) < 0 &&
        (errno != EPERM || ed->st.st_uid != geteuid())) {
        *err = errtext("keep owner and group of %s", ed->path, errno);
        goto fail;
    }
    if (fstatat(ed->dfd, ed->base, &now, 0) < 0 || !same_file(&now, &ed->st)) {
        *err = errtext("%s changed on disk while it was being edited; "
                       "nothing was written",
                       ed->path, 0);
        goto fail;
    }
    if (backup_suffix && keep_backup(ed, backup_suffix, err) < 0)
        goto fail;
    return finish(ed, err);
fail:
    conf_edit_abort(ed);
    return -1;
}

int
conf_write_file(const char *path, const char *data, size_t len, mode_t mode,
                char **err)
{
    struct conf_edit ed;

    if (edit_open(&ed, path, err) < 0 ||
        write_tmp(&ed, data, len, mode, err) < 0) {
        conf_edit_abort(&ed);
        return -1;
    }
    return finish(&ed, err);
}
