/** Users as `/api/v1/users` lists, creates and removes them. */
import { CLIENT_ID_PATTERN, CLIENT_ID_RULE, MAX_USERS_PAGE } from '../limits.ts'
import { USER_NAME_PATTERN } from '../names.ts'

export const userSchema = {
  $id: 'User',
  type: 'object',
  required: ['name', 'createdAt'],
  properties: { name: { type: 'string' }, createdAt: { type: 'integer' } }
} as const

export const newUserSchema = {
  $id: 'NewUser',
  type: 'object',
  required: ['name', 'token', 'createdAt'],
  properties: {
    name: { type: 'string' },
    token: { type: 'string', description: 'shown once: only its hash is stored' },
    createdAt: { type: 'integer' }
  }
} as const

export const userNameParam = { type: 'string', pattern: USER_NAME_PATTERN.source } as const
/** A caller's id of a request, which makes its retry safe (POST /users). */
export const clientId = { type: 'string', pattern: CLIENT_ID_PATTERN.source, description: `the caller's id of this request (${CLIENT_ID_RULE}): a retry with the same id is safe` } as const

/** `GET /api/v1/users`'s paging: without `limit`, every user (the answer clients always read). */
export const usersQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: MAX_USERS_PAGE, description: `at most this many users (1 to ${MAX_USERS_PAGE}); absent: every user` },
    after: { ...userNameParam, description: 'the users after this name (the last of the page before); it need not be a user\'s' }
  }
} as const
