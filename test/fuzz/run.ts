/**
 * `npm run fuzz -- [--runs N] [--only NAME[,NAME]] [--seed S] [--path P] [--list]`: runs every fuzz
 * target (test/fuzz/fuzz-targets.ts) for N inputs each (default: each target's own), with a random
 * seed unless one is given. Prints each target's runs and time; a failure prints its seed, path and
 * shrunk counterexample, and the command that replays it, and the run exits 1.
 */
import { parseArgs } from 'node:util'
import fc from 'fast-check'
import { FUZZ_TARGETS } from './fuzz-targets.ts'
import { replayCommand } from './fuzz-target.ts'

const values = (() => {
  try {
    return parseArgs({
      options: {
        runs: { type: 'string' },
        only: { type: 'string' },
        seed: { type: 'string' },
        path: { type: 'string' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    // an unknown flag or a missing value: one line and the usage, not a stack
    console.error(`${(err as Error).message}; see npm run fuzz -- --help`)
    process.exit(2)
  }
})()
if (values.help === true) {
  console.log(`usage: npm run fuzz -- [--runs N] [--only NAME[,NAME]] [--seed S] [--path P] [--list]
  --runs N     inputs per target (default: each target's own, --list shows them)
  --only NAMES the targets to run, comma-separated (default: all)
  --seed S     fast-check's seed (default: random, printed)
  --path P     replay the counterexample at this path (with --seed and --only, as a failure prints)
  --list       list the targets and what each checks`)
  process.exit(0)
}
if (values.list) {
  for (const t of FUZZ_TARGETS) console.log(`${t.name.padEnd(14)} ${String(t.defaultRuns).padStart(6)} runs  ${t.about}`)
  process.exit(0)
}
const int = (name: string, v: string | undefined): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || (name === 'runs' ? n < 1 : false)) {
    console.error(`--${name}: expected a whole number, got ${JSON.stringify(v)}`)
    process.exit(2)
  }
  return n
}
const runs = int('runs', values.runs)
const seed = int('seed', values.seed)
const only = values.only?.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
const unknown = only?.filter((name) => !FUZZ_TARGETS.some((t) => t.name === name)) ?? []
if (unknown.length > 0) {
  console.error(`unknown target ${unknown.join(', ')}; targets: ${FUZZ_TARGETS.map((t) => t.name).join(', ')}`)
  process.exit(2)
}
if (values.path !== undefined && (seed === undefined || only?.length !== 1)) {
  console.error('--path replays one failure: give it with --seed and --only NAME, as the failure printed')
  process.exit(2)
}
let failed = 0
const started = performance.now()
for (const target of FUZZ_TARGETS.filter((t) => only === undefined || only.includes(t.name))) {
  const t0 = performance.now()
  // drawn here, so that a run that fails as a whole can be replayed too
  const runSeed = seed ?? Math.floor(Math.random() * 0x7fffffff)
  let details: fc.RunDetails<unknown>
  try {
    details = await target.run({ numRuns: runs ?? target.defaultRuns, seed: runSeed, ...(values.path !== undefined && { path: values.path }) })
  } catch (err) {
    failed++
    console.log(`${target.name.padEnd(14)} FAILED (${((performance.now() - t0) / 1000).toFixed(1)} s): ${err instanceof Error ? err.message : String(err)}`)
    console.log(`  replay: npm run fuzz -- --only ${target.name} --seed ${runSeed}${runs === undefined ? '' : ` --runs ${runs}`}`)
    continue
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(1)
  if (!details.failed) {
    console.log(`${target.name.padEnd(14)} ok    ${String(details.numRuns).padStart(7)} runs  ${secs.padStart(6)} s  seed ${details.seed}`)
    continue
  }
  failed++
  console.log(`${target.name.padEnd(14)} FAILED after ${details.numRuns} runs (${secs} s)`)
  console.log(`  seed ${details.seed}, path ${details.counterexamplePath ?? '-'}`)
  console.log(`  counterexample: ${fc.stringify(details.counterexample)}`)
  console.log(`  error: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`)
  console.log(`  replay: ${replayCommand(target.name, details)}`)
}
console.log(`${failed === 0 ? 'all passed' : `${failed} failed`} in ${((performance.now() - started) / 1000).toFixed(1)} s`)
process.exit(failed > 0 ? 1 : 0)
