/*
 * server_check - what "postern check" and "postern start" learn about a
 * configuration, reported one note at a time.
 *
 * DESCRIPTION
 *	Every module that knows whether it honours a setting (smtpd for its
 *	restriction lists, the transport and table checks, the parameter
 *	classification from the schema) reports through one callback, so
 *	that check prints, counts and turns into JSON one stream of notes.
 *	The collector (lib/daemons/master) turns ns and param into file:line: a
 *	main.cf parameter's line, or the master.cf line of the service ns.
 *
 *	Levels: HONOURED says which daemons do what the setting asks (kept
 *	for --json and the corpus matrix, not printed); WARNING is a setting
 *	Postern does not honour whose absence does not change who may send,
 *	what is accepted or where mail goes; ERROR is one whose absence
 *	does, or a value that cannot work: it stops "start" unless
 *	--allow-unimplemented.
 */
#ifndef SERVER_SERVER_CHECK_H
#define SERVER_SERVER_CHECK_H

#include <stdarg.h>

#include "util/util.h"

enum server_note_level {
    SERVER_NOTE_HONOURED = 0,
    SERVER_NOTE_WARNING,
    SERVER_NOTE_ERROR,
};

/* server_note_fn - receives one note. ns: "service/type" of the master.cf
 * entry whose -o setting (or whose service) the note is about, NULL for
 * main.cf; param: the parameter name, NULL when the note is about a
 * service as a whole; text: one line, no trailing newline, no "warning:"
 * prefix (the collector adds what its output needs). */
typedef void server_note_fn(void *ctx, enum server_note_level level,
                            const char *ns, const char *param,
                            const char *text);

struct server_checker {
    server_note_fn *fn;
    void *ctx;
};

/* server_note - format text and pass it to chk->fn (a no-op when chk or
 * chk->fn is NULL) */
void server_note(const struct server_checker *chk, enum server_note_level level,
                 const char *ns, const char *param, const char *fmt, ...)
    UTIL_PRINTF(5, 6);

/* server_check_values - an ERROR note (Postfix's fatal text) for every
 * bool, int, size or time value set in main.cf or by a master.cf -o that
 * the daemons' typed accessors (server.h) would refuse at start */
struct pcf;
void server_check_values(struct pcf *p, const struct server_checker *chk);
/* server_conf_lenient - on: a malformed value read through the typed
 * accessors gives the parameter's default (or 0) instead of a fatal
 * error. Only for "postern check" after server_check_values reported the
 * value: the other checks then still classify the rest of the file. */
void server_conf_lenient(int on);
/* server_check_files - an ERROR note for every parameter whose
 * /file/name the daemons would read and cannot (myorigin = /etc/mailname
 * missing or empty; server_file.c), main.cf and every service's -o */
void server_check_files(struct pcf *p, const struct server_checker *chk);

#endif
