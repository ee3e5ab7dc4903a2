/** Users and their bearer tokens, over the user directory entity. */
export { UserAccounts } from './user-accounts.ts'
export { DirectoryView } from './directory-view.ts'
export type { DirectoryViewOptions } from './directory-view.ts'
export { AUTH_CACHE_MAX, AUTH_CACHE_MS, CHANGES_ASK_MS, DIRECTORY_ASK_MS, DIRECTORY_REFRESH_MS, MAX_TOKEN_LENGTH } from './constants.ts'
export { DirectoryUnavailableError } from './errors.ts'
