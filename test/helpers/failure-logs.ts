/**
 * When a test on real node processes fails, what the nodes logged is the only record of why (a
 * flake in CI cannot be run again under a debugger). Every node process the helpers start is
 * registered here with its log lines; a mocha root hook (`.mocharc.json` require) prints, after a
 * failed test (or, at the end of a spec file, after a failed hook), the last lines each node logged
 * while it ran: its warnings and errors and the mesh's view changes and moves. Nothing is printed
 * when every test passes. (The lines are the ones the secret check already read: no secret.)
 */

import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** One node process a test started: a label, and its log lines as they come. */
interface Watched {
  readonly label: string
  readonly logs: ReadonlyArray<Record<string, unknown>>
  readonly stderr: () => string
  readonly exited: () => boolean
}

const watched: Watched[] = []
/** Lines printed per node, at most (the last ones). */
const MAX_LINES = 40
/** Characters per line, at most. */
const MAX_LINE = 400
/** Info lines worth showing beside the warnings: what the mesh and the moves did. */
const NOTABLE = /^(node ready|placement view changed|member |drain|hand-off|moved |rebalance|claim|stopped|shutting down|waiting to hear|connected to|cannot reach|decommission|restored|repair)/

export function watchNodeLogs (label: string, logs: ReadonlyArray<Record<string, unknown>>, stderr: () => string, exited: () => boolean): void {
  watched.push({ label, logs, stderr, exited })
}

function shownLine (entry: Record<string, unknown>): string {
  const { time, level, msg, pid: _pid, hostname: _host, ...rest } = entry
  const when = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '?'
  const lvl = typeof level === 'number' ? (level >= 50 ? 'ERROR' : level >= 40 ? 'WARN' : 'info') : '?'
  const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : ''
  const line = `${when} ${lvl} ${String(msg)}${extra}`
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE)}…` : line
}

/** With PLEXI_TEST_LOG_DIR set, every line of every node still watched is written there too, a file
 * per node and failure (the printed lines are the notable ones only). */
function save (title: string): void {
  const dir = process.env.PLEXI_TEST_LOG_DIR
  if (dir === undefined || dir === '') return
  mkdirSync(dir, { recursive: true })
  const slug = title.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60)
  for (const [i, w] of watched.entries()) {
    const peer = w.logs.find((l) => typeof l.peerId === 'string')?.peerId as string | undefined
    writeFileSync(join(dir, `${slug}-${i}-${peer ?? 'unknown'}.log`), w.logs.map((l) => JSON.stringify(l)).join('\n'))
  }
}

/** The lines of every node that logged since `since` (ms since the epoch), printed. */
function dump (title: string, since: number): void {
  save(title)
  const parts: string[] = []
  for (const w of watched) {
    const lines = w.logs.filter((l) => typeof l.time !== 'number' || l.time >= since)
      .filter((l) => (typeof l.level === 'number' && l.level >= 40) || (typeof l.msg === 'string' && NOTABLE.test(l.msg)))
    const err = w.stderr().trim()
    if (lines.length === 0 && err.length === 0) continue
    const peer = w.logs.find((l) => typeof l.peerId === 'string')?.peerId as string | undefined
    parts.push(`    ${w.label}${peer === undefined ? '' : `, peer ${peer}`}${lines.length > MAX_LINES ? ` (last ${MAX_LINES} of ${lines.length})` : ''}:`)
    for (const l of lines.slice(-MAX_LINES)) parts.push(`      ${shownLine(l)}`)
    if (err.length > 0) parts.push(`      stderr: ${err.slice(-MAX_LINE * 3)}`)
  }
  if (parts.length > 0) console.log(`\n  node logs for the failure of "${title}" (warnings, errors, the mesh's changes):\n${parts.join('\n')}\n`)
}

interface RunnableLike { state?: string, title: string, fullTitle?: () => string, parent?: SuiteLike }
interface SuiteLike { parent?: SuiteLike, suites: SuiteLike[], _beforeAll: RunnableLike[], _beforeEach: RunnableLike[], _afterEach: RunnableLike[], _afterAll: RunnableLike[] }

function failedHooks (suite: SuiteLike): RunnableLike[] {
  const own = [...suite._beforeAll, ...suite._beforeEach, ...suite._afterEach, ...suite._afterAll].filter((h) => h.state === 'failed')
  return [...own, ...suite.suites.flatMap(failedHooks)]
}

let fileStart = Date.now()
let testStart = Date.now()
const dumped = new Set<RunnableLike>()

/** Prints the logs for each failed hook not reported yet (a failed `before all` runs no test, so
 * no afterEach sees it); then forgets the nodes that have exited (their logs are not kept for the
 * whole run). */
function reportHooks (root: SuiteLike | undefined): void {
  if (root !== undefined) {
    for (const hook of failedHooks(root)) {
      if (dumped.has(hook)) continue
      dumped.add(hook)
      dump(hook.fullTitle?.() ?? hook.title, fileStart)
    }
  }
  for (let i = watched.length - 1; i >= 0; i--) if ((watched[i] as Watched).exited()) watched.splice(i, 1)
}

export const mochaHooks = {
  beforeAll (): void {
    fileStart = Date.now()
  },
  beforeEach (): void {
    testStart = Date.now()
  },
  afterEach (this: { currentTest?: RunnableLike }): void {
    const test = this.currentTest
    if (test?.state === 'failed') dump(test.fullTitle?.() ?? test.title, testStart)
    let root = test?.parent
    while (root?.parent !== undefined) root = root.parent
    reportHooks(root)
  },
  afterAll (this: { test?: { parent?: SuiteLike } }): void {
    reportHooks(this.test?.parent)
  }
}
