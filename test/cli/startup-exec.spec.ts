import { expect } from 'chai'
import { readFile, readdir } from 'node:fs/promises'
import { SEMI_SPACE_FLAG, startupExec } from '../../cli/startup-exec.ts'
import type { ProcessArgs } from '../../cli/startup-exec.ts'
import { startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const proc = (over: Partial<ProcessArgs> = {}): ProcessArgs => ({
  execPath: '/opt/node',
  execArgv: ['--import', 'x.mjs'],
  argv: ['/opt/node', '/app/cli/plexi.ts', 'node', 'start', '--role', 'chat'],
  env: {},
  ...over
})

/** The arguments the kernel started a process with (after an execve: the new ones). */
async function cmdline (pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter((a) => a !== '')
}

describe('startupExec', () => {
  const args = (mib: number, cache: string | undefined, over?: Partial<ProcessArgs>): string[] | undefined => startupExec(mib, cache, proc(over))?.args

  it('should run the same script and arguments again with the flag first when the process lacks it', () => {
    expect(args(8, undefined)).to.deep.equal(['/opt/node', `${SEMI_SPACE_FLAG}=8`, '--import', 'x.mjs', '/app/cli/plexi.ts', 'node', 'start', '--role', 'chat'])
  })

  it('should not run again for the flag when the size is 0 (V8 sizes it) or Node was given the flag, on its command line or in NODE_OPTIONS', () => {
    expect(args(0, undefined)).to.equal(undefined)
    expect(args(8, undefined, { execArgv: ['--max-semi-space-size=16'] })).to.equal(undefined)
    expect(args(8, undefined, { execArgv: ['--max-semi-space-size', '16'] })).to.equal(undefined)
    expect(args(8, undefined, { execArgv: ['--max_semi_space_size=16'] })).to.equal(undefined)
    expect(args(8, undefined, { env: { NODE_OPTIONS: '--no-warnings --max-semi-space-size=2' } })).to.equal(undefined)
    expect(args(8, undefined, { env: { NODE_OPTIONS: '--max-old-space-size=512' } })).to.have.length(9)
  })

  it('should run again with the compile cache in NODE_COMPILE_CACHE when it is on and not set there yet, and not when it is', () => {
    const again = startupExec(0, '/tmp/cc', proc({ env: { HOME: '/h' } }))
    expect(again?.args).to.deep.equal(['/opt/node', '--import', 'x.mjs', '/app/cli/plexi.ts', 'node', 'start', '--role', 'chat'])
    expect(again?.env).to.deep.equal({ HOME: '/h', NODE_COMPILE_CACHE: '/tmp/cc' })
    expect(startupExec(0, '/tmp/cc', proc({ env: { NODE_COMPILE_CACHE: '/elsewhere' } }))).to.equal(undefined)
    const both = startupExec(4, '/tmp/cc', proc())
    expect(both?.args[1]).to.equal(`${SEMI_SPACE_FLAG}=4`)
    expect(both?.env.NODE_COMPILE_CACHE).to.equal('/tmp/cc')
    // what the first run's exec gives the second: nothing left to do, so no loop
    expect(startupExec(4, '/tmp/cc', proc({ execArgv: (both?.args ?? []).slice(1, 4), env: both?.env }))).to.equal(undefined)
  })

  it('should refuse a size that is not a whole number of MiB', () => {
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => startupExec(bad, undefined, proc())).to.throw(RangeError, /max-semi-space-size/)
  })
})

describe('execForNode (plexi node start)', function () {
  this.timeout(150_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess | undefined
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await node?.stop()
    node = undefined
    await dir.remove()
  })

  it('should replace the node process with one under the configured size and the compile cache, keeping its pid, and serve', async () => {
    node = await startNodeProcess(dir.path, ['--role', 'chat', '--max-semi-space-size', '4'])
    const args = await cmdline(node.pid)
    const env = (await readFile(`/proc/${node.pid}/environ`, 'utf8')).split('\0')
    if (process.env.NODE_DISABLE_COMPILE_CACHE === undefined) expect(env.some((e) => e.startsWith('NODE_COMPILE_CACHE=/'))).to.equal(true)
    // Node's flag once, before the script; plexi's own --max-semi-space-size stays after it
    const script = args.findIndex((a) => a.endsWith('plexi.ts'))
    expect(args.slice(0, script).filter((a) => a.startsWith(SEMI_SPACE_FLAG))).to.deep.equal([`${SEMI_SPACE_FLAG}=4`])
    expect(args.slice(-4)).to.deep.equal(['--role', 'chat', '--max-semi-space-size', '4'])
    expect((await fetch(`http://${node.admin}/readyz`)).status).to.equal(200)
  })

  it('should write the compile cache once it started, so that a node killed later starts warm (no type-stripping) the next time', async function () {
    if (process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) this.skip()
    const cache = await tempDir()
    const before = process.env.NODE_COMPILE_CACHE
    process.env.NODE_COMPILE_CACHE = cache.path
    try {
      node = await startNodeProcess(dir.path, ['--role', 'chat'])
    } finally {
      if (before === undefined) delete process.env.NODE_COMPILE_CACHE
      else process.env.NODE_COMPILE_CACHE = before
    }
    try {
      // (entries under a per-version folder; before, only a clean exit wrote them)
      const entries = async (): Promise<number> => (await readdir(cache.path, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length
      await waitFor(async () => await entries() > 100, 'the compile cache written while the node runs', { timeout: 60_000, interval: 100 })
      await node.stop('SIGKILL')
      node = undefined
      expect(await entries()).to.be.above(100)
    } finally {
      await cache.remove()
    }
  })

  it('should leave the flag out with 0', async () => {
    node = await startNodeProcess(dir.path, ['--role', 'chat', '--max-semi-space-size', '0'])
    const args = await cmdline(node.pid)
    expect(args.slice(0, args.findIndex((a) => a.endsWith('plexi.ts'))).some((a) => a.startsWith(SEMI_SPACE_FLAG))).to.equal(false)
    expect((await fetch(`http://${node.admin}/readyz`)).status).to.equal(200)
  })
})
