/**
 * `npm run sim -- [--seeds N] [--from S] [--jobs J] [--seed S [--trace]] [--duration MS]`: runs the
 * replication simulation (replication-sim.ts) over many seeds in worker threads, one per core by
 * default, printing progress as it goes, the total time, and for every failing seed its violations
 * and the command that replays it exactly; or one seed in this thread with its log.
 */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { Worker } from 'node:worker_threads'
import { runSeed } from './replication-sim.ts'
import type { SimOptions } from './replication-sim.ts'
import type { SeedOutcome, WorkerRequest } from './sim-worker.ts'

// the membership simulation has a command line of its own (membership-run.ts)
if (process.argv.includes('--membership')) {
  await import('./membership-run.ts')
}
// and so has the roster journal's (roster-run.ts)
if (process.argv.includes('--roster')) {
  await import('./roster-run.ts')
}

const USAGE = `usage: npm run sim -- [--seeds N] [--from S] [--jobs J] [--duration MS]
       npm run sim -- --seed S [--trace] [--duration MS]
  --seeds N      seeds to run (default 1000)
  --from S       first seed (default 1)
  --jobs J       worker threads (default: one per core, ${availableParallelism()} here)
  --seed S       run one seed here and print its log (--trace: every durable write too)
  --duration MS  virtual ms of faults per run (default 6000)
  --narrow-fences / --every-fence  owners fence only the nodes that may hold the partition, or every
                 node (default: what production does, NARROW_FENCES)
  --roster-versions  the change of replica sets is an agreed roster version that nodes learn late;
                 replicas refuse owners of older versions; owners fence their version's set and the
                 earlier one's, not every node, until the hand-off settles (the old set stores the
                 new version, the new set pulls it), then their set alone (docs/replication.md,
                 "Roster versions")
       npm run sim -- --membership [--nodes 30,1000] [--seeds N]   (membership at size: --membership --help)
       npm run sim -- --roster [--seeds N]   (the roster journal under faults: --roster --help)
Every fault is in the default mode: crashes, silent partitions both ways and one way, drops and
delays, replica sets that change, disk faults, hand-overs, leases on drifting clocks, and reads
checked for linearizability. (--roster-faults is the default now and is accepted for old
commands.)`

const values = (() => {
  try {
    return parseArgs({
      options: {
        seeds: { type: 'string', default: '1000' },
        from: { type: 'string', default: '1' },
        seed: { type: 'string' },
        jobs: { type: 'string' },
        duration: { type: 'string' },
        trace: { type: 'boolean', default: false },
        'narrow-fences': { type: 'boolean' },
        'every-fence': { type: 'boolean' },
        'roster-versions': { type: 'boolean', default: false },
        'roster-faults': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h' }
      }
    }).values
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    process.exit(2)
  }
})()
if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}
const int = (name: string, v: string | undefined, min = 0): number | undefined => {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isSafeInteger(n) || n < min) {
    console.error(`--${name}: expected a whole number of at least ${min}, got ${JSON.stringify(v)}`)
    process.exit(2)
  }
  return n
}
const duration = int('duration', values.duration, 1)
const one = int('seed', values.seed)
if (values['narrow-fences'] === true && values['every-fence'] === true) {
  console.error(`--narrow-fences and --every-fence: expected one of them, got both\n${USAGE}`)
  process.exit(2)
}
const narrowFences = values['narrow-fences'] === true ? true : values['every-fence'] === true ? false : undefined
const options: SimOptions = { ...(duration !== undefined && { durationMs: duration }), ...(narrowFences !== undefined && { narrowFences }), ...(values['roster-versions'] && { rosterVersions: true }) }
const fenceFlag = `${narrowFences === undefined ? '' : narrowFences ? ' --narrow-fences' : ' --every-fence'}${values['roster-versions'] ? ' --roster-versions' : ''}`
const replay = (seed: number): string => `npm run sim -- --seed ${seed}${duration === undefined ? '' : ` --duration ${duration}`}${fenceFlag}`
if (values['roster-faults']) console.log('(--roster-faults is the default now: every seed has every fault)')

if (one !== undefined) {
  const result = await runSeed(one, { ...options, log: (line: string) => { console.log(line) }, traceWrites: values.trace })
  console.log(JSON.stringify(result.stats))
  if (result.violations.length > 0) console.log(`seed ${one} FAILED ${JSON.stringify(result.config)}\n  ${result.violations.join('\n  ')}`)
  console.log(`seed ${one}: ${result.violations.length === 0 ? 'passed' : 'FAILED'}; ${result.stats.acked} records acknowledged, ${result.stats.readsAnswered} reads checked`)
  process.exit(result.violations.length > 0 ? 1 : 0)
}

const first = int('from', values.from) as number
const count = int('seeds', values.seeds, 1) as number
const jobs = Math.min(int('jobs', values.jobs, 1) ?? availableParallelism(), count)
/** Seeds a worker is given at once (it asks for more when done). */
const BATCH = 25
const started = Date.now()
let next = first
const end = first + count
let done = 0
let acked = 0
let reads = 0
let leaseItems = 0
let leaseBatches = 0
const failures: SeedOutcome[] = []
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1)} s`
let lastProgress = Date.now()
const progress = (): void => {
  const rate = done / Math.max(0.001, (Date.now() - started) / 1000)
  const left = (count - done) / Math.max(rate, 0.001)
  console.log(`${done}/${count} seeds (${(100 * done / count).toFixed(1)}%), ${failures.length} failed, ${elapsed()}, ~${Math.ceil(left)} s left`)
}

console.log(`${count} seeds from ${first} on ${jobs} worker thread${jobs === 1 ? '' : 's'}`)
await Promise.all(Array.from({ length: jobs }, async () => {
  const worker = new Worker(new URL('./sim-worker.ts', import.meta.url))
  try {
    await new Promise<void>((resolve, reject) => {
      const give = (): void => {
        if (next >= end) {
          resolve()
          return
        }
        const from = next
        const n = Math.min(BATCH, end - from)
        next += n
        worker.postMessage({ from, count: n, options } satisfies WorkerRequest)
      }
      worker.on('message', (outcomes: SeedOutcome[]) => {
        for (const o of outcomes) {
          done++
          acked += o.acked
          reads += o.reads
          leaseItems += o.leaseItems
          leaseBatches += o.leaseBatches
          if (o.violations.length > 0) {
            failures.push(o)
            console.log(`seed ${o.seed} FAILED ${JSON.stringify(o.config)}\n  ${o.violations.join('\n  ')}\n  replay: ${replay(o.seed)}`)
          }
        }
        if (Date.now() - lastProgress >= 10_000) {
          lastProgress = Date.now()
          progress()
        }
        give()
      })
      worker.on('error', reject)
      give()
    })
  } finally {
    await worker.terminate()
  }
}))
failures.sort((a, b) => a.seed - b.seed)
console.log(`${count} seeds from ${first}: ${count - failures.length} passed, ${failures.length} failed; ${acked} records acknowledged, ${reads} reads checked, ${leaseItems} lease requests sent in ${leaseBatches} batches; ${elapsed()} on ${jobs} worker thread${jobs === 1 ? '' : 's'}`)
for (const f of failures) console.log(`  replay: ${replay(f.seed)}`)
process.exit(failures.length > 0 ? 1 : 0)
