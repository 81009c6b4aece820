/*
 * proxymap - table lookups for chrooted daemons (Postfix's proxymap(8)).
 *
 * DESCRIPTION
 *	The "proxymap" command of master.cf. A daemon chrooted to the queue
 *	directory cannot read /etc/passwd (unix:passwd.byname) or other
 *	files outside its jail; a proxy:type:name table in such a daemon is
 *	searched by this service instead, which runs outside the jail as
 *	mail_owner (master.cf: chroot n, unpriv y) and listens on
 *	private/proxymap, which the jailed daemons reach as /private/proxymap.
 *	The protocol is in lib/services/maps/maps.h (MAPS_PROXY_*).
 *
 *	One process serves every client over an event loop; clients keep
 *	their connection. Only tables that proxy_read_maps lists as
 *	proxy:type:name are served; a request for another one is refused
 *	and logged with Postfix's words. Tables are opened on first request
 *	and kept; the process exits when a table file changed (logged as
 *	Postfix logs it: "table hash:/etc/aliases has changed --
 *	restarting") or after max_idle seconds without clients, and master
 *	starts a fresh one on the next connection; clients send the request
 *	again on a fresh connection. proxywrite (updates) is not provided.
 */
#ifndef PROXYMAP_PROXYMAP_H
#define PROXYMAP_PROXYMAP_H

struct server;

/* proxymap_service - master.cf command "proxymap" */
int proxymap_service(struct server *srv);

#endif
