import type { Member } from '../protocols/index.ts'
import { abortableSleep, untilAborted } from './abortable-wait.ts'
import type { AdminClient } from './admin-client.ts'
import { CliError } from './cli-errors.ts'
import { isTerminal, printJson } from './cli-io.ts'
import type { CliIo } from './cli-io.ts'
import { clock, topFrame } from './top-frame.ts'
import type { NodeStats } from './top-frame.ts'

/** `--interval`: how often top asks the node, in ms. */
export const TOP_INTERVAL_MS = { default: 1_000, min: 250, max: 60_000 } as const

export interface AdminTopOptions {
  /** ms between two polls of the live view. */
  readonly intervalMs: number
  /** One frame, then return (what a pipe or a script gets anyway). */
  readonly once?: boolean | undefined
  /** `{ members, stats }` once as JSON. */
  readonly json?: boolean | undefined
  /** Shown in the header: the admin endpoint asked. */
  readonly endpoint?: string
  /** Ends the live view, as q does. */
  readonly signal?: AbortSignal
}

export interface TopSnapshot {
  readonly members: Member[]
  /** null: the node serves no stats (404: one older than this plexi). */
  readonly stats: NodeStats | null
}

// ANSI sequences of the live view (xterm's, which every terminal of today understands)
const ALTERNATE_SCREEN = '\x1b[?1049h'
const MAIN_SCREEN = '\x1b[?1049l'
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'
const HOME = '\x1b[H'
const CLEAR_LINE_END = '\x1b[K'
const CLEAR_SCREEN_END = '\x1b[J'
/** What quits: q, and Ctrl-C, which arrives as a byte while the terminal is raw. */
const QUIT_KEYS = new Set(['q', 'Q', '\x03'])

/**
 * `plexi admin top`: the cluster's members and this node's rates. On a terminal (and without
 * `once` or `json`) a live view like top's: the alternate screen, redrawn in place every
 * `intervalMs`, until q, Ctrl-C, SIGTERM or `signal`; the terminal is restored however it ends.
 * Otherwise one frame (or `{ members, stats }` as JSON with `json`) on stdout.
 *
 * The first poll's failure is the command's (a CliError: no node there, a wrong token); a later
 * one is shown in the view, which keeps the last numbers and asks again at the next tick.
 */
export async function adminTop (api: AdminClient, io: CliIo, opts: AdminTopOptions): Promise<void> {
  const first = await topSnapshot(api)
  if (opts.json === true) {
    printJson(io, first)
    return
  }
  if (opts.once === true || !isTerminal(io.stdout)) {
    for (const line of topFrame({ ...first, now: Date.now(), ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }) })) io.stdout.write(`${line}\n`)
    return
  }
  await liveView(api, io, opts, first)
}

/** The node's members and stats, asked together. */
export async function topSnapshot (api: AdminClient): Promise<TopSnapshot> {
  const [members, stats] = await Promise.allSettled([
    api.request<Member[]>('GET', '/api/v1/nodes'),
    api.request<NodeStats>('GET', '/api/v1/stats').catch((err: unknown) => {
      if (err instanceof CliError && err.answer?.status === 404) return null
      throw err
    })
  ])
  // both failed (no node there, a wrong token): the members' request says why, as `admin nodes` would
  if (members.status === 'rejected') throw members.reason
  if (stats.status === 'rejected') throw stats.reason
  return { members: members.value, stats: stats.value }
}

async function liveView (api: AdminClient, io: CliIo, opts: AdminTopOptions, first: TopSnapshot): Promise<void> {
  const stdout = io.stdout as CliIo['stdout'] & { columns?: number, rows?: number }
  const stdin = io.stdin as CliIo['stdin'] & { setRawMode?: (raw: boolean) => unknown }
  const stop = new AbortController()
  const quit = (): void => { stop.abort() }
  const onKey = (chunk: Buffer | string): void => {
    if ([...chunk.toString()].some((key) => QUIT_KEYS.has(key))) quit()
  }
  let shown = first
  let failure: string | undefined
  const draw = (): void => {
    const note = failure ?? `every ${opts.intervalMs} ms; q quits`
    const lines = topFrame({
      ...shown, now: Date.now(), note, ...(opts.endpoint !== undefined && { endpoint: opts.endpoint }),
      // a terminal that does not know its size says 0
      ...(stdout.columns !== undefined && stdout.columns > 0 && { width: stdout.columns }), ...(stdout.rows !== undefined && stdout.rows > 0 && { height: stdout.rows })
    })
    stdout.write(`${HOME}${lines.map((line) => `${line}${CLEAR_LINE_END}`).join('\n')}${CLEAR_SCREEN_END}`)
  }
  // keys one at a time, unechoed (q needs no Enter); a stdin that is no terminal gives none
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function'
  process.on('SIGINT', quit)
  process.on('SIGTERM', quit)
  opts.signal?.addEventListener('abort', quit, { once: true })
  if (opts.signal?.aborted === true) quit()
  stdout.on('resize', draw)
  stdout.write(`${ALTERNATE_SCREEN}${HIDE_CURSOR}`)
  if (raw) stdin.setRawMode?.(true)
  stdin.on('data', onKey)
  stdin.resume()
  try {
    while (!stop.signal.aborted) {
      draw()
      if (!await abortableSleep(opts.intervalMs, stop.signal)) break
      try {
        const next = await untilAborted(topSnapshot(api), stop.signal)
        if (next === undefined) break
        shown = next
        failure = undefined
      } catch (err) {
        failure = `${clock(Date.now())} the last poll failed (showing the one before; trying again): ${err instanceof Error ? err.message : String(err)}`
      }
    }
  } finally {
    stdin.off('data', onKey)
    if (raw) stdin.setRawMode?.(false)
    stdin.pause()
    stdout.off('resize', draw)
    process.off('SIGINT', quit)
    process.off('SIGTERM', quit)
    opts.signal?.removeEventListener('abort', quit)
    stdout.write(`${SHOW_CURSOR}${MAIN_SCREEN}`)
  }
}
