/**
 * `npm run chaos -- [--runs N] [--only NAME[,NAME]] [--logs DIR] [--list]`: runs each silent
 * partition scenario (partition-scenario.ts) N times (default 1), each in a lab and a cluster of
 * its own, and prints a row per run and a table per scenario: posts acknowledged, lost,
 * duplicated, diverged rooms, stale and dirty reads, unanswered calls, and the heal figures
 * (every member up in every view, every room taking a post, users added during the cut logging
 * in; ms from the heal, worst heal of the run) against issue 35's goals. A failed run prints what
 * failed and saves its nodes' logs under DIR (default a temp dir). Exits 1 when any run failed.
 * Needs root, unshare, nsenter, ip, ss and nft (it says what is missing).
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { netLabMissing } from '../../helpers/net-namespace.ts'
import { GOAL_POST_MS, GOAL_UP_MS } from './heal-watch.ts'
import { SCENARIOS, overGoal, runScenario } from './partition-scenario.ts'
import type { ScenarioResult } from './partition-scenario.ts'

const USAGE = `usage: npm run chaos -- [--runs N] [--only NAME[,NAME]] [--logs DIR] [--list]
  --runs N      runs of each scenario (default 1)
  --only NAMES  the scenarios to run, comma-separated (default: all; --list names them)
  --logs DIR    where the node logs of a failed run, or of one with a heal over the goals, go
                (default: a new temp dir)
  --node-log-level LEVEL
                the nodes' log level (default info; debug says what each node did)
  --list        list the scenarios`

const values = (() => {
  try {
    return parseArgs({ options: { runs: { type: 'string' }, only: { type: 'string' }, logs: { type: 'string' }, 'node-log-level': { type: 'string' }, list: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    console.error(`${(err as Error).message}; see npm run chaos -- --help`)
    process.exit(2)
  }
})()
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
if (values.list) {
  for (const s of SCENARIOS) console.log(`${s.name.padEnd(12)} ${s.about}`)
  process.exit(0)
}
const runs = values.runs === undefined ? 1 : Number(values.runs)
if (!Number.isSafeInteger(runs) || runs < 1) {
  console.error(`--runs: expected a whole number of at least 1, got ${JSON.stringify(values.runs)}`)
  process.exit(2)
}
const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? []
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`)
  process.exit(2)
}
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error']
const nodeLogLevel = values['node-log-level']
if (nodeLogLevel !== undefined && !LEVELS.includes(nodeLogLevel)) {
  console.error(`--node-log-level: expected one of ${LEVELS.join(', ')}, got ${JSON.stringify(nodeLogLevel)}`)
  process.exit(2)
}
const missing = netLabMissing()
if (missing !== undefined) {
  console.error(`cannot run: ${missing}`)
  process.exit(2)
}
const logRoot = values.logs ?? mkdtempSync(join(tmpdir(), 'plexi-chaos-'))

const worst = (xs: ReadonlyArray<number | undefined>): number | undefined => (xs.some((x) => x === undefined) ? undefined : Math.max(0, ...xs as number[]))
const ms = (x: number | undefined): string => (x === undefined ? 'never' : String(x))
const median = (xs: readonly number[]): number | undefined => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? undefined : s[Math.floor((s.length - 1) / 2)]
}
const HEAD = `${'scenario'.padEnd(12)} run  acked  lost  dup  div  stale  dirty  unans  users  up-ms  post-ms  login-ms  detect-ms    s  result`
const row = (r: ScenarioResult, run: number): string => {
  const detect = r.heals.map((h) => `${ms(h.restSawCutMs)}/${ms(h.cutSawRestMs)}`).join(' ')
  return `${r.name.padEnd(12)} ${String(run).padStart(3)} ${String(r.acked).padStart(6)} ${String(r.lost).padStart(5)} ${String(r.duplicated).padStart(4)} ${String(r.divergedRooms).padStart(4)} ${String(r.staleReads).padStart(6)} ${String(r.dirtyReads).padStart(6)} ${String(r.unanswered).padStart(6)} ${String(r.usersAdded).padStart(6)} ${ms(worst(r.heals.map((h) => h.upMs))).padStart(6)} ${ms(worst(r.heals.map((h) => h.postMs))).padStart(8)} ${ms(worst(r.heals.map((h) => h.loginMs))).padStart(9)} ${detect.padStart(10)} ${String(r.seconds).padStart(4)}  ${r.failures.length === 0 ? 'ok' : 'FAILED'}`
}

// stopped by a signal: the run's node processes and namespaces go with it
let closeRun: (() => Promise<void>) | undefined
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`${signal}: stopping the run's nodes`)
    void (closeRun?.() ?? Promise.resolve()).finally(() => { process.exit(130) })
  })
}

const results: ScenarioResult[] = []
const started = performance.now()
console.log(HEAD)
for (const scenario of SCENARIOS.filter((s) => only === undefined || only.includes(s.name))) {
  for (let run = 1; run <= runs; run++) {
    const logDir = join(logRoot, `${scenario.name}-${run}`)
    let result: ScenarioResult
    try {
      result = await runScenario(scenario, { logDir, ...(nodeLogLevel !== undefined && { nodeArgs: ['--log-level', nodeLogLevel] }), closer: (close) => { closeRun = close } })
    } catch (err) {
      // the harness itself failed (a node that would not start): no figures, one failure
      result = { name: scenario.name, tried: 0, acked: 0, lost: 0, duplicated: 0, divergedRooms: 0, unlistedRooms: 0, reads: 0, staleReads: 0, dirtyReads: 0, unanswered: 0, usersAdded: 0, heals: [], failures: [`the run did not complete: ${(err as Error).stack ?? String(err)}`], notes: [], seconds: 0, evidence: null }
    }
    results.push(result)
    console.log(row(result, run))
    const slow = overGoal(result.heals)
    for (const h of slow) console.log(`    ! ${h.cut}: over the goal (every view up ${h.upMs ?? '-'} ms, ≤ ${GOAL_UP_MS}; every room posted ${h.postMs ?? '-'} ms, ≤ ${GOAL_POST_MS}); the last room: ${h.slowestRoom ?? '-'}`)
    if (result.failures.length > 0) {
      for (const f of result.failures) console.log(`    - ${f}`)
      for (const n of result.notes) console.log(`    · ${n}`)
    }
    if (result.failures.length > 0 || slow.length > 0) console.log(`    node logs: ${logDir}`)
  }
}

console.log(`\n${'scenario'.padEnd(12)} runs  failed  lost  dup  div  stale  dirty  unans  up-ms p50/max (≤${GOAL_UP_MS})  post-ms p50/max (≤${GOAL_POST_MS})  heals over goal`)
for (const name of [...new Set(results.map((r) => r.name))]) {
  const mine = results.filter((r) => r.name === name)
  const sum = (f: (r: ScenarioResult) => number): string => String(mine.reduce((a, r) => a + f(r), 0))
  const heals = mine.flatMap((r) => r.heals)
  const ups = heals.map((h) => h.upMs)
  const postsMs = heals.map((h) => h.postMs)
  const over = overGoal(heals).length
  const figure = (xs: ReadonlyArray<number | undefined>): string => `${ms(median(xs.filter((x) => x !== undefined)))}/${ms(worst(xs))}`
  console.log(`${name.padEnd(12)} ${String(mine.length).padStart(4)} ${String(mine.filter((r) => r.failures.length > 0).length).padStart(7)} ${sum((r) => r.lost).padStart(5)} ${sum((r) => r.duplicated).padStart(4)} ${sum((r) => r.divergedRooms).padStart(4)} ${sum((r) => r.staleReads).padStart(6)} ${sum((r) => r.dirtyReads).padStart(6)} ${sum((r) => r.unanswered).padStart(6)}  ${figure(ups).padStart(22)}  ${figure(postsMs).padStart(24)}  ${over} of ${heals.length}`)
}
const failed = results.filter((r) => r.failures.length > 0).length
console.log(`\n${results.length} runs, ${failed} failed, in ${((performance.now() - started) / 1000).toFixed(0)} s${failed > 0 ? `; node logs of failed runs under ${logRoot}` : ''}`)
process.exit(failed > 0 ? 1 : 0)
