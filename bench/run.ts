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
import { searchBench } from './conversations-search.ts'
import { tracingBench } from './tracing.ts'
import { usersBench } from './users.ts'
import { table } from './figure.ts'
import { MODEL_SIZES } from '../runtimes/index.ts'
import type { Bench } from './figure.ts'

const benches: readonly Bench[] = [kernelBench, chatBench, inferenceBench, meshBench, replicationBench, migrationBench, usersBench, backupBench, backupNodesBench, pluginsBench, conversationsBench, searchBench, scaleBench, scaleOutBench, tracingBench]

const args = process.argv.slice(2)
// --gpu auto|cuda|off (or --gpu=...): the llama.cpp backend of the inference bench, both sides
const gpuAt = args.findIndex((a) => a === '--gpu' || a.startsWith('--gpu='))
if (gpuAt >= 0) {
  const given = args[gpuAt] === '--gpu' ? args.splice(gpuAt, 2)[1] : (args.splice(gpuAt, 1)[0] as string).slice('--gpu='.length)
  if (given !== 'auto' && given !== 'cuda' && given !== 'off') {
    process.stderr.write(`--gpu: expected auto, cuda or off, got ${JSON.stringify(given ?? '')}\n`)
    process.exit(2)
  }
  process.env.BENCH_GPU = given
}
// --batching auto|on|off (or --batching=...): the inference bench node's inference-batching
const batchingAt = args.findIndex((a) => a === '--batching' || a.startsWith('--batching='))
if (batchingAt >= 0) {
  const given = args[batchingAt] === '--batching' ? args.splice(batchingAt, 2)[1] : (args.splice(batchingAt, 1)[0] as string).slice('--batching='.length)
  if (given !== 'auto' && given !== 'on' && given !== 'off') {
    process.stderr.write(`--batching: expected auto, on or off, got ${JSON.stringify(given ?? '')}\n`)
    process.exit(2)
  }
  process.env.BENCH_BATCHING = given
}
// --size tiny|25m|100m|500m (or --size=...): the generated model of the inference bench
const sizeAt = args.findIndex((a) => a === '--size' || a.startsWith('--size='))
if (sizeAt >= 0) {
  const given = args[sizeAt] === '--size' ? args.splice(sizeAt, 2)[1] : (args.splice(sizeAt, 1)[0] as string).slice('--size='.length)
  if (given === undefined || !Object.hasOwn(MODEL_SIZES, given)) {
    process.stderr.write(`--size: expected one of ${Object.keys(MODEL_SIZES).join(', ')}, got ${JSON.stringify(given ?? '')}\n`)
    process.exit(2)
  }
  process.env.BENCH_MODEL_SIZE = given
}
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
