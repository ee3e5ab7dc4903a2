/**
 * `npm run sim -- --membership [--nodes 30,1000] [--seeds N] [--from S] [--seed S --nodes N]`:
 * the membership simulation (membership-sim.ts) at each size over its seeds, in this thread: the
 * messages each node sends per second while idle (by kind) against N, and how long each fault step
 * took to reach every view; every failing seed with its violations and the command that replays it.
 */
import { parseArgs } from 'node:util'
import { failWith, wholeNumber } from './sim-cli.ts'
import { runMembershipSeed } from './membership-sim.ts'
import type { MembershipResult } from './membership-sim.ts'

/** The largest size `--boot auto` boots cold (300 nodes: about a minute and a half of one core). */
const COLD_BOOT_MAX = 300
const USAGE = `usage: npm run sim -- --membership [--nodes 30,1000] [--seeds N] [--from S]
       npm run sim -- --membership --seed S --nodes N
  --nodes LIST  cluster sizes, comma separated (default 30,1000; 2 to 5000 each)
  --seeds N     seeds per size (default 1)
  --from S      first seed (default 1)
  --seed S      run one seed at one size here and print its log
  --boot MODE   cold (the first node, then the rest over 2 s, each knowing only the first; checked
                against its bound), formed (every node starts knowing and connected to every other:
                a cold boot of 1,000 nodes is tens of millions of simulated events) or auto
                (default: cold up to ${COLD_BOOT_MAX} nodes, formed beyond)`

const fail = failWith(USAGE)

const values = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--membership'),
      options: {
        nodes: { type: 'string', default: '30,1000' },
        seeds: { type: 'string', default: '1' },
        from: { type: 'string', default: '1' },
        seed: { type: 'string' },
        boot: { type: 'string', default: 'auto' },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    return fail((err as Error).message)
  }
})()
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
const int = wholeNumber(fail)
const sizes = values.nodes.split(',').map((s) => int('nodes', s.trim(), 2, 5_000))
if (!['cold', 'formed', 'auto'].includes(values.boot)) fail(`--boot: expected cold, formed or auto, got ${JSON.stringify(values.boot)}`)
const bootOf = (nodes: number): 'cold' | 'formed' => values.boot === 'auto' ? (nodes <= COLD_BOOT_MAX ? 'cold' : 'formed') : values.boot as 'cold' | 'formed'
const replay = (seed: number, nodes: number): string => `npm run sim -- --membership --seed ${seed} --nodes ${nodes} --boot ${bootOf(nodes)}`

if (values.seed !== undefined) {
  const seed = int('seed', values.seed, 0)
  if (sizes.length !== 1) fail('--seed runs one size: give --nodes N')
  const r = await runMembershipSeed(seed, { nodes: sizes[0] as number, boot: bootOf(sizes[0] as number), log: (line) => { console.log(line) } })
  console.log(JSON.stringify(r.stats))
  for (const v of r.violations) console.log(`  ${v}`)
  console.log(`seed ${seed} at ${sizes[0]} nodes: ${r.violations.length === 0 ? 'passed' : 'FAILED'}`)
  process.exit(r.violations.length === 0 ? 0 : 1)
}

const seeds = int('seeds', values.seeds, 1)
const first = int('from', values.from, 0)
const STEPS = ['boot', 'kill', 'hang', 'resume', 'partition', 'heal', 'join', 'leave', 'restart'] as const
interface Row { nodes: number, perNode: number, probes: number, records: number, alerts: number, times: Record<string, number>, failed: number }
const rows: Row[] = []
let failed = 0
for (const nodes of sizes) {
  const started = Date.now()
  const results: MembershipResult[] = []
  for (let seed = first; seed < first + seeds; seed++) {
    const r = await runMembershipSeed(seed, { nodes, boot: bootOf(nodes) })
    results.push(r)
    if (r.violations.length > 0) {
      failed++
      console.log(`seed ${seed} at ${nodes} nodes FAILED\n  ${r.violations.slice(0, 20).join('\n  ')}\n  replay: ${replay(seed, nodes)}`)
    }
  }
  const mean = (f: (r: MembershipResult) => number): number => results.reduce((s, r) => s + f(r), 0) / results.length
  const k = (r: MembershipResult): MembershipResult['stats']['idleByKind'] => r.stats.idleByKind
  const row: Row = {
    nodes,
    perNode: mean((r) => r.stats.idlePerNode),
    probes: mean((r) => k(r).ping + k(r).ack + k(r)['ping-req'] + k(r)['ping-req-answer']),
    records: mean((r) => k(r).record),
    alerts: mean((r) => k(r).alert),
    times: Object.fromEntries(STEPS.map((s) => [s, Math.max(...results.map((r) => r.stats.times[s] ?? NaN))])),
    failed: results.filter((r) => r.violations.length > 0).length
  }
  rows.push(row)
  console.log(`${nodes} nodes (${bootOf(nodes)} boot): ${seeds} seed${seeds === 1 ? '' : 's'} in ${((Date.now() - started) / 1000).toFixed(1)} s, ${row.failed} failed`)
}

const base = rows[0] as Row
console.log('\nmembership, idle: messages each node sends per second (a flooded record or alert counts each forward), and the slowest view of each step (ms)')
console.log(['nodes', 'msgs/node/s', `x ${base.nodes}`, 'probes', 'records', 'alerts', ...STEPS, 'failed'].join('\t'))
for (const r of rows) {
  console.log([r.nodes, r.perNode.toFixed(1), (r.perNode / base.perNode).toFixed(2), r.probes.toFixed(1), r.records.toFixed(1), r.alerts.toFixed(2), ...STEPS.map((s) => Number.isNaN(r.times[s]) ? '-' : String(r.times[s])), r.failed].join('\t'))
}
console.log(`goal: per-node membership traffic at the largest size <= 2x the smallest: ${((rows.at(-1) as Row).perNode / base.perNode).toFixed(2)}x`)
process.exit(failed > 0 ? 1 : 0)
