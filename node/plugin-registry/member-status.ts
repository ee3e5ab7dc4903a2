import { MAX_REPORT_ERROR, PLUGIN_NAME_PATTERN, PLUGIN_VERSION_PATTERN } from '../../actors/index.ts'
import { MAX_LOG_LINE, MAX_LOGS_PAGE } from './constants.ts'
import type { StartFailure } from './plugin-reconciler.ts'
import type { MemberPluginStatus, PluginLogLine, PluginRunRow } from './registry-actor.ts'

/** Plugins one member may say it runs (two versions of each during a swap). */
const MAX_LISTED = 256
const HOSTED_STATES: ReadonlySet<unknown> = new Set(['starting', 'up', 'restarting', 'stopping', 'stopped'])

/**
 * What another member answered about its plugins, checked field by field before it is shown:
 * undefined when it is not a member's status (a member of another version, a fault), so the
 * listing names that member unreachable instead of trusting it.
 */
export function checkMemberStatus (value: unknown, peer: string): MemberPluginStatus | undefined {
  if (!isRecord(value) || value.node !== peer || typeof value.runs !== 'boolean') return undefined
  const { plugins, failures } = value
  if (!Array.isArray(plugins) || plugins.length > MAX_LISTED || !plugins.every(isRunRow)) return undefined
  if (!Array.isArray(failures) || failures.length > MAX_LISTED || !failures.every(isStartFailure)) return undefined
  return { node: peer, runs: value.runs, plugins, failures }
}

/** A member's log lines, checked; undefined when they are not. */
export function checkLogLines (value: unknown): PluginLogLine[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_LOGS_PAGE) return undefined
  const ok = value.every((l) => isRecord(l) && isVersion(l.version) && typeof l.line === 'string' && l.line.length <= MAX_LOG_LINE + 1)
  return ok ? value as PluginLogLine[] : undefined
}

function isRunRow (s: unknown): s is PluginRunRow {
  return isRecord(s) && isName(s.name) && isVersion(s.version) && HOSTED_STATES.has(s.state) && isCount(s.restarts) && isCount(s.calls) && isCount(s.errors) &&
    (s.latencyMs === null || (typeof s.latencyMs === 'number' && Number.isFinite(s.latencyMs) && s.latencyMs >= 0)) &&
    (s.memoryBytes === null || isCount(s.memoryBytes)) && (s.lastError === null || isText(s.lastError))
}

function isStartFailure (f: unknown): f is StartFailure {
  return isRecord(f) && isName(f.name) && isVersion(f.version) && isText(f.error) && isCount(f.attempts) && isCount(f.retryAt)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function isName (v: unknown): v is string { return typeof v === 'string' && PLUGIN_NAME_PATTERN.test(v) }
function isVersion (v: unknown): v is string { return typeof v === 'string' && PLUGIN_VERSION_PATTERN.test(v) }
function isCount (v: unknown): v is number { return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 }
function isText (v: unknown): v is string { return typeof v === 'string' && v.length <= MAX_REPORT_ERROR * 4 }
