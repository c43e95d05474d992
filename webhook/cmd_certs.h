/*
 * cmd_certs.h - the certs command: a CA and a serving certificate for the
 * webhook's Service, made for a cluster without cert-manager.
 */
#ifndef WEBHOOK_CMD_CERTS_H
#define WEBHOOK_CMD_CERTS_H

/*
 * certs --service NAME --namespace NS --out DIR [--hosts H,...] [--days N].
 * argv holds the argc words after the command. Returns the exit code: 0, or
 * 2 when the files could not be made (bad flags exit 2 at once).
 */
int cmd_certs(int argc, char **argv);

#endif
