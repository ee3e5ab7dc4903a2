import { Command } from 'commander'
import { access } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { mkdir } from 'node:fs/promises'
import type { ModelQuant, ModelSize } from '../../runtimes/index.ts'
import { CliError, UsageError } from '../cli-errors.ts'
import { printJson } from '../cli-io.ts'
import type { CliIo } from '../cli-io.ts'
import { dataDirOf } from '../client-options.ts'
import { LazyCommand } from './lazy-command.ts'

type Runtimes = typeof import('../../runtimes/index.ts')

/** `plexi model`: runtimes/ loads only when one of its subcommands runs (see LazyCommand); their
 * flags name the runtimes' own lists (quants, sizes, the default seed), so they are added then. */
export function modelCommands (io: CliIo): Command {
  const genTiny = new Command('gen-tiny')
    .description('write the project\'s own test model: a seeded llama-architecture GGUF with a byte-level tokenizer (random weights; no download)')
  const model = new LazyCommand('model', async () => { genTinyFlags(genTiny, io, await import('../../runtimes/index.ts')) })
  return model.description('models').addCommand(genTiny)
}

function genTinyFlags (genTiny: Command, io: CliIo, { DEFAULT_SEED, MODEL_QUANTS, MODEL_SIZES, tinyModelFileName, writeTinyModel }: Runtimes): void {
  genTiny
    .option('--out <file>', 'where to write it (default: <models-dir>/plexi-<size>-<quant>.gguf)')
    .option('--quant <quant>', `weights: ${MODEL_QUANTS.join(', ')} (tq*: ternary, BitNet b1.58-style)`, 'f16')
    .option('--size <size>', `${Object.keys(MODEL_SIZES).join(', ')}: tiny 3.5M parameters (7 MiB in f16), 25m 27.5M, 100m 113M (216 MiB), 500m 453M (0.87 GiB: large enough that a GPU shows)`, 'tiny')
    .option('--seed <n>', 'same seed, same bytes', String(DEFAULT_SEED))
    .option('--models-dir <dir>', 'the node\'s models dir (env PLEXI_MODELS_DIR, default <data-dir>/models)')
    .option('--data-dir <dir>', 'the node\'s data dir (env PLEXI_DATA_DIR, default ./data)')
    .option('--force', 'overwrite an existing file')
    .option('--json', 'print JSON for scripts')
    .action(async (flags: { out?: string, quant: string, size: string, seed: string, modelsDir?: string, dataDir?: string, force?: boolean, json?: boolean }) => {
      if (!(MODEL_QUANTS as readonly string[]).includes(flags.quant)) throw new UsageError(`--quant: expected one of ${MODEL_QUANTS.join(', ')}, got ${JSON.stringify(flags.quant)}`)
      if (!Object.hasOwn(MODEL_SIZES, flags.size)) throw new UsageError(`--size: expected one of ${Object.keys(MODEL_SIZES).join(', ')}, got ${JSON.stringify(flags.size)}`)
      const seed = /^\d{1,15}$/.test(flags.seed) ? Number(flags.seed) : Number.NaN
      if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected an integer >= 0, got ${JSON.stringify(flags.seed)}`)
      const quant = flags.quant as ModelQuant
      const size = flags.size as ModelSize
      const modelsDir = resolve(io.cwd, flags.modelsDir ?? (io.env.PLEXI_MODELS_DIR || undefined) ?? resolve(dataDirOf(flags, io), 'models'))
      const out = resolve(io.cwd, flags.out ?? resolve(modelsDir, tinyModelFileName(size, quant)))
      if (flags.force !== true && await access(out).then(() => true, () => false)) {
        throw new CliError(`${out} exists; pass --force to overwrite it`)
      }
      await mkdir(dirname(out), { recursive: true })
      const { bytes, parameters } = await writeTinyModel(out, { size, quant, seed })
      if (flags.json === true) printJson(io, { file: out, size, quant, seed, bytes, parameters })
      else io.stdout.write(`wrote ${out}: ${size} ${quant}, ${(parameters / 1e6).toFixed(1)}M parameters, ${(bytes / 1024 / 1024).toFixed(1)} MiB, seed ${seed}\n`)
    })
}
