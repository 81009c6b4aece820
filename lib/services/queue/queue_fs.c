/*
 * queue_fs - storage backends of the queue: disk and ram.
 *
 * DESCRIPTION
 *	disk: plain files in one directory. A segment's writer holds an
 *	flock() on it for as long as it may append, so readers can tell
 *	a finished segment from a growing one (queue_seg_writer_gone).
 *	Durability: fdatasync() per batch, and an fsync() of the directory
 *	after creating a file.
 *
 *	Every name is opened relative to the store's directory descriptor
 *	with O_NOFOLLOW and O_NONBLOCK, and must be a regular file: the
 *	directory belongs to mail_owner, and root processes (local, an
 *	offline postsuper) open files in it, so a planted symlink or FIFO
 *	must neither redirect a write nor hang a reader.
 *
 *	ram: for tests. Each file remembers how much of it was synced and
 *	whether its name was; queue_fs_ram_crash() drops the rest, which
 *	is what a power cut does to a file system that keeps its promises.
 */
#define _GNU_SOURCE 1 /* fallocate, pwritev */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "queue/queue.h"
#include "queue/queue_int.h"

/* ---- disk ---- */

static int
disk_create(struct queue_fs *fs, const char *name)
{
    int fd = openat(fs->dirfd, name,
                    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return -1;
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        int e = errno;

        (void) close(fd);
        (void) unlinkat(fs->dirfd, name, 0);
        errno = e;
        return -1;
    }
    return fd;
}

/* disk_regular - fd if it is a regular file with at most one link (none:
 * removed meanwhile), else closed and -1 with errno EINVAL */
