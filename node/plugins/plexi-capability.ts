import { isSemver } from '../../protocols/index.ts'
import type { PlexiCapability } from '../../protocols/index.ts'
import { COMMAND_NAME_PATTERN, MAX_COMMAND_DESCRIPTION, MAX_PLUGIN_COMMANDS } from './constants.ts'
import { PluginProtocolError } from './errors.ts'

/**
 * A plugin's `capabilities.experimental.plexi` as it declared it in its `initialize` answer,
 * checked like any input: undefined when it declared none (a plain MCP server: tools only);
 * PluginProtocolError naming the field when it declared one that breaks the rules (its start
 * fails: a plugin that means to answer commands and says so wrongly is broken).
 */
export function checkPlexiCapability (plugin: string, value: unknown): PlexiCapability | undefined {
  if (value === undefined) return undefined
  const fail = (field: string, why: string): never => { throw new PluginProtocolError(`plugin ${plugin} declared a bad capabilities.experimental.plexi: ${field}: ${why}`) }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('(root)', 'expected an object')
  const c = value as Record<string, unknown>
  if (!isSemver(c.api)) fail('api', 'expected the plugin API version it was written for (semver, such as 1.0.0)')
  let commands: Array<{ name: string, description: string }> | undefined
  if (c.commands !== undefined) {
    if (!Array.isArray(c.commands) || c.commands.length > MAX_PLUGIN_COMMANDS) fail('commands', `expected a list of at most ${MAX_PLUGIN_COMMANDS} commands`)
    const names = new Set<string>()
    commands = (c.commands as unknown[]).map((raw, i) => {
      const cmd = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
      if (typeof cmd.name !== 'string' || !COMMAND_NAME_PATTERN.test(cmd.name)) fail(`commands[${i}].name`, `expected a command name matching ${COMMAND_NAME_PATTERN.source}`)
      if (names.has(cmd.name as string)) fail(`commands[${i}].name`, `${cmd.name as string} is listed twice`)
      names.add(cmd.name as string)
      if (typeof cmd.description !== 'string' || cmd.description.length > MAX_COMMAND_DESCRIPTION) fail(`commands[${i}].description`, `expected a string of at most ${MAX_COMMAND_DESCRIPTION} characters`)
      return { name: cmd.name as string, description: cmd.description as string }
    })
  }
  let hooks: PlexiCapability['hooks']
  if (c.hooks !== undefined) {
    if (typeof c.hooks !== 'object' || c.hooks === null || Array.isArray(c.hooks)) fail('hooks', 'expected an object')
    const h = c.hooks as Record<string, unknown>
    for (const key of ['afterPost', 'beforePost']) if (h[key] !== undefined && typeof h[key] !== 'boolean') fail(`hooks.${key}`, 'expected true or false')
    hooks = { ...(h.afterPost !== undefined && { afterPost: h.afterPost as boolean }), ...(h.beforePost !== undefined && { beforePost: h.beforePost as boolean }) }
  }
  return { api: c.api as string, ...(commands !== undefined && { commands }), ...(hooks !== undefined && { hooks }) }
}
