/*
 * co - coroutines over one epoll loop, for sessions written as blocking
 *	code.
 *
 * DESCRIPTION
 *	See util.h. Each coroutine has its own stack (mmap, a guard page
 *	below it) and runs until it must wait: co_wait() registers the
 *	descriptor with the loop's epoll (once, edge-triggered, for both
 *	directions) and switches back to the loop (co_run_once), which
 *	resumes it when the descriptor is ready, its deadline passes, or
 *	co_interrupt_all() is called. Callers always try their read or
 *	write first and wait only after EAGAIN, so an edge that came while
 *	the coroutine was busy is never needed. Outside a coroutine
 *	co_wait() is poll(2), so the same code runs in plain processes.
 *
 *	AddressSanitizer is told about every stack switch, else it reports
 *	the coroutine stacks as overflows.
 */
#define _GNU_SOURCE 1
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "util/util.h"

#if defined(__SANITIZE_ADDRESS__)
#define CO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CO_ASAN 1
#endif
#endif
#ifdef CO_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

#define CO_STACK (256 * 1024)
#define CO_POOL  32 /* stacks kept for reuse */

/*
 * The switch itself. glibc's swapcontext() saves and restores the signal
 * mask with a system call each way, two per wait and resume; on x86-64 a
 * switch is the callee-saved registers and the stack pointer, which is
 * what co_switch does (the signal mask is the same in every coroutine).
 * Other architectures use ucontext.
 */
#if defined(__x86_64__)
#define CO_ASM 1
void co_switch(void **save_sp, void *to_sp);
__asm__(".text\n"
        ".globl co_switch\n"
        ".type co_switch,@function\n"
        "co_switch:\n"
        "    pushq %rbp\n"
        "    pushq %rbx\n"
        "    pushq %r12\n"
        "    pushq %r13\n"
        "    pushq %r14\n"
        "    pushq %r15\n"
        "    movq %rsp, (%rdi)\n"
        "    movq %rsi, %rsp\n"
        "    popq %r15\n"
        "    popq %r14\n"
        "    popq %r13\n"
        "    popq %r12\n"
        "    popq %rbx\n"
        "    popq %rbp\n"
        "    ret\n"
        ".size co_switch, .-co_switch\n");
#endif

struct co {
#ifdef CO_ASM
    void *sp;
#else
    ucontext_t ctx;
#endif
    char *map; /* guard page + stack */
    size_t maplen;
    co_fn *fn;
    void *arg;
    int done;
    /* while waiting */
    int wfd;
    uint32_t wev;
    long long deadline; /* ms, monotonic; -1 none */
    int result;         /* 0 ready, ETIMEDOUT, EINTR */
    struct co *prev, *next;
    void *asan_fake;
    unsigned igen; /* co_interrupt_all round that woke it last */
};

struct watch {
    int fd;
    co_watch_fn *fn;
    void *arg;
};

static struct {
    int ep;
#ifdef CO_ASM
    void *main_sp;
#else
    ucontext_t main;
#endif
    char *pool[CO_POOL]; /* stacks (mappings) kept for reuse */
    int npool;
    unsigned char *regd; /* fd registered with epoll */
    struct co *cur;
    struct co *all;
    int n;
    struct co **byfd; /* fd -> coroutine registered for it */
    size_t nbyfd;
    struct watch watch[4];
    int nwatch;
    void *main_fake;
    const void *main_bottom;
    size_t main_size;
    unsigned gen;
} S = {.ep = -1};

int
co_init(void)
{
    if (S.ep >= 0)
        return 0;
    S.ep = epoll_create1(EPOLL_CLOEXEC);
    return S.ep < 0 ? -1 : 0;
}

int
co_active(void)
{
    return S.cur != NULL;
}

int
co_count(void)
{
    return S.n;
}

/* switch_to - from the loop into c, until it waits or ends */
static void
switch_to(struct co *c)
{
    S.cur = c;
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(&S.main_fake, c->map + getpagesize(),
                                   c->maplen - (size_t) getpagesize());
#endif
#ifdef CO_ASM
    co_switch(&S.main_sp, c->sp);
#else
    (void) swapcontext(&S.main, &c->ctx);
#endif
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(S.main_fake, NULL, NULL);
#endif
    S.cur = NULL;
    if (c->done) {
        if (c->prev)
            c->prev->next = c->next;
        else
            S.all = c->next;
        if (c->next)
            c->next->prev = c->prev;
        S.n--;
        if (S.npool < CO_POOL)
            S.pool[S.npool++] = c->map; /* its pages stay faulted in */
        else
            (void) munmap(c->map, c->maplen);
        mem_free(c);
    }
}

