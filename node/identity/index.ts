/** Who a node is and who may drive it: its libp2p identity, its TLS certificate, the admin token, token hashing. */
export { AdminTokenFileError, resolveAdminToken, hashToken, tokenMatches, newToken } from './admin-token.ts'
export type { AdminTokenSource } from './admin-token.ts'
export { loadPeerIdentity } from './peer-identity.ts'
export { AdminTokens, AdminTokenExistsError, AdminTokenLimitError, UnknownAdminTokenError, ADMIN_TOKENS_FILE, MAX_ADMIN_TOKENS, TOKEN_NAME_PATTERN, TOKEN_SCOPES } from './admin-tokens.ts'
export type { AdminTokenEntry, TokenScope } from './admin-tokens.ts'
export { permissionsTooOpen, tooOpen } from './secret-file.ts'
export { TlsFileError, loadTlsIdentity } from './tls-identity.ts'
export type { TlsIdentity } from './tls-identity.ts'
