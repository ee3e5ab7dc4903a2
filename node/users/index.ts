/** Users and their bearer tokens, over the user directory entity. */
export { UserAccounts } from './user-accounts.ts'