static int
disk_regular(int fd)
{
    struct stat st;

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink > 1) {
        (void) close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

static int
disk_open(struct queue_fs *fs, const char *name, int writable)
{
    return disk_regular(
        openat(fs->dirfd, name,
               (writable ? O_WRONLY | O_CREAT | O_APPEND : O_RDONLY) |
                   O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
               0600));
}

static ssize_t
disk_append(struct queue_fs *fs, int h, const struct iovec *iov, int n)
{
    ssize_t w;

    (void) fs;
    do
        w = writev(h, iov, n);
    while (w < 0 && errno == EINTR);
    return w;
}

static ssize_t
disk_write_at(struct queue_fs *fs, int h, const struct iovec *iov, int n,
              uint64_t off)
{
    ssize_t w;

    (void) fs;
    do
        w = pwritev(h, iov, n, (off_t) off);
    while (w < 0 && errno == EINTR);
    return w;
}

static int
disk_prealloc(struct queue_fs *fs, int h, uint64_t size)
{
    (void) fs;
    /* Writing inside allocated space makes fdatasync() cheap: on ext4 a
     * sync that must also log a new file size costs ~10x more. */
    return fallocate(h, 0, 0, (off_t) size);
}

static int
disk_truncate(struct queue_fs *fs, int h, uint64_t size)
{
    (void) fs;
    return ftruncate(h, (off_t) size);
}

static int
disk_sync(struct queue_fs *fs, int h)
{
    (void) fs;
    return fdatasync(h);
}

static int
disk_sync_dir(struct queue_fs *fs)
{
    return fsync(fs->dirfd);
}

static ssize_t
disk_pread(struct queue_fs *fs, int h, void *p, size_t n, uint64_t off)
{
    ssize_t r;

    (void) fs;
    do
        r = pread(h, p, n, (off_t) off);
    while (r < 0 && errno == EINTR);
    return r;
}

static int64_t
disk_size(struct queue_fs *fs, int h)
{
    struct stat st;

    (void) fs;
    if (fstat(h, &st) < 0)
        return -1;
    return (int64_t) st.st_size;
}

static void
disk_close(struct queue_fs *fs, int h)
{
    (void) fs;
    (void) close(h);
}

static int
disk_list(struct queue_fs *fs, struct strv *names)
{
    int fd = dup(fs->dirfd);
    DIR *d;
    struct dirent *de;

    if (fd < 0)
        return -1;
    d = fdopendir(fd);
    if (d == NULL) {
        (void) close(fd);
        return -1;
    }
    rewinddir(d);
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.')
            strv_add(names, de->d_name);
    closedir(d);
    return 0;
}

static int
disk_unlink(struct queue_fs *fs, const char *name)
{
    return unlinkat(fs->dirfd, name, 0);
}

static int
disk_locked(struct queue_fs *fs, const char *name)
{
    int fd = disk_regular(openat(
        fs->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    int rc;

    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    rc = flock(fd, LOCK_SH | LOCK_NB);
    (void) close(fd);
    if (rc == 0)
        return 0;
    return errno == EWOULDBLOCK ? 1 : -1;
}

static int
disk_unlinked(struct queue_fs *fs, int h)
{
    struct stat st;

    (void) fs;
    return fstat(h, &st) < 0 || st.st_nlink == 0;
}

static void
disk_free(struct queue_fs *fs)
{
    if (fs->dirfd >= 0)
        (void) close(fs->dirfd);
}

static const struct queue_fs_ops disk_ops = {
    .create = disk_create,
    .open = disk_open,
    .append = disk_append,
    .write_at = disk_write_at,
    .prealloc = disk_prealloc,
    .truncate = disk_truncate,
    .sync = disk_sync,
    .sync_dir = disk_sync_dir,
    .pread = disk_pread,
    .size = disk_size,
    .close = disk_close,
    .list = disk_list,
    .unlink = disk_unlink,
    .locked = disk_locked,
    .unlinked = disk_unlinked,
    .free = disk_free,
};

struct queue_fs *
queue_fs_disk(const char *dir)
{
    struct queue_fs *fs;
    int fd;

    (void) mkdir(dir, 0700);
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    fs = mem_calloc(1, sizeof(*fs));
    fs->ops = &disk_ops;
    fs->dir = mem_strdup(dir);
    fs->dirfd = fd;
    return fs;
}

/* ---- ram ---- */

struct ram_file {
    char *name;
    struct buf data;
    size_t synced;
    int name_synced;
    int lock_handle; /* handle holding the writer lock, -1 none */
};

struct ram_handle {
    int file; /* index, -1 = closed */
    int writable;
};

struct ram {
    struct ram_file *files;
    size_t nfiles;
    struct ram_handle *handles;
    size_t nhandles;
    int fail; /* appends left to fail */
};

static int
ram_find(struct ram *r, const char *name)
{
    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].name && strcmp(r->files[i].name, name) == 0)
            return (int) i;
    return -1;
}

static int
ram_new_handle(struct ram *r, int file, int writable)
{
    r->handles =
        mem_realloc(r->handles, (r->nhandles + 1) * sizeof(*r->handles));
    r->handles[r->nhandles].file = file;
    r->handles[r->nhandles].writable = writable;
    return (int) r->nhandles++;
}

static int
ram_new_file(struct ram *r, const char *name)
{
    struct ram_file *f;

    r->files = mem_realloc(r->files, (r->nfiles + 1) * sizeof(*r->files));
    f = &r->files[r->nfiles];
    f->name = mem_strdup(name);
    buf_init(&f->data, 0);
    f->synced = 0;
    f->name_synced = 0;
    f->lock_handle = -1;
    return (int) r->nfiles++;
}

static struct ram_file *
ram_file(struct queue_fs *fs, int h)
{
    struct ram *r = fs->priv;

    if (h < 0 || (size_t) h >= r->nhandles || r->handles[h].file < 0) {
        errno = EBADF;
        return NULL;
    }
    return &r->files[r->handles[h].file];
}

static int
ram_create(struct queue_fs *fs, const char *name)
{
    struct ram *r = fs->priv;
    int f, h;

    if (ram_find(r, name) >= 0) {
        errno = EEXIST;
        return -1;
    }
    f = ram_new_file(r, name);
    h = ram_new_handle(r, f, 1);
    r->files[f].lock_handle = h;
    return h;
}

static int
ram_open(struct queue_fs *fs, const char *name, int writable)
{
    struct ram *r = fs->priv;
    int f = ram_find(r, name);

    if (f < 0 && !writable) {
        errno = ENOENT;
        return -1;
    }
    if (f < 0)
        f = ram_new_file(r, name);
    return ram_new_handle(r, f, writable);
}

static ssize_t
ram_append(struct queue_fs *fs, int h, const struct iovec *iov, int n)
{
    struct ram *r = fs->priv;
    struct ram_file *f = ram_file(fs, h);
    size_t total = 0, limit = (size_t) -1;

    if (f == NULL)
        return -1;
    if (r->fail > 0) {
        for (int i = 0; i < n; i++)
            total += iov[i].iov_len;
        limit = total / 2;
        r->fail--;
        total = 0;
    }
    for (int i = 0; i < n && total < limit; i++) {
        size_t len = iov[i].iov_len;

        if (len > limit - total)
            len = limit - total;
        (void) buf_append(&f->data, iov[i].iov_base, len);
        total += len;
    }
    if (limit != (size_t) -1) {
        errno = ENOSPC;
        return total ? (ssize_t) total : -1;
    }
    return (ssize_t) total;
}

static ssize_t
ram_write_at(struct queue_fs *fs, int h, const struct iovec *iov, int n,
             uint64_t off)
{
    struct ram *r = fs->priv;
    struct ram_file *f = ram_file(fs, h);
    size_t total = 0, limit = (size_t) -1, end;

    if (f == NULL)
        return -1;
    if (r->fail > 0) {
        for (int i = 0; i < n; i++)
            total += iov[i].iov_len;
        limit = total / 2;
        r->fail--;
        total = 0;
    }
    for (int i = 0; i < n && total < limit; i++) {
        size_t len = iov[i].iov_len;

        if (len > limit - total)
            len = limit - total;
        end = (size_t) off + total + len;
        while (f->data.len < end)
            (void) buf_putc(&f->data, 0);
        memcpy(f->data.data + off + total, iov[i].iov_base, len);
        total += len;
    }
    if (limit != (size_t) -1) {
        errno = ENOSPC;
        return total ? (ssize_t) total : -1;
    }
    return (ssize_t) total;
}

static int
ram_prealloc(struct queue_fs *fs, int h, uint64_t size)
{
    (void) fs;
    (void) h;
    (void) size;
    return 0;
}

static int
ram_truncate(struct queue_fs *fs, int h, uint64_t size)
{
    struct ram_file *f = ram_file(fs, h);

    if (f == NULL)
        return -1;
    if (size < f->data.len)
        buf_truncate(&f->data, (size_t) size);
    if (f->synced > f->data.len)
        f->synced = f->data.len;
    return 0;
}

static int
ram_sync(struct queue_fs *fs, int h)
{
    struct ram_file *f = ram_file(fs, h);

    if (f == NULL)
        return -1;
    f->synced = f->data.len;
    return 0;
}

static int
ram_sync_dir(struct queue_fs *fs)
{
    struct ram *r = fs->priv;

    for (size_t i = 0; i < r->nfiles; i++)
        r->files[i].name_synced = 1;
    return 0;
}

static ssize_t
ram_pread(struct queue_fs *fs, int h, void *p, size_t n, uint64_t off)
{
    struct ram_file *f = ram_file(fs, h);

    if (f == NULL)
        return -1;
    if (off >= f->data.len)
        return 0;
    if (n > f->data.len - off)
        n = f->data.len - (size_t) off;
    memcpy(p, f->data.data + off, n);
    return (ssize_t) n;
}

static int64_t
ram_size(struct queue_fs *fs, int h)
{
    struct ram_file *f = ram_file(fs, h);

    return f ? (int64_t) f->data.len : -1;
}

static void
ram_close(struct queue_fs *fs, int h)
{
    struct ram *r = fs->priv;
    struct ram_file *f = ram_file(fs, h);

    if (f == NULL)
        return;
    if (f->lock_handle == h)
        f->lock_handle = -1;
    r->handles[h].file = -1;
}

static int
ram_list(struct queue_fs *fs, struct strv *names)
{
    struct ram *r = fs->priv;

    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].name)
            strv_add(names, r->files[i].name);
    return 0;
}

