/** This node's named admin tokens as `/api/v1/tokens` shows them (never the tokens: only their hashes are kept). */

/** A named admin token: its name, its scope, when it was made. */
export const tokenSchema = { type: 'object', required: ['name', 'scope', 'createdAt'], properties: { name: { type: 'string' }, scope: { type: 'string', enum: ['read', 'admin'] }, createdAt: { type: 'integer' } } } as const

/** A token's name: what `tokens add` and `tokens rm` take. */
export const tokenNameParam = { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,31}$' } as const
