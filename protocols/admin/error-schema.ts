/**
 * The error every admin route answers with (node/admin admin-errors.ts): one shape, a stable code.
 */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['statusCode', 'code', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string', description: 'stable, for scripts (e.g. USER_EXISTS, FST_ERR_VALIDATION)' },
    error: { type: 'string' },
    message: { type: 'string', description: 'what went wrong, naming the field for bad input' }
  }
} as const
