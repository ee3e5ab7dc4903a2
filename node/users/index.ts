/** Users and their bearer tokens, over the user directory entity; their tool policies. */
export { UserAccounts } from './user-accounts.ts'
export { DirectoryView } from './directory-view.ts'
export type { DirectoryViewOptions } from './directory-view.ts'
export { ToolPolicy } from './tool-policy.ts'
export type { ToolPolicyOptions, ToolSwitches } from './tool-policy.ts'
export { AUTH_CACHE_MAX, AUTH_CACHE_MS, CHANGES_ASK_MS, DIRECTORY_ASK_MS, DIRECTORY_REFRESH_MS, MAX_TOKEN_LENGTH, POLICY_ASK_MS, POLICY_CACHE_MAX, POLICY_CACHE_MS } from './constants.ts'
export { DirectoryUnavailableError } from './errors.ts'
