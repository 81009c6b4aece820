/*
 * util - memory, growable text, string vectors, logging.
 *
 * DESCRIPTION
 *	The bottom layer of Postern: knows nothing about mail. Allocation
 *	never returns NULL (out of memory is fatal, as with Postfix
 *	mymalloc). Diagnostics go to stderr as "progname: warning: text",
 *	the format of Postfix's msg_warn(), so scripts that read postconf's
 *	stderr read ours.
 */
#ifndef UTIL_UTIL_H
#define UTIL_UTIL_H

#include <sys/types.h> /* uid_t, gid_t */

#include <stdarg.h>
#include <stddef.h>

#if defined(__GNUC__)
#define UTIL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define UTIL_NORETURN     __attribute__((noreturn))
#define WARN_UNUSED       __attribute__((warn_unused_result))
/* a deliberate fall-through between case labels (clang does not take
 * a comment for it) */
#define UTIL_FALLTHROUGH __attribute__((fallthrough))
#else
#define UTIL_PRINTF(f, a)
#define UTIL_NORETURN
#define WARN_UNUSED
#define UTIL_FALLTHROUGH
#endif

/* mem_alloc - malloc that never fails (fatal on out of memory) */
void *mem_alloc(size_t n);
/* mem_calloc - zeroed array of nmemb * size, overflow checked */
void *mem_calloc(size_t nmemb, size_t size);
/* mem_realloc - realloc that never fails */
void *mem_realloc(void *p, size_t n);
/* mem_strdup - copy of s; caller frees */
char *mem_strdup(const char *s);
/* mem_strndup - copy of at most n bytes of s, NUL terminated */
char *mem_strndup(const char *s, size_t n);
/* mem_free - free(); accepts NULL */
void mem_free(void *p);

/*
 * struct buf - growable NUL-terminated text with a hard size limit
 * (0 at init means no limit). Appends past the limit fail with -1 and
 * leave the buffer as it was.
 */
struct buf {
    char *data;
    size_t len;
    size_t cap;
    size_t limit;
};

void buf_init(struct buf *b, size_t limit);
void buf_fini(struct buf *b);
/* buf_append - append n bytes; 0, or -1 past the limit */
int buf_append(struct buf *b, const char *s, size_t n);
/* buf_reserve - room for n more bytes (and a NUL) beyond len; 0 or -1
 * (over the limit) */
int buf_reserve(struct buf *b, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, int c);
int buf_printf(struct buf *b, const char *fmt, ...) UTIL_PRINTF(2, 3);
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) UTIL_PRINTF(2, 0);
/* buf_truncate - cut to len bytes (len <= current length) */
void buf_truncate(struct buf *b, size_t len);
/* buf_str - the text, always NUL terminated ("" when empty) */
const char *buf_str(const struct buf *b);
/* buf_data - the writable text, always NUL terminated (an empty buffer
 * gets storage for its NUL); valid until the next append */
char *buf_data(struct buf *b);
/* buf_steal - hand the text to the caller (who frees it); b is reset */
char *buf_steal(struct buf *b);

/* struct strv - growable vector of owned strings, NULL terminated */
struct strv {
    char **v;
    size_t n;
    size_t cap;
};

void strv_init(struct strv *sv);
void strv_fini(struct strv *sv);
/* strv_add - append a copy of s */
void strv_add(struct strv *sv, const char *s);
/* strv_adopt - append s, taking ownership */
void strv_adopt(struct strv *sv, char *s);
/* strv_sort - sort with strcmp */
void strv_sort(struct strv *sv);
/* strv_uniq - sort, then drop (and free) repeated strings */
void strv_uniq(struct strv *sv);

/*
 * struct htab - string-keyed hash table. Entries remember insertion
 * order, so walks are deterministic (Postfix's are only with
 * NORANDOMIZE); a deletion moves the last entry into the deleted one's
 * place. Keys are copied; values are borrowed.
 */
