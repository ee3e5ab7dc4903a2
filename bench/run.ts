/**
 * `npm run bench` runs every benchmark; `npm run bench -- kernel` runs one; `--json` prints one
 * JSON object per figure instead of the table. Benchmarks are never part of `npm test`.
 */
import { backupBench } from './backup.ts'
import { backupNodesBench } from './backup-nodes.ts'
import { chatBench } from './chat.ts'
import { conversationsBench } from './conversations.ts'
import { inferenceBench } from './inference.ts'
import { kernelBench } from './kernel.ts'
import { meshBench } from './mesh.ts'
import { migrationBench } from './migration.ts'
import { pluginsBench } from './plugins.ts'
import { replicationBench } from './replication.ts'
import { scaleBench } from './scale.ts'
import { scaleOutBench } from './scale-out.ts'
import { activationFencesBench } from './activation-fences.ts'
import { searchBench } from './conversations-search.ts'
import { tracingBench } from './tracing.ts'
import { idleMemoryBench } from './idle-memory.ts'
import { usersBench } from './users.ts'
import { webBench } from './web.ts'
import { table } from './figure.ts'
import { MODEL_SIZES } from '../runtimes/index.ts'
import type { Bench } from './figure.ts'

const benches: readonly Bench[] = [kernelBench, chatBench, inferenceBench, meshBench, replicationBench, migrationBench, usersBench, backupBench, backupNodesBench, pluginsBench, conversationsBench, searchBench, scaleBench, scaleOutBench, activationFencesBench, tracingBench, idleMemoryBench, webBench]

const args = process.argv.slice(2)
/** Takes `--NAME VALUE` or `--NAME=VALUE` out of args into env ENV, one of `choices` (exit 2 with a
 * clear line otherwise). The benches read the env var when they run. */
function choiceFlag (name: string, choices: readonly string[], env: string): void {
  const at = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
  if (at < 0) return
  const given = args[at] === `--${name}` ? args.splice(at, 2)[1] : (args.splice(at, 1)[0] as string).slice(`--${name}=`.length)
  if (given === undefined || !choices.includes(given)) {
    process.stderr.write(`--${name}: expected ${choices.join(', ')}, got ${JSON.stringify(given ?? '')}\n`)
    process.exit(2)
  }
  process.env[env] = given
}
// the llama.cpp backend of the inference bench (both sides), its node's inference-batching, its generated model
choiceFlag('gpu', ['auto', 'cuda', 'off'], 'BENCH_GPU')
choiceFlag('batching', ['auto', 'on', 'off'], 'BENCH_BATCHING')
choiceFlag('size', Object.keys(MODEL_SIZES), 'BENCH_MODEL_SIZE')
const json = args.includes('--json')
const names = args.filter((a) => !a.startsWith('--'))
const unknown = names.filter((n) => !benches.some((b) => b.name === n))
if (args.includes('--help') || unknown.length > 0) {
  if (unknown.length > 0) process.stderr.write(`unknown benchmark: ${unknown.join(', ')}\n`)
  process.stderr.write(`usage: npm run bench [-- [--json] [--gpu auto|cuda|off] [--batching auto|on|off] [--size tiny|25m|100m|500m] [NAME...]]\nbenchmarks:\n${benches.map((b) => `  ${b.name.padEnd(10)} ${b.description}`).join('\n')}\n`)
  process.exit(unknown.length > 0 ? 2 : 0)
}

const log = (line: string): void => { process.stderr.write(`${line}\n`) }
for (const bench of benches.filter((b) => names.length === 0 || names.includes(b.name))) {
  log(`# ${bench.name}: ${bench.description}`)
  const figures = await bench.run(log)
  if (json) for (const f of figures) process.stdout.write(`${JSON.stringify(f)}\n`)
  else process.stdout.write(`\n${table(figures)}\n\n`)
}
