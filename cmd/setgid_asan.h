#ifndef CMD_SETGID_ASAN_H
#define CMD_SETGID_ASAN_H

/*
 * setgid_asan.h - sanitizer options of the set-gid programs (their mains
 * include it; nothing else may).
 *
 * In a sanitizer build: LeakSanitizer stops the process's threads with
 * ptrace when it exits, which a non-dumpable process refuses, and the
 * set-gid start-up makes this one non-dumpable
 * (lib/daemons/pickup/pickup_priv.c) and clears the environment that would
 * carry ASAN_OPTIONS. Leaks in this code are found by the unit tests and
 * fuzzers instead.
 */
#if defined(__SANITIZE_ADDRESS__)
#define POSTERN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTERN_ASAN 1
#endif
#endif
#ifdef POSTERN_ASAN
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

#endif
