import { SerializerSelector } from '@fastify/fast-json-stringify-compiler'

/** What Fastify hands a serializer compiler for one route's response schema. */
type RouteSchema = Parameters<ReturnType<ReturnType<typeof SerializerSelector>>>[0]

/**
 * Fastify's own response serializers (fast-json-stringify), each compiled the first time its route
 * answers instead of when the routes are registered: compiling the admin API's schemas took about
 * a second of a node's start on two cores (a third of it), for routes most nodes never serve. Pass
 * as Fastify's `schemaController`.
 */
export const LAZY_SCHEMA_CONTROLLER = {
  compilersFactory: {
    buildSerializer: (externalSchemas: unknown, serializerOpts: unknown) => {
      const compile = SerializerSelector()(externalSchemas as never, serializerOpts as never)
      return (route: RouteSchema) => {
        let serialize: ((data: unknown) => string) | undefined
        return (data: unknown): string => (serialize ??= compile(route))(data)
      }
    }
  }
}

/** A validator compiled on its first call (Fastify reads `errors` after a call that returned false). */
export function lazyValidator<V extends ((data: any) => any) & { errors?: any }> (compile: () => V): V {
  let validate: V | undefined
  const check = ((data: unknown) => {
    validate ??= compile()
    const ok: unknown = validate(data)
    check.errors = validate.errors
    return ok
  }) as V
  return check
}
