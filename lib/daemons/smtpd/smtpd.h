/*
 * smtpd - the SMTP server.
 *
 * DESCRIPTION
 *	RFC 5321 ESMTP with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES,
 *	DSN, SMTPUTF8 and STARTTLS (OpenSSL; this module is the only user
 *	of it). Access policy follows Postfix: mynetworks, mydestination,
 *	relay_domains, the smtpd_*_restrictions lists, local_recipient_maps.
 *	Mail goes to cleanup as it arrives; "250 2.0.0 Ok: queued as ID"
 *	is sent only after cleanup's group commit made it durable.
 */
#ifndef SMTPD_SMTPD_H
#define SMTPD_SMTPD_H

struct server;
struct pcf;
struct server_checker;

/* smtpd_service - the daemon (master.cf command "smtpd") */
int smtpd_service(struct server *srv);
/* smtpd_stdio_main - an SMTP session on stdin/stdout for "sendmail -bs":
 * the client is the local user (localhost[127.0.0.1]); mail goes to the
 * running cleanup service. Returns a sysexits.h status. */
int smtpd_stdio_main(struct pcf *p);
/* smtpd_check_config - fatal configuration errors of p (for "postern
 * check" and start): message in err; 0 ok, -1 bad */
int smtpd_check_config(struct pcf *p, const char *svc, char *err,
                       unsigned long errlen);

/* smtpd_check_lint - the restriction lists and classes of main.cf (ns
 * NULL) or those a service "name/type" changes with -o, after $name
 * expansion, as the engine will evaluate them: unknown and
 * unimplemented restrictions, malformed arguments, bare tables and
 * classes, each reported through server_note with its parameter */
void smtpd_check_lint(struct pcf *conf, const char *ns,
                      const struct server_checker *chk);

#endif