static void
ram_drop(struct ram *r, int f)
{
    for (size_t h = 0; h < r->nhandles; h++)
        if (r->handles[h].file == f)
            r->handles[h].file = -1;
    mem_free(r->files[f].name);
    r->files[f].name = NULL;
    buf_fini(&r->files[f].data);
}

static int
ram_unlink(struct queue_fs *fs, const char *name)
{
    struct ram *r = fs->priv;
    int f = ram_find(r, name);

    if (f < 0) {
        errno = ENOENT;
        return -1;
    }
    ram_drop(r, f);
    return 0;
}

static int
ram_locked(struct queue_fs *fs, const char *name)
{
    struct ram *r = fs->priv;
    int f = ram_find(r, name);

    return f >= 0 && r->files[f].lock_handle >= 0;
}

static void
ram_free(struct queue_fs *fs)
{
    struct ram *r = fs->priv;

    for (size_t i = 0; i < r->nfiles; i++)
        if (r->files[i].name)
            ram_drop(r, (int) i);
    mem_free(r->files);
    mem_free(r->handles);
    mem_free(r);
}

static const struct queue_fs_ops ram_ops = {
    .create = ram_create,
    .open = ram_open,
    .append = ram_append,
    .write_at = ram_write_at,
    .prealloc = ram_prealloc,
    .truncate = ram_truncate,
    .sync = ram_sync,
    .sync_dir = ram_sync_dir,
    .pread = ram_pread,
    .size = ram_size,
    .close = ram_close,
    .list = ram_list,
    .unlink = ram_unlink,
    .locked = ram_locked,
    .free = ram_free,
};

