/**
 * Node constants that clients (the CLI) need too. Kept apart from node/index.ts so that a client
 * command does not load the whole server stack (Fastify, gRPC, LevelDB: ~0.6 s) to read them.
 */
export const VERSION = '0.1.0'
/** `<data-dir>/admin-token`: the admin bearer token, created on first start, mode 0600. */
export const ADMIN_TOKEN_FILE = 'admin-token'
/** `<data-dir>/store`: the node's LevelDB. */
export const STORE_DIR = 'store'
/** `<data-dir>/backup-chunks`: the sealed backup chunks a backup-role node keeps for the cluster. */
export const BACKUP_CHUNKS_DIR = 'backup-chunks'
/** `<data-dir>/peer-key`: the node's libp2p identity. */
export const PEER_KEY_FILE = 'peer-key'
/** `<data-dir>/tokens/<user>`: user tokens saved by `plexi admin users add`, mode 0600. */
export const TOKENS_DIR = 'tokens'
