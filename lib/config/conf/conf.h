/*
 * conf - lossless models of Postfix main.cf and master.cf.
 *
 * DESCRIPTION
 *	A configuration file is split into entries that together cover
 *	every byte of the file, in order: serializing the entries gives
 *	the input back byte for byte (comments, blank lines, indentation,
 *	trailing whitespace, a missing final newline).
 *
 *	Entries follow Postfix's readllines() rules: a logical line starts
 *	in column 0; lines that start with whitespace continue it; lines
 *	whose first non-blank is '#', and whitespace-only lines, are
 *	skipped, also between the lines of a continued value. Comment and
 *	blank lines that sit between a logical line and its continuation
 *	belong to that entry; others are entries of their own.
 *
 *	For main.cf each logical entry is split into name and value as
 *	Postfix's split_nameval() does; for master.cf into fields as
 *	Postfix's argv_splitq() does ({...} groups one field). Every
 *	name, value and field knows its line and column.
 */
#ifndef CONF_CONF_H
#define CONF_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "util/util.h"

enum conf_kind {
    CONF_MAIN,   /* main.cf: name = value */
    CONF_MASTER, /* master.cf: service type private ... command args */
};

enum conf_entry_kind {
    CONF_ENT_BLANK,   /* whitespace-only line */
    CONF_ENT_COMMENT, /* line whose first non-blank is '#' */
    CONF_ENT_LOGICAL, /* a logical line with its continuation lines */
    CONF_ENT_ORPHAN,  /* text that starts with whitespace and has no
                       * logical line to continue: Postfix warns and
                       * skips it */
};

/* One physical line's contribution to a logical line. */
struct conf_seg {
    size_t off;  /* offset of the line's text in the file */
    size_t len;  /* bytes, without the newline */
    size_t loff; /* offset of that text in the logical line */
    int line;    /* 1-based line number */
};

/* One master.cf field, or main.cf name/value, with its position. */
struct conf_field {
    char *text; /* the field as Postfix sees it (braces kept) */
    int line;   /* 1-based */
    int col;    /* 1-based byte column */
};

struct conf_entry {
    enum conf_entry_kind kind;
    size_t off;     /* first byte of the entry in the file */
    size_t len;     /* all bytes, including newlines */
    int first_line; /* 1-based */
    int last_line;  /* last physical line of the entry */
    int value_line; /* last line that contributed text */
    char *replaced; /* when not NULL, written instead of the original bytes */
    /* LOGICAL and ORPHAN entries */
    char *text; /* logical line: contributing lines joined,
                 * cut at the first NUL byte as Postfix does */
    struct conf_seg *segs;
    size_t nsegs;
    /* main.cf LOGICAL entries */
    const char *error;       /* split_nameval() error, or NULL */
    struct conf_field name;  /* parameter name */
    struct conf_field value; /* value, leading/trailing blanks trimmed */
    /* master.cf LOGICAL entries */
    struct conf_field *fields;
    size_t nfields;
};

struct conf_file {
    char *path;
    enum conf_kind kind;
    char *data;
    size_t len;
    struct conf_entry *ents;
    size_t n;
    size_t cap;
};

/* Largest configuration file we read (postconf has no limit; we do). */
#define CONF_MAX_FILE ((size_t) 1 << 30)

/*
 * conf_file_parse - model of data (len bytes, copied) read from path.
 * Never fails: every input has a model. Caller frees with conf_file_free.
 */
struct conf_file *conf_file_parse(const char *path, enum conf_kind kind,
                                  const char *data, size_t len);
/*
 * conf_entry_fn - called for each entry in file order. Return 0 to let
 * the scanner free the entry, 1 to keep it (the callee then owns the
 * entry's allocations: copy the struct), -1 to stop scanning.
 */
typedef int conf_entry_fn(const struct conf_entry *e, void *ctx);
/*
 * conf_file_scan_data - stream the entries of data (len bytes, NUL
 * after them) to fn, keeping only one entry in memory. 0, or -1 when fn
 * stopped the scan.
 */
int conf_file_scan_data(enum conf_kind kind, const char *data, size_t len,
                        conf_entry_fn *fn, void *ctx);
/* conf_file_scan - read path and stream its entries: 0, -1 with errno on
 * I/O error, -2 when fn stopped the scan */
int conf_file_scan(const char *path, enum conf_kind kind, conf_entry_fn *fn,
                   void *ctx);
/* conf_file_read - read and parse path; NULL with errno on I/O error */
struct conf_file *conf_file_read(const char *path, enum conf_kind kind);
void conf_file_free(struct conf_file *cf);
/* conf_file_serialize - the file's bytes as they stand; 0 or -1 (limit) */
int conf_file_serialize(const struct conf_file *cf,
                        struct buf *out) WARN_UNUSED;
