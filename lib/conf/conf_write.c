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
 * DIAGNOSTICS
 *	Errors come back as text naming the file and the reason.
 */
#define _DEFAULT_SOURCE /* flock, fchown */
#include "conf/conf.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino
           && a->st_size == b->st_size
           && a->st_mtim.tv_sec == b->st_mtim.tv_sec
           && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int
conf_edit_begin(struct conf_edit *ed, const char *path, char **err)
{
    struct stat fst, pst;
    struct buf b;

    memset(ed, 0, sizeof(*ed));
    ed->fd = -1;
    ed->path = mem_strdup(path);
    buf_init(&b, 0);
    buf_printf(&b, "%s.tmp", path);
    ed->tmp_path = buf_steal(&b);

    /* Lock PATH.tmp; retry if another editor renamed it meanwhile. */
    for (;;) {
        if ((ed->fd = open(ed->tmp_path, O_CREAT | O_WRONLY | O_CLOEXEC,
                           0600)) < 0) {
            *err = errtext("open %s", ed->tmp_path, errno);
            goto fail;
        }
        while (flock(ed->fd, LOCK_EX) < 0) {
            if (errno != EINTR) {
                *err = errtext("lock %s", ed->tmp_path, errno);
                goto fail;
            }
        }
        if (fstat(ed->fd, &fst) == 0 && stat(ed->tmp_path, &pst) == 0
            && fst.st_dev == pst.st_dev && fst.st_ino == pst.st_ino)
            break;
        close(ed->fd);
    }
    if (ftruncate(ed->fd, 0) < 0) {
        *err = errtext("truncate %s", ed->tmp_path, errno);
        goto fail;
    }
    if (stat(path, &ed->st) < 0) {
        *err = errtext("open %s for reading", path, errno);
        goto fail;
    }
    if (!S_ISREG(ed->st.st_mode)) {
        *err = errtext("%s: not a regular file", path, 0);
        goto fail;
    }
    if (util_read_file(path, CONF_MAX_FILE, &ed->data, &ed->len) < 0) {
        *err = errtext("read %s", path, errno);
        goto fail;
    }
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
        (void) unlink(ed->tmp_path);
        close(ed->fd);
        ed->fd = -1;
    }
    mem_free(ed->path);
    mem_free(ed->tmp_path);
    mem_free(ed->data);
    memset(ed, 0, sizeof(*ed));
    ed->fd = -1;
}

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t) w;
    }
    return 0;
}

static int
fsync_dir(const char *path)
{
    char *copy = mem_strdup(path);
    int fd, rc = 0;

    if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
        rc = fsync(fd);
        close(fd);
    }
    mem_free(copy);
    return rc;
}

int
conf_edit_commit(struct conf_edit *ed, const char *data, size_t len,
                 const char *backup_suffix, char **err)
{
    struct stat now;

    if (write_all(ed->fd, data, len) < 0) {
        *err = errtext("write %s", ed->tmp_path, errno);
        goto fail;
    }
    if (fsync(ed->fd) < 0) {
        *err = errtext("fsync %s", ed->tmp_path, errno);
        goto fail;
    }
    if (fchmod(ed->fd, ed->st.st_mode & 07777) < 0) {
        *err = errtext("chmod %s", ed->tmp_path, errno);
        goto fail;
    }
    if (fchown(ed->fd, ed->st.st_uid, ed->st.st_gid) < 0
        && (errno != EPERM || ed->st.st_uid != geteuid())) {
        *err = errtext("keep owner and group of %s", ed->path, errno);
        goto fail;
    }
    if (stat(ed->path, &now) < 0 || !same_file(&now, &ed->st)) {
        *err = errtext("%s changed on disk while it was being edited; "
                       "nothing was written", ed->path, 0);
        goto fail;
    }
    if (backup_suffix) {
        struct buf bak, baktmp;
        int rc;

        buf_init(&bak, 0);
        buf_init(&baktmp, 0);
        buf_printf(&bak, "%s%s", ed->path, backup_suffix);
        buf_printf(&baktmp, "%s%s.tmp", ed->path, backup_suffix);
        (void) unlink(buf_str(&baktmp));
        rc = link(ed->path, buf_str(&baktmp)) < 0
             || rename(buf_str(&baktmp), buf_str(&bak)) < 0;
        if (rc) {
            *err = errtext("keep backup %s", buf_str(&bak), errno);
            (void) unlink(buf_str(&baktmp));
        }
        buf_fini(&bak);
        buf_fini(&baktmp);
        if (rc)
            goto fail;
    }
    if (rename(ed->tmp_path, ed->path) < 0) {
        *err = errtext("rename %s", ed->tmp_path, errno);
        goto fail;
    }
    if (fsync_dir(ed->path) < 0) {
        /* The new file is in place; only its durability is in doubt. */
        *err = errtext("fsync directory of %s", ed->path, errno);
        close(ed->fd);
        ed->fd = -1;
        conf_edit_abort(ed);
        return -1;
    }
    close(ed->fd);
    ed->fd = -1;
    conf_edit_abort(ed);
    return 0;
fail:
    conf_edit_abort(ed);
    return -1;
}
