/** Users and their bearer tokens, over the user directory entity. */
export { UserAccounts } from './user-accounts.ts'
export { DIRECTORY_REFRESH_MS, DirectoryView } from './directory-view.ts'
export { DirectoryUnavailableError } from './errors.ts'
