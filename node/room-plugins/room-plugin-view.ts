import { COMMAND_NAME_PATTERN, MAX_COMMAND_DEADLINE_MS } from '../../actors/index.ts'
import type { BeforePostHook, RoomCommand, RoomPluginView } from '../../actors/index.ts'
import type { PluginManifest } from '../../protocols/index.ts'
import { DEFAULT_BEFORE_POST_BUDGET_MS, DEFAULT_TOOL_DEADLINE_MS, MAX_BEFORE_POST_BUDGET_MS, clip } from '../../protocols/index.ts'
import { MAX_COMMANDS_PER_PLUGIN, MAX_COMMAND_DESCRIPTION } from './constants.ts'

/** One plugin as the host knows it: what rooms need to know of it. */
export interface RoomPluginInfo {
  /** Its name (SOURCE_NAME_PATTERN). */
  readonly name: string
  /** What it declared under `capabilities.experimental.plexi` in its `initialize` answer, as it
   * came (it is checked here: it comes from the plugin's process); undefined when nothing. */
  readonly capability: unknown
  /** Its manifest's call deadline (ms), when it sets one. */
  readonly callDeadlineMs?: number
  /** Its manifest's before-post budget and policy, when it sets them. */
  readonly beforePost?: PluginManifest['beforePost']
}

/** Where a view's builder says what it left out (pino's shape). */
export interface ViewLog {
  warn (obj: object, msg: string): void
}

/** What a plugin declared for rooms, once checked. */
interface Declared {
  readonly commands: ReadonlyArray<{ readonly name: string, readonly description: string }>
  readonly afterPost: boolean
  readonly beforePost: boolean
}

/**
 * The commands and hooks rooms use, from the plugins that run. Each plugin's capability is checked
 * (it comes from the plugin's process): what breaks the protocol is left out with a log line, the
 * rest is kept. A command two plugins declare goes to the first by name. A before-post budget is
 * the manifest's, at most MAX_BEFORE_POST_BUDGET_MS (DEFAULT_BEFORE_POST_BUDGET_MS when unset);
 * its policy the manifest's, `allow` when unset (a broken moderation plugin does not stop chat); a
 * command's deadline the manifest's call deadline, at most MAX_COMMAND_DEADLINE_MS.
 */
export function buildRoomPluginView (plugins: readonly RoomPluginInfo[], log: ViewLog): RoomPluginView {
  const commands = new Map<string, RoomCommand>()
  const beforePost: BeforePostHook[] = []
  const afterPost: string[] = []
  for (const info of [...plugins].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const declared = declaredBy(info, log)
    if (declared === undefined) continue
    const deadlineMs = Math.min(positive(info.callDeadlineMs) ?? DEFAULT_TOOL_DEADLINE_MS, MAX_COMMAND_DEADLINE_MS)
    for (const { name, description } of declared.commands) {
      const taken = commands.get(name)
      if (taken !== undefined) {
        log.warn({ plugin: info.name, command: name, by: taken.plugin }, 'plugin: a command another plugin declared first is left out')
        continue
      }
      commands.set(name, { name, plugin: info.name, description, deadlineMs })
    }
    if (declared.beforePost) {
      const budgetMs = Math.min(positive(info.beforePost?.budgetMs) ?? DEFAULT_BEFORE_POST_BUDGET_MS, MAX_BEFORE_POST_BUDGET_MS)
      beforePost.push({ plugin: info.name, budgetMs, onFailure: info.beforePost?.onFailure === 'refuse' ? 'refuse' : 'allow' })
    }
    if (declared.afterPost) afterPost.push(info.name)
  }
  return { commands, beforePost, afterPost }
}

/** The plugin's capability checked, or undefined (nothing for rooms, or nothing usable). */
function declaredBy (info: RoomPluginInfo, log: ViewLog): Declared | undefined {
  const cap = info.capability
  if (cap === undefined || cap === null) return undefined
  if (!isRecord(cap)) {
    log.warn({ plugin: info.name, capability: Array.isArray(cap) ? 'array' : typeof cap }, 'plugin: its plexi capability is not an object; left out')
    return undefined
  }
  const hooks = isRecord(cap.hooks) ? cap.hooks : {}
  return { commands: commandsOf(info.name, cap.commands, log), afterPost: hooks.afterPost === true, beforePost: hooks.beforePost === true }
}

function commandsOf (plugin: string, declared: unknown, log: ViewLog): Declared['commands'] {
  if (declared === undefined) return []
  if (!Array.isArray(declared)) {
    log.warn({ plugin }, 'plugin: its plexi capability\'s commands are not a list; left out')
    return []
  }
  const commands: Array<{ name: string, description: string }> = []
  for (const command of declared) {
    const name: unknown = isRecord(command) ? command.name : undefined
    if (typeof name !== 'string' || !COMMAND_NAME_PATTERN.test(name) || commands.some((c) => c.name === name)) {
      log.warn({ plugin, command: clip(String(name), 64) }, `plugin: a command whose name is not ${String(COMMAND_NAME_PATTERN)}, or is declared twice, is left out`)
      continue
    }
    if (commands.length >= MAX_COMMANDS_PER_PLUGIN) {
      log.warn({ plugin, declared: declared.length }, `plugin: commands past the first ${MAX_COMMANDS_PER_PLUGIN} are left out`)
      break
    }
    const description = isRecord(command) && typeof command.description === 'string' ? clip(command.description, MAX_COMMAND_DESCRIPTION) : ''
    commands.push({ name, description })
  }
  return commands
}

function positive (n: number | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : undefined
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
