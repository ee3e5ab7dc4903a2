/**
 * What the admin routes' schemas say again and again: a reference to a shared schema by its `$id`,
 * the Error schema for each refusal a route may answer, and the bearer token it needs (OpenAPI).
 */

/** A reference to a schema added by its `$id` (ADMIN_SCHEMAS). */
export const ref = (id: string): { $ref: string } => ({ $ref: `${id}#` })

/** The Error schema as the response of each status given (`...errors(400, 401)`). */
export const errors = (...codes: number[]): Record<number, { $ref: string }> =>
  Object.fromEntries(codes.map((code) => [code, ref('Error')]))

/** OpenAPI `security` of a route behind the admin bearer token. */
export const BEARER = [{ bearer: [] }]
