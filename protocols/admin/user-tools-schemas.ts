/** A user's tool policy as `/api/v1/users/{name}/tools` shows and changes it. */
import { MAX_TOOL_NAMES_PER_CHANGE } from '../limits.ts'
import { TOOL_NAME_MAX, TOOL_PATTERN } from '../plugins/index.ts'

/** A tool as a grant names it: a qualified name, or `<source>__*` for all of a source's tools. */
export const toolPatternParam = {
  type: 'string',
  maxLength: TOOL_NAME_MAX,
  pattern: TOOL_PATTERN,
  description: 'a qualified tool name `<source>__<tool>`, or `<source>__*` for every tool of the source'
} as const

const toolList = { type: 'array', minItems: 1, maxItems: MAX_TOOL_NAMES_PER_CHANGE, uniqueItems: true, items: toolPatternParam } as const

/** What an admin grants and revokes (at least one of the two). */
export const userToolsChangeSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { grant: toolList, revoke: toolList }
} as const

export const userToolsSchema = {
  type: 'object',
  required: ['user', 'granted', 'enabled', 'disabled'],
  properties: {
    user: { type: 'string' },
    granted: { type: 'array', items: { type: 'string' }, description: 'what an admin granted: names and `<source>__*`' },
    enabled: { type: 'array', items: { type: 'string' }, description: 'tools the user turned on again under a `<source>__*` they turned off' },
    disabled: { type: 'array', items: { type: 'string' }, description: 'tools and `<source>__*` the user turned off' }
  }
} as const