/* yield - from the running coroutine back to the loop */
static void
yield(struct co *c)
{
#ifdef CO_ASAN
    __sanitizer_start_switch_fiber(c->done ? NULL : &c->asan_fake,
                                   S.main_bottom, S.main_size);
#endif
#ifdef CO_ASM
    co_switch(&c->sp, S.main_sp);
#else
    (void) swapcontext(&c->ctx, &S.main);
#endif
#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(c->asan_fake, &S.main_bottom, &S.main_size);
#endif
}

static struct co *starting;

static void
trampoline(void)
{
    struct co *c = starting;

#ifdef CO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &S.main_bottom, &S.main_size);
#endif
    c->fn(c->arg);
    c->done = 1;
    for (size_t i = 0; i < S.nbyfd; i++)
        if (S.byfd[i] == c)
            S.byfd[i] = NULL;
    yield(c);
    /* not reached: the loop frees the stack */
}

int
co_spawn(co_fn *fn, void *arg)
{
    struct co *c;
    size_t page = (size_t) getpagesize();

    if (S.cur != NULL) {
        errno = EDEADLK; /* from the loop only, not from a coroutine */
        return -1;
    }
    if (co_init() < 0)
        return -1;
    c = mem_calloc(1, sizeof(*c));
    c->maplen = CO_STACK + page;
    if (S.npool > 0) {
        c->map = S.pool[--S.npool];
#ifdef CO_ASAN
        /* the frames the last user left on it are not ours */
        ASAN_UNPOISON_MEMORY_REGION(c->map + page, CO_STACK);
#endif
    } else {
        c->map = mmap(NULL, c->maplen, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (c->map == MAP_FAILED) {
            mem_free(c);
            return -1;
        }
        (void) mprotect(c->map, page, PROT_NONE); /* overflow: a fault */
    }
#ifdef CO_ASM
    {
        /* a frame co_switch "returns" from into trampoline: six saved
         * registers, the return address, then the 16-byte aligned top
         * (trampoline starts as if called: rsp = 8 mod 16) */
        uintptr_t top = ((uintptr_t) (c->map + c->maplen)) & ~(uintptr_t) 15;
        uintptr_t *sp = (uintptr_t *) top;

        /* words, not void *: ISO C has no function-to-object pointer
         * conversion, but any pointer converts to an integer */
        *--sp = 0; /* trampoline's own return address: none */
        *--sp = (uintptr_t) trampoline;
        for (int i = 0; i < 6; i++)
            *--sp = 0;
        c->sp = sp;
    }
#else
    (void) getcontext(&c->ctx);
    c->ctx.uc_stack.ss_sp = c->map + page;
    c->ctx.uc_stack.ss_size = CO_STACK;
    c->ctx.uc_link = NULL;
    makecontext(&c->ctx, trampoline, 0);
#endif
    c->fn = fn;
    c->arg = arg;
    c->wfd = -1;
    c->deadline = -1;
    c->next = S.all;
    if (S.all)
        S.all->prev = c;
    S.all = c;
    S.n++;
    starting = c;
    switch_to(c); /* runs until its first wait */
    return 0;
}

/* enroll - fd into the epoll set, for c */
static int
enroll(struct co *c, int fd)
{
    struct epoll_event ev;

    if ((size_t) fd >= S.nbyfd) {
        size_t n = (size_t) fd + 64;

        S.byfd = mem_realloc(S.byfd, n * sizeof(*S.byfd));
        memset(S.byfd + S.nbyfd, 0, (n - S.nbyfd) * sizeof(*S.byfd));
        S.regd = mem_realloc(S.regd, n);
        memset(S.regd + S.nbyfd, 0, n - S.nbyfd);
        S.nbyfd = n;
    }
    S.byfd[fd] = c;
    if (S.regd[fd])
        return 0; /* open since an earlier coroutine (a pooled socket) */
    memset(&ev, 0, sizeof(ev));
    ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
    ev.data.fd = fd;
    if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev) < 0 &&
        (errno != EEXIST || epoll_ctl(S.ep, EPOLL_CTL_MOD, fd, &ev) < 0)) {
        S.byfd[fd] = NULL;
        return -1;
    }
    S.regd[fd] = 1;
    return 0;
}

int
co_wait(int fd, int events, int timeout_ms)
{
    struct co *c = S.cur;

    if (c == NULL) {
        struct pollfd p = {.fd = fd};
        int rc;

        p.events = (short) ((events & CO_IN ? POLLIN : 0) |
                            (events & CO_OUT ? POLLOUT : 0));
        rc = poll(&p, 1, timeout_ms > 0 ? timeout_ms : -1);
        if (rc > 0)
            return 0;
        if (rc == 0)
            errno = ETIMEDOUT;
        return -1;
    }
    if (enroll(c, fd) < 0)
        return -1;
    c->wfd = fd;
    c->wev = (events & CO_IN ? EPOLLIN | EPOLLRDHUP : 0) |
             (events & CO_OUT ? EPOLLOUT : 0) | EPOLLERR | EPOLLHUP;
    c->deadline = timeout_ms > 0 ? util_monotonic_ms() + timeout_ms : -1;
    c->result = 0;
    yield(c);
    c->wfd = -1;
    if (c->result) {
        errno = c->result;
        return -1;
    }
    return 0;
}

