/*
 * tok822 - RFC 822 address lists: tokens, parse trees and both string forms.
 *
 * DESCRIPTION
 *	Postfix 3.7's tok822 (global/tok822_parse.c, tok822_tree.c) and
 *	quote_822_local, with the same output byte for byte: header
 *	address rewriting in cleanup parses From:, To:, ... into a tree,
 *	rewrites each TOK822_ADDR node and writes the list back.
 *	tok822_scan() splits a string into tokens: operators (their own
 *	character as type), atoms, quoted strings (stored unquoted),
 *	comments (stored with their parentheses) and domain literals
 *	(without brackets). tok822_parse() then groups the tokens right to
 *	left into TOK822_ADDR nodes, moving comments aside and inserting
 *	the commas a broken list lacks, without dropping anything.
 */
#ifndef TOK822_TOK822_H
#define TOK822_TOK822_H

#include "util/util.h"

#define TOK822_ATOM     256 /* a word */
#define TOK822_QSTRING  257 /* "quoted string", stored without quotes */
#define TOK822_COMMENT  258 /* (comment), stored with the parentheses */
#define TOK822_DOMLIT   259 /* [domain literal], without brackets */
#define TOK822_ADDR     260 /* an address: its tokens under head..tail */
#define TOK822_STARTGRP 261 /* the ':' of "name: a, b;" */
#define TOK822_MINTOK   TOK822_ATOM

struct tok822 {
    int type;     /* an operator character, or TOK822_* */
    struct buf s; /* text of a word, string, comment or literal */
    struct tok822 *prev, *next;
    struct tok822 *head, *tail; /* the children of a TOK822_ADDR */
    struct tok822 *owner;       /* the TOK822_ADDR this token is in */
};

/* string conversion flags (Postfix's TOK822_STR_*) */
#define TOK822_STR_LINE 1u /* a newline after each ',' */
#define TOK822_STR_TRNC                              \
    2u /* external: Postfix's Sendmail guard, an     \
        * expression with over 250 bytes besides its \
        * address becomes <address> (logged) */

/* tok822_scan - the token list of str (NULL when empty); *tailp (may be
 * NULL) its last token; limit > 0 stops after that many tokens */
struct tok822 *tok822_scan(const char *str, struct tok822 **tailp, int limit);
/* tok822_parse - the parse tree of str (a list of addresses, operators
 * and comments at the top), or NULL */
struct tok822 *tok822_parse(const char *str, int limit);
/* tok822_free_tree - a list with its children */
void tok822_free_tree(struct tok822 *tp);
/* tok822_internalize, tok822_externalize - a list as text, appended to
 * out: quotes removed, or as RFC 822 needs them (the local part of an
 * address through quote_822_local) */
void tok822_internalize(struct buf *out, const struct tok822 *tree,
                        unsigned flags);
void tok822_externalize(struct buf *out, const struct tok822 *tree,
                        unsigned flags);

/* quote_822_local flags (Postfix's QUOTE_FLAG_*) */
#define TOK822_QUOTE_8BITCLEAN      1u /* 8-bit bytes need no quotes */
#define TOK822_QUOTE_EXPOSE_AT      2u /* '@' in the local part is not quoted */
#define TOK822_QUOTE_APPEND         4u /* (always: the result is appended) */
#define TOK822_QUOTE_BARE_LOCALPART 8u /* mbox is a local part only */
#define TOK822_QUOTE_DEFAULT        TOK822_QUOTE_8BITCLEAN
/* tok822_quote_local - quote_822_local_flags(): mbox with its local part
 * quoted when it is not an RFC 822 dot-string, appended to out */
void tok822_quote_local(struct buf *out, const char *mbox, unsigned flags);
/* tok822_unquote_local - unquote_822_local(): quotes and backslashes
 * before the last unquoted '@' removed, appended to out */
void tok822_unquote_local(struct buf *out, const char *mbox);

/*
 * Header address rewriting (tok822_hdr.c), shared by cleanup (canonical
 * maps, masquerading) and smtp (smtp_generic_maps).
 */
#define TOK822_HDR_SENDER 1 /* From, Sender, Reply-To, Resent-From, ... */
#define TOK822_HDR_RECIP  2 /* To, Cc, Bcc, Resent-To, Apparently-To, ... */
/* tok822_header_class - the class of header h (len bytes, with its
 * name and colon) as Postfix's header_opts, or 0; *namelen the length
 * of its name */
int tok822_header_class(const char *h, size_t len, size_t *namelen);
/* tok822_addr_fn - rewrite *addr (external form, owned: replace it);
 * 1 when it changed */
typedef int tok822_addr_fn(void *ctx, int cls, char **addr);
/* tok822_rewrite_headers - content (LF line ends) with the addresses of
 * its primary address headers passed through fn, appended to out;
 * changed headers are written back as Postfix folds them. limit: the
 * token limit (header_address_token_limit). 1 when anything changed */
int tok822_rewrite_headers(const char *content, size_t len, int limit,
                           tok822_addr_fn *fn, void *ctx, struct buf *out);
/* tok822_fold - Postfix's header folding of text (one address per line,
 * modified) appended to out with a newline after each line */
void tok822_fold(struct buf *out, char *text);

#endif