struct htab;
struct htab *htab_new(size_t size_hint);
void htab_free(struct htab *h, void (*free_value)(void *));
/* htab_find - value for key, or NULL */
void *htab_find(const struct htab *h, const char *key);
/* htab_has - 1 when key is present (also when its value is NULL) */
int htab_has(const struct htab *h, const char *key);
/* htab_set - insert or replace; returns the old value or NULL */
void *htab_set(struct htab *h, const char *key, void *value);
/* htab_delete - remove key; its value (the caller's to free), or NULL
 * when absent. Entry i, when deleted during a walk, holds the former
 * last entry: visit i again */
void *htab_delete(struct htab *h, const char *key);
size_t htab_count(const struct htab *h);
/* htab_key, htab_value - i-th entry in insertion order, i < count */
const char *htab_key(const struct htab *h, size_t i);
void *htab_value(const struct htab *h, size_t i);

/*
 * log - one API for every diagnostic, as Postfix's msg(3)/msg_output(3):
 * a message is formatted once and handed to each installed output. The
 * default output is stderr, "progname: warning: text"; a daemon's
 * maillog_open() (lib/base/maillog) replaces it with the maillog.
 */
enum log_level {
    LOG_LEVEL_INFO,  /* "progname: text" */
    LOG_LEVEL_WARN,  /* "progname: warning: text" */
    LOG_LEVEL_ERROR, /* "progname: error: text" */
    LOG_LEVEL_FATAL, /* "progname: fatal: text" */
    LOG_LEVEL_PANIC  /* "progname: panic: text" */
};
/* log_output_fn - an output: level, the name the message speaks as (the
 * progname unless log_msg named another), the formatted text (one line,
 * without newline; each output sanitizes it its own way) */
typedef void log_output_fn(enum log_level level, const char *prog,
                           const char *text);
/* log_output_add - install fn (once; at most 4 outputs) */
void log_output_add(log_output_fn *fn);
/* log_output_remove - uninstall fn; no output at all means no message */
void log_output_remove(log_output_fn *fn);
/* log_output_stderr - the default output: "prog: level: text" on stderr,
 * bytes outside printable ASCII shown as '?', stdout flushed first */
void log_output_stderr(enum log_level level, const char *prog,
                       const char *text);
/* log_level_name - NULL (info), "warning", "error", "fatal", "panic" */
const char *log_level_name(enum log_level level);
/* log_msg - a message at level spoken as prog (NULL: the progname), with
 * no action: at LOG_LEVEL_FATAL it does not exit, the caller returns its
 * own exit status ("sendmail: fatal: ...", then EX_USAGE) */
void log_msg(const char *prog, enum log_level level, const char *fmt, ...)
    UTIL_PRINTF(3, 4);
void log_vmsg(const char *prog, enum log_level level, const char *fmt,
              va_list ap) UTIL_PRINTF(3, 0);
