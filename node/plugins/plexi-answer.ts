import { PLEXI_METHODS } from '../../protocols/index.ts'
import type { BeforePostResult, CommandResult } from '../../protocols/index.ts'
import { MAX_COMMAND_TEXT, MAX_REFUSAL_REASON } from './constants.ts'
import { InvalidPluginRequestError, PluginProtocolError } from './errors.ts'
import { clipText } from './tool-result-text.ts'

/** A Plexi method the node sends to plugins (PLEXI_METHODS' values). */
export type PlexiMethod = typeof PLEXI_METHODS[keyof typeof PLEXI_METHODS]

const METHODS: ReadonlySet<string> = new Set(Object.values(PLEXI_METHODS))

/** Whether `method` is one the host sends (anything else is refused before it reaches a plugin). */
export function checkPlexiMethod (method: unknown): PlexiMethod {
  if (typeof method !== 'string' || !METHODS.has(method)) throw new InvalidPluginRequestError(`method: expected one of ${[...METHODS].join(', ')}`)
  return method as PlexiMethod
}

/**
 * A plugin's answer to a Plexi request, checked like any input: a command's `{ text }` (cut to
 * MAX_COMMAND_TEXT), a before-post verdict (`allow`, or `refuse` with a reason cut to
 * MAX_REFUSAL_REASON), an after-post acknowledgement (any object). PluginProtocolError otherwise,
 * so a hook's failure policy applies as for a plugin that did not answer.
 */
export function checkPlexiAnswer (plugin: string, method: PlexiMethod, value: unknown): CommandResult | BeforePostResult | Record<string, never> {
  const fail = (why: string): never => { throw new PluginProtocolError(`plugin ${plugin} answered ${method} with ${why}`) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('something that is not an object')
  const v = value as Record<string, unknown>
  switch (method) {
    case PLEXI_METHODS.command:
      if (typeof v.text !== 'string') fail('no text (expected { "text": "..." })')
      return { text: clipText(v.text as string, MAX_COMMAND_TEXT) }
    case PLEXI_METHODS.beforePost:
      if (v.verdict === 'allow') return { verdict: 'allow' }
      if (v.verdict === 'refuse') {
        if (typeof v.reason !== 'string') fail('a refusal without a reason (expected { "verdict": "refuse", "reason": "..." })')
        return { verdict: 'refuse', reason: clipText(v.reason as string, MAX_REFUSAL_REASON) }
      }
      return fail('no verdict (expected "allow" or "refuse")')
    case PLEXI_METHODS.afterPost:
      return {}
  }
}