struct queue_fs *
queue_fs_ram(void)
{
    struct queue_fs *fs = mem_calloc(1, sizeof(*fs));

    fs->ops = &ram_ops;
    fs->dir = mem_strdup("");
    fs->dirfd = -1;
    fs->priv = mem_calloc(1, sizeof(struct ram));
    return fs;
}

void
queue_fs_ram_crash(struct queue_fs *fs)
{
    struct ram *r = fs->priv;

    for (size_t i = 0; i < r->nfiles; i++) {
        struct ram_file *f = &r->files[i];

        if (f->name == NULL)
            continue;
        if (!f->name_synced) {
            ram_drop(r, (int) i);
            continue;
        }
        buf_truncate(&f->data, f->synced);
        f->lock_handle = -1;
    }
    for (size_t h = 0; h < r->nhandles; h++)
        r->handles[h].file = -1;
}

void
queue_fs_ram_fail(struct queue_fs *fs, int n)
{
    struct ram *r = fs->priv;

    r->fail = n;
}

/*
 * The read-handle cache. A reader opened and closed the segment for every
 * commit notice: openat, close and the close's walk of the inode's flock
 * list were ~40 % of qmgr's CPU in a 1 KB relay. Segment names are never
 * reused while the file exists, but the writer starts again at 1 when
 * the queue is empty: a hit is checked with fstat (no links left: the
 * segment was removed, reopen by name), which costs a fraction of the
 * open and close it saves.
 */
int
queue_seg_rdopen(struct queue_fs *fs, uint64_t seq)
{
    char name[64];
    int h;

    if (fs->rd_ok && fs->rd_seq == seq && !fs->ops->unlinked(fs, fs->rd_h))
        return fs->rd_h;
    queue_seg_rdforget(fs, QUEUE_SEQ_ANY);
    queue_seg_name(seq, name, sizeof(name));
    if ((h = fs->ops->open(fs, name, 0)) < 0)
        return -1;
    if (fs->ops->unlinked == NULL)
        return h; /* not cached */
    fs->rd_ok = 1;
    fs->rd_h = h;
    fs->rd_seq = seq;
    return h;
}

void
queue_seg_rdclose(struct queue_fs *fs, int h)
{
    if (!(fs->rd_ok && fs->rd_h == h))
        fs->ops->close(fs, h);
}

void
queue_seg_rdforget(struct queue_fs *fs, uint64_t seq)
{
    if (fs->rd_ok && (seq == QUEUE_SEQ_ANY || fs->rd_seq == seq)) {
        fs->rd_ok = 0;
        fs->ops->close(fs, fs->rd_h);
    }
}

void
queue_fs_free(struct queue_fs *fs)
{
    if (fs == NULL)
        return;
    queue_seg_rdforget(fs, QUEUE_SEQ_ANY);
    fs->ops->free(fs);
    mem_free(fs->dir);
    mem_free(fs);
}

const char *
queue_fs_dir(const struct queue_fs *fs)
{
    return fs->dir;
}