/* log_set_progname - name used as prefix of diagnostics */
void log_set_progname(const char *name);
const char *log_progname(void);
/* log_warn - "progname: warning: text" */
void log_warn(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* log_error - "progname: error: text" */
void log_error(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* log_info - "progname: text" */
void log_info(const char *fmt, ...) UTIL_PRINTF(1, 2);
/* log_fatal - "progname: fatal: text", then exit(1) */
void log_fatal(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* log_panic - "progname: panic: text", then abort() */
void log_panic(const char *fmt, ...) UTIL_PRINTF(1, 2) UTIL_NORETURN;
/* log_set_fatal_hook - call fn before exit on fatal (e.g. flush stdout) */
void log_set_fatal_hook(void (*fn)(void));
/* log_set_fatal_status - exit status of log_fatal (default 1) */
void log_set_fatal_status(int status);
/* log_set_stdout_flush - whether each message flushes stdout first
 * (default on; postconf does not, and its stderr interleaves accordingly) */
void log_set_stdout_flush(int on);
/* log_set_quiet - when on, info and warning messages go to no output */
void log_set_quiet(int on);
/* log_warn_count - number of warnings and errors logged so far */
unsigned log_warn_count(void);

/* str_trim - remove leading and trailing whitespace in place */
char *str_trim(char *s);
/* str_has_prefix, str_has_suffix - 1 or 0 */
int str_has_prefix(const char *s, const char *prefix);
int str_has_suffix(const char *s, const char *suffix);
/* str_distance - Damerau-Levenshtein distance (adjacent swaps count 1),
 * or limit + 1 as soon as it exceeds limit */
size_t str_distance(const char *a, const char *b, size_t limit);
/* util_read_file - whole file into *out (NUL terminated, caller frees);
 * 0 or -1 with errno; files larger than limit fail with EFBIG */
int util_read_file(const char *path, size_t limit, char **out,
                   size_t *len) WARN_UNUSED;
/* util_read_fd - the same for what remains to be read from fd (which
 * stays open) */
int util_read_fd(int fd, size_t limit, char **out, size_t *len) WARN_UNUSED;
/* util_monotonic_ms - CLOCK_MONOTONIC in milliseconds, for deadlines */
long long util_monotonic_ms(void);
/* util_rm_tree_at - remove name in directory dfd (AT_FDCWD: the working
 * directory) and everything under it, following no symlink and running
 * no program; 0 (also when name does not exist) or -1 with errno */
int util_rm_tree_at(int dfd, const char *name) WARN_UNUSED;

/* util_set_ugid - become uid/gid for good (as root), with gid as the only
 * supplementary group, as Postfix's set_ugid; 0 or -1 with errno */
int util_set_ugid(uid_t uid, gid_t gid) WARN_UNUSED;
/* util_set_eugid - effective uid/gid only (back to root with 0, 0), with
 * gid as the only supplementary group, as Postfix's set_eugid; 0 or -1 */
int util_set_eugid(uid_t uid, gid_t gid) WARN_UNUSED;

/*
 * Coroutines (co.c): sessions written as blocking code, run many to a
 * process over one epoll loop. Inside a coroutine, co_wait() switches to
 * the loop until fd is ready; outside one it is poll(2), so I/O code
 * written with co_wait() works in both. Descriptors a coroutine waits on
 * must be non-blocking; a coroutine owns the descriptors it waits on and
 * calls co_forget() before closing one.
 */
#define CO_IN  1
#define CO_OUT 2
typedef void co_fn(void *arg);
typedef void co_watch_fn(void *arg);
/* co_init - the loop's epoll set (co_spawn and co_watch call it) */
int co_init(void);
/* co_spawn - new coroutine running fn(arg), started at once; 0 or -1
 * (called from the loop's side: a watch callback or the main code) */
int co_spawn(co_fn *fn, void *arg) WARN_UNUSED;
/* co_active - 1 inside a coroutine */
int co_active(void);
/* co_count - coroutines alive */
int co_count(void);
/* co_wait - until fd is ready for events (CO_IN, CO_OUT), timeout_ms
 * (<= 0: none) passes, or co_interrupt_all(); 0, or -1 with errno
 * ETIMEDOUT or EINTR */
int co_wait(int fd, int events, int timeout_ms);
/* co_forget - fd is about to be closed */
void co_forget(int fd);
/* co_watch - call fn(arg) from the loop when fd has events (epoll
 * flags, e.g. EPOLLIN | EPOLLEXCLUSIVE); at most 4; co_unwatch stops */
int co_watch(int fd, unsigned events, co_watch_fn *fn, void *arg);
int co_unwatch(int fd);
/* co_run_once - wait for events (timeout_ms, -1 none) and run what they
 * wake; events handled, or -1 with errno (EINTR: a signal) */
int co_run_once(int timeout_ms);
/* co_interrupt_all - every waiting coroutine's co_wait returns EINTR */
void co_interrupt_all(void);
/* co_offload - fn(arg) in a thread while the loop goes on (a blocking
 * library call such as getaddrinfo); plain call outside a coroutine */
int co_offload(co_fn *fn, void *arg);

#endif
