import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { writeTinyModel } from '../../../runtimes/index.ts'
import { runCli } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** The repository's files a `plexi ARGS` run in a fresh process loads (resolves), from the root. */
async function loaded (args: readonly string[]): Promise<string[]> {
  const script = `
    import { registerHooks } from 'node:module'
    import { PassThrough } from 'node:stream'
    const seen = []
    registerHooks({ resolve (specifier, context, next) { const r = next(specifier, context); seen.push(r.url); return r } })
    const { main } = await import(${JSON.stringify(new URL('cli/main.ts', `file://${ROOT}`).href)})
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough(), env: {}, cwd: process.cwd() }
    const code = await main(JSON.parse(process.env.PLEXI_ARGS), io)
    // after a marker: commander may print the help on the process's own stdout
    process.stdout.write('\\n@@loaded@@' + JSON.stringify({ code, seen }))
    process.exit(0)`
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, PLEXI_ARGS: JSON.stringify(args) }, timeout: 30_000 })
  const { code, seen } = JSON.parse(stdout.slice(stdout.lastIndexOf('@@loaded@@') + '@@loaded@@'.length)) as { code: number, seen: string[] }
  expect(code, args.join(' ')).to.equal(0)
  return seen.filter((url) => url.startsWith(`file://${ROOT}`)).map((url) => url.slice(`file://${ROOT}`.length))
}

describe('modelCommands', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should write the model into the models dir, refuse to overwrite without --force, and refuse bad flags', async () => {
    const first = await runCli(['model', 'gen-tiny', '--data-dir', dir.path, '--quant', 'tq1_0', '--json'])
    expect(first.code, first.stderr).to.equal(0)
    const written = JSON.parse(first.stdout) as { file: string, bytes: number }
    expect(written.file).to.equal(join(dir.path, 'models', 'plexi-tiny-tq1_0.gguf'))
    const reference = join(dir.path, 'reference.gguf')
    await writeTinyModel(reference, { quant: 'tq1_0' })
    const sha = async (path: string): Promise<string> => createHash('sha256').update(await readFile(path)).digest('hex')
    expect(await sha(written.file)).to.equal(await sha(reference))
    const again = await runCli(['model', 'gen-tiny', '--data-dir', dir.path, '--quant', 'tq1_0'])
    expect(again.code).to.equal(1)
    expect(again.stderr).to.match(/exists; pass --force/)
    expect((await runCli(['model', 'gen-tiny', '--data-dir', dir.path, '--quant', 'tq1_0', '--force'])).code).to.equal(0)
    for (const [flag, value, message] of [['--quant', 'q4', /--quant: expected one of f16, tq2_0, tq1_0/], ['--size', 'huge', /--size: expected one of tiny, 25m/], ['--seed', '-1', /--seed: expected an integer/]] as const) {
      const bad = await runCli(['model', 'gen-tiny', '--out', join(dir.path, 'x.gguf'), flag, value])
      expect(bad.code, flag).to.equal(2)
      expect(bad.stderr).to.match(message)
    }
  })

  it('should name the runtimes\' quants, sizes and default seed in gen-tiny\'s help', async () => {
    const { code, stdout: help } = await runCli(['model', 'gen-tiny', '--help'])
    expect(code).to.equal(0)
    expect(help).to.match(/^Usage: plexi model gen-tiny \[options\]/)
    // commander wraps the help at 80 columns
    const flat = help.replace(/\s+/g, ' ')
    expect(flat).to.include('weights: f16, tq2_0, tq1_0 (tq*: ternary, BitNet b1.58-style) (default: "f16")')
    expect(flat).to.include('tiny, 25m, 100m, 500m: tiny 3.5M parameters (7 MiB in f16), 25m 27.5M, 100m 113M (216 MiB), 500m 453M (0.87 GiB: large enough that a GPU shows) (default: "tiny")')
    expect(flat).to.include('--seed <n> same seed, same bytes (default: "1")')
  })

  it('should load runtimes/ only when a model command runs, not for a chat command', async () => {
    const chat = await loaded(['chat', 'send', '--help'])
    expect(chat).to.include('cli/commands/model-commands.ts')
    expect(chat.filter((path) => path.startsWith('runtimes/'))).to.deep.equal([])
    const model = await loaded(['model', 'gen-tiny', '--help'])
    expect(model).to.include('runtimes/index.ts')
  })
})
