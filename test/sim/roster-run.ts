/**
 * `npm run sim -- --roster [--seeds N] [--from S] [--seed S] [--duration MS] [--fault no-versions]`:
 * the roster journal's simulation (roster-sim.ts) over its seeds in this thread, or one seed with
 * its log; every failing seed with its violations and the command that replays it.
 */
import { parseArgs } from 'node:util'
import { failWith, wholeNumber } from './sim-cli.ts'
import { runRosterSeed } from './roster-sim.ts'
import type { RosterSimOptions } from './roster-sim.ts'

const USAGE = `usage: npm run sim -- --roster [--seeds N] [--from S] [--duration MS] [--fault no-versions]
       npm run sim -- --roster --seed S [--duration MS] [--fault no-versions]
  --seeds N      seeds to run (default 1000)
  --from S       first seed (default 1)
  --seed S       run one seed here and print its log
  --duration MS  virtual ms of faults per run (default 6000)
  --fault no-versions  replicas never see a keeper's version (to show what the checks catch)`

const fail = failWith(USAGE)

const values = (() => {
  try {
    return parseArgs({
      args: process.argv.slice(2).filter((a) => a !== '--roster'),
      options: {
        seeds: { type: 'string', default: '1000' },
        from: { type: 'string', default: '1' },
        seed: { type: 'string' },
        duration: { type: 'string' },
        fault: { type: 'string' },
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
if (values.fault !== undefined && values.fault !== 'no-versions') fail(`--fault: expected no-versions, got ${JSON.stringify(values.fault)}`)
const options: RosterSimOptions = {
  ...(values.duration !== undefined && { durationMs: int('duration', values.duration, 100, 600_000) }),
  ...(values.fault === 'no-versions' && { fault: 'no-versions' as const })
}
const flags = `${values.duration !== undefined ? ` --duration ${values.duration}` : ''}${values.fault !== undefined ? ` --fault ${values.fault}` : ''}`

if (values.seed !== undefined) {
  const seed = int('seed', values.seed, 0)
  const r = await runRosterSeed(seed, { ...options, log: (line) => { console.log(line) } })
  console.log(JSON.stringify(r.stats))
  console.log(r.violations.length === 0 ? `seed ${seed} passed` : `seed ${seed} FAILED\n  ${r.violations.join('\n  ')}`)
  process.exit(r.violations.length === 0 ? 0 : 1)
}

const seeds = int('seeds', values.seeds, 1)
const from = int('from', values.from, 0)
const started = Date.now()
const total = { made: 0, versions: 0, keepers: 0, failedProposals: 0 }
let failed = 0
for (let seed = from; seed < from + seeds; seed++) {
  const r = await runRosterSeed(seed, options)
  total.made += r.stats.made
  total.versions += r.stats.versions
  total.keepers += r.stats.keepers
  total.failedProposals += r.stats.failed
  if (r.violations.length > 0) {
    failed++
    console.log(`seed ${seed} FAILED\n  ${r.violations.slice(0, 10).join('\n  ')}\n  replay: npm run sim -- --roster --seed ${seed}${flags}`)
  }
  if ((seed - from + 1) % 500 === 0) console.log(`${seed - from + 1}/${seeds} seeds, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s`)
}
console.log(`${seeds} seeds from ${from}: ${seeds - failed} passed, ${failed} failed; ${total.made} versions made by ${total.keepers} keepers (${total.failedProposals} proposals failed on faults), ${total.versions} read back; ${((Date.now() - started) / 1000).toFixed(1)} s`)
process.exit(failed > 0 ? 1 : 0)
