import { Ajv } from 'ajv'
import { ADMIN_SCHEMAS } from '../../protocols/admin/index.ts'

/**
 * A validator of `schema` as the admin endpoint compiles a body's (node/admin admin-fastify.ts:
 * strict, every shared schema known by its `$id`): whether a value fits, and why not.
 */
export function validatorOf (schema: object): (value: unknown) => { ok: boolean, errors: string[] } {
  const ajv = new Ajv({ removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: true })
  for (const s of ADMIN_SCHEMAS) ajv.addSchema(s)
  const validate = ajv.compile(schema)
  return (value) => {
    const ok = validate(value)
    return { ok, errors: (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`.trim()) }
  }
}