void
co_forget(int fd)
{
    /* close(2) takes the descriptor out of the epoll set (the process
     * holds the only reference); only the table needs clearing */
    if (fd >= 0 && (size_t) fd < S.nbyfd) {
        S.byfd[fd] = NULL;
        S.regd[fd] = 0;
    }
}

int
co_watch(int fd, unsigned events, co_watch_fn *fn, void *arg)
{
    struct epoll_event ev;
    int i;

    if (co_init() < 0)
        return -1;
    for (i = 0; i < S.nwatch && S.watch[i].fd >= 0; i++)
        ; /* a free slot (co_unwatch), else a new one */
    if (i == (int) (sizeof(S.watch) / sizeof(S.watch[0]))) {
        errno = ENOSPC;
        return -1;
    }
    memset(&ev, 0, sizeof(ev));
    ev.events = events;
    ev.data.fd = -1 - i;
    if (epoll_ctl(S.ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        return -1;
    S.watch[i].fd = fd;
    S.watch[i].fn = fn;
    S.watch[i].arg = arg;
    if (i == S.nwatch)
        S.nwatch++;
    return 0;
}

int
co_unwatch(int fd)
{
    for (int i = 0; i < S.nwatch; i++)
        if (S.watch[i].fd == fd) {
            S.watch[i].fd = -1;
            return epoll_ctl(S.ep, EPOLL_CTL_DEL, fd, NULL);
        }
    errno = ENOENT;
    return -1;
}

static void
wake(struct co *c, int result)
{
    c->result = result;
    c->deadline = -1;
    c->wev = 0;
    switch_to(c);
}

int
co_run_once(int timeout_ms)
{
    struct epoll_event evs[64];
    long long now = util_monotonic_ms(), first = -1;
    int n, t = timeout_ms;

    for (struct co *c = S.all; c; c = c->next)
        if (c->wev && c->deadline >= 0 && (first < 0 || c->deadline < first))
            first = c->deadline;
    if (first >= 0) {
        long long left = first > now ? first - now : 0;

        if (t < 0 || left < t)
            t = left > 1000000 ? 1000000 : (int) left;
    }
    n = epoll_wait(S.ep, evs, 64, t);
    if (n < 0)
        return -1;
    for (int i = 0; i < n; i++) {
        int fd = evs[i].data.fd;
        struct co *c;

        if (fd < 0) {
            struct watch *w = &S.watch[-1 - fd];

            if (w->fd >= 0)
                w->fn(w->arg);
            continue;
        }
        if ((size_t) fd < S.nbyfd && (c = S.byfd[fd]) != NULL && c->wfd == fd &&
            (c->wev & evs[i].events))
            wake(c, 0);
    }
    now = util_monotonic_ms();
    for (struct co *c = S.all, *next; c; c = next) {
        next = c->next;
        if (c->wev && c->deadline >= 0 && c->deadline <= now) {
            wake(c, ETIMEDOUT);
            next = S.all; /* the list may have changed: start over */
        }
    }
    return n;
}

void
co_interrupt_all(void)
{
    /* each waiter once: one that waits again at once is not woken again */
    S.gen++;
    for (struct co *c = S.all, *next; c; c = next) {
        next = c->next;
        if (c->wev && c->igen != S.gen) {
            c->igen = S.gen;
            wake(c, EINTR);
            next = S.all; /* the list may have changed: start over */
        }
    }
}

/* ---- blocking calls off the loop ---- */

struct offload {
    co_fn *fn;
    void *arg;
    int efd;
};

static void *
offload_main(void *v)
{
    struct offload *o = v;
    uint64_t one = 1;

    o->fn(o->arg);
    if (write(o->efd, &one, sizeof(one)) < 0) {
        /* cannot happen for an eventfd below its maximum */
    }
    return NULL;
}

int
co_offload(co_fn *fn, void *arg)
{
    struct offload o = {fn, arg, -1};
    pthread_t t;
    uint64_t v;

    if (S.cur == NULL || (o.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        fn(arg);
        return 0;
    }
    if (pthread_create(&t, NULL, offload_main, &o) != 0) {
        (void) close(o.efd);
        fn(arg);
        return 0;
    }
    /* no timeout: the call's own (resolver) timeouts bound it, and the
     * stack it uses is ours */
    while (read(o.efd, &v, sizeof(v)) < 0 && errno == EAGAIN)
        (void) co_wait(o.efd, CO_IN, -1);
    (void) pthread_join(t, NULL);
    co_forget(o.efd);
    (void) close(o.efd);
    return 0;
}