/* conf_entry_text_len - bytes of the logical line before NUL cutting */
size_t conf_entry_text_len(const struct conf_entry *e);
/* conf_entry_pos - line and column of logical-line offset loff */
void conf_entry_pos(const struct conf_entry *e, size_t loff, int *line,
                    int *col);

/*
 * Safe edits. conf_edit_begin() locks PATH for editing (Postfix's
 * PATH.tmp lock protocol, so it takes turns with postconf -e) and reads
 * it into data/len; conf_edit_commit() replaces PATH atomically with
 * new text, keeping mode, owner and group, optionally keeping the old
 * file as PATH+backup_suffix. Both return 0, or -1 with *err set to a
 * text naming the file and the reason (caller frees); after -1 nothing
 * was changed and the edit is closed. conf_edit_abort() gives up.
 *
 * Everything happens relative to a descriptor of PATH's directory, and
 * PATH.tmp is only ever written when it is a regular file with one link,
 * owned by us, that we created or locked: whatever else sits under that
 * name (a symlink, a hard link, a FIFO, a directory, another user's
 * file) is removed first, never opened for writing.
 */
#include <sys/stat.h>

struct conf_edit {
    char *path;
    char *tmp_path;
    int fd;
    struct stat st;
    char *data;
    size_t len;
    int dfd;        /* PATH's directory */
    char *base;     /* PATH's last component */
    char *tmp_base; /* PATH.tmp's last component */
};

int conf_edit_begin(struct conf_edit *ed, const char *path,
                    char **err) WARN_UNUSED;
int conf_edit_commit(struct conf_edit *ed, const char *data, size_t len,
                     const char *backup_suffix, char **err) WARN_UNUSED;
void conf_edit_abort(struct conf_edit *ed);
/*
 * conf_write_file - replace PATH with len bytes of data, mode mode (owner:
 * the caller), the same safe way: PATH.tmp under the lock protocol above,
 * fsync, rename, fsync of the directory. 0, or -1 with *err set (caller
 * frees) and PATH untouched.
 */
int conf_write_file(const char *path, const char *data, size_t len, mode_t mode,
                    char **err) WARN_UNUSED;

/*
 * Postfix text primitives, exactly as postconf applies them.
 */

/* conf_split_nameval - Postfix split_nameval(): in place; NULL or error text */
const char *conf_split_nameval(char *buf, char **name, char **value);
/* conf_tok_next - Postfix mystrtokq(): next token of *src separated by
 * chars in sep, with {} grouping; NULL at end. Modifies the string. */
char *conf_tok_next(char **src, const char *sep);
/* conf_balpar - length of the balanced {...} prefix of s, or 0 */
size_t conf_balpar(const char *s);
/*
 * conf_extpar - Postfix extpar(): strip the outer {} of *bp in place
 * (and surrounding blanks when strip); returns an error text the caller
 * frees ("missing '}' in ...", "syntax error after '}' in ..."), or NULL.
 */
char *conf_extpar(char **bp, int strip);

#define CONF_BLANKS       " \t\r\n"
#define CONF_SEP_COMMA_SP ", \t\r\n"

/*
 * conf_list_split - the one list tokenizer: append the elements of a
 * Postfix list value (separated by commas and white space, a {} group
 * one element, as conf_tok_next) to out. CONF_LIST_UNBRACE: an element
 * that is a {} group loses its braces and surrounding blanks (extpar),
 * as restriction lists and match lists take "{ ... }"; without it
 * elements are kept as written ("inline:{a=b}" is one element either
 * way). value may be NULL.
 */
#define CONF_LIST_UNBRACE (1u << 0)
void conf_list_split(const char *value, struct strv *out, unsigned flags);

/*
 * conf_param_file - a value kept in a file, as Postfix's
 * read_param_from_file() reads "myorigin = /etc/mailname": the first
 * line, trimmed (maybe ""). NULL with Postfix's reason in why (caller's
 * initialized buf) when the file cannot be read. Caller frees.
 */
char *conf_param_file(const char *path, struct buf *why);

/* CONF_DEF_CONFIG_DIR - the configuration directory by default */
#define CONF_DEF_CONFIG_DIR "/etc/postfix"

/* conf_config_dir - given when not NULL or empty, else $MAIL_CONFIG when
 * not empty, else CONF_DEF_CONFIG_DIR; borrowed (conf_dir.c) */
const char *conf_config_dir(const char *given);

/* conf_config_dir_arg - the value of the last "-c DIR" among argv[from..]
 * or NULL; every "-c DIR" pair is removed from argv and *argc */
const char *conf_config_dir_arg(int *argc, char **argv, int from);

#endif
