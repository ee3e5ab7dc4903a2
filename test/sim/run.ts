/**
 * `npm run sim -- [--seeds N] [--from S] [--seed S] [--duration MS] [--roster-faults]`: runs the
 * replication simulation over many seeds (default 1000 from 1), or one seed with its log. A failing
 * seed prints the command that replays it exactly. `--roster-faults` lets every fault happen while
 * replica sets change (several at once, partitions included), beyond what docs/replication.md
 * promises ("Roster changes"): it shows the gap left, and is expected to fail a few seeds.
 */
import { parseArgs } from 'node:util'
import { runSeed } from './replication-sim.ts'

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1000' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    'roster-faults': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' }
  }
})
if (values.help === true) {
  console.log('usage: npm run sim -- [--seeds N] [--from S] [--seed S] [--duration MS]\n  --seeds N      seeds to run (default 1000)\n  --from S       first seed (default 1)\n  --seed S       run one seed and print its log\n  --duration MS  virtual ms of faults per run (default 6000)\n  --roster-faults  every fault also while replica sets change (shows the gap docs/replication.md names)')
  process.exit(0)
}
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < 0) {
    console.error(`--${name}: expected a whole number, got ${JSON.stringify(v)}`)
    process.exit(2)
  }
  return n
}
const duration = int('duration', values.duration)
const one = int('seed', values.seed)
const first = one ?? int('from', values.from) as number
const count = one === undefined ? int('seeds', values.seeds) as number : 1
const started = Date.now()
let failed = 0
let acked = 0
for (let seed = first; seed < first + count; seed++) {
  const result = await runSeed(seed, { rosterFaults: values['roster-faults'], ...(duration !== undefined && { durationMs: duration }), ...(one !== undefined && { log: (line: string) => { console.log(line) } }) })
  acked += result.stats.acked
  if (one !== undefined) console.log(JSON.stringify(result.stats))
  if (result.violations.length > 0) {
    failed++
    console.log(`seed ${seed} FAILED ${JSON.stringify(result.config)}\n  ${result.violations.join('\n  ')}\n  replay: npm run sim -- --seed ${seed}${duration === undefined ? '' : ` --duration ${duration}`}${values['roster-faults'] ? ' --roster-faults' : ''}`)
  }
}
console.log(`${count} seeds from ${first}: ${count - failed} passed, ${failed} failed; ${acked} records acknowledged; ${((Date.now() - started) / 1000).toFixed(1)} s`)
process.exit(failed > 0 ? 1 : 0)
