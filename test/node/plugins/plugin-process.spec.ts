import { expect } from 'chai'
import { PluginProcess } from '../../../node/plugins/plugin-process.ts'
import type { LaunchPlan } from '../../../node/plugins/plugin-sandbox.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const plan = (script: string, cwd: string): LaunchPlan => ({ command: process.execPath, args: ['-e', script], env: {}, cwd, memoryBytes: 1 << 30, offline: false })

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

describe('plugin process', () => {
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should carry JSON-RPC lines both ways, skip lines that are not, and keep its stderr', async () => {
    const p = new PluginProcess(plan(`
      process.stderr.write('starting\\nhalf')
      require('readline').createInterface({ input: process.stdin }).on('line', (l) => {
        const m = JSON.parse(l)
        process.stdout.write('garbage\\n' + JSON.stringify({ jsonrpc: '2.0', id: m.id, result: { echo: m.params } }) + '\\n')
      })`, dir.path))
    const got: unknown[] = []
    p.onmessage = (m) => got.push(m)
    await p.start()
    await p.send({ jsonrpc: '2.0', id: 1, method: 'x', params: { a: 1 } })
    await waitFor(() => got.length === 1, 'the answer')
    expect(got).to.deep.equal([{ jsonrpc: '2.0', id: 1, result: { echo: { a: 1 } } }])
    expect(p.badLines).to.equal(1)
    await waitFor(() => p.stderr().length === 2, 'its stderr')
    expect(p.stderr()).to.deep.equal(['starting', 'half'])
    await p.close()
    expect(p.exit).to.not.equal(undefined)
    expect(await rejection(() => p.send({ jsonrpc: '2.0', id: 2, method: 'x' }))).to.match(/not running/)
  })

  it('should kill a process that writes a line past the most, and say so', async () => {
    let broken = ''
    const p = new PluginProcess(plan(`process.stdout.write('x'.repeat(4096)); setInterval(() => {}, 1000)`, dir.path), { maxMessageBytes: 1024, onBroken: (why) => { broken = why } })
    p.onerror = () => undefined
    await p.start()
    const exit = await p.exited
    expect(exit.signal).to.equal('SIGKILL')
    expect(broken).to.equal('it wrote a line of more than 1024 bytes to stdout')
    expect(p.broken).to.equal(broken)
  })

  it('should take the process\'s children with it when it is killed', async () => {
    const p = new PluginProcess(plan(`
      const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' })
      process.stderr.write(String(c.pid) + '\\n')
      setInterval(() => {}, 1000)`, dir.path))
    await p.start()
    await waitFor(() => p.stderr().length > 0, 'the child\'s pid')
    const child = Number(p.stderr()[0])
    expect(alive(child)).to.equal(true)
    p.kill()
    await p.exited
    await waitFor(() => !alive(child), 'the child gone')
  })

  it('should stop gracefully, then by force a process that ignores its stdin and SIGTERM', async () => {
    const p = new PluginProcess(plan(`process.on('SIGTERM', () => {}); process.stderr.write('ready\\n'); setInterval(() => {}, 1000)`, dir.path), { stopGraceMs: 200 })
    await p.start()
    // A SIGTERM sent before the handler is on would end it, and the spec would test nothing
    await waitFor(() => p.stderr().includes('ready'), 'the SIGTERM handler on')
    await p.close()
    expect(p.exit?.signal).to.equal('SIGKILL')
    const q = new PluginProcess(plan(`process.stdin.on('end', () => process.exit(0)); process.stdin.resume()`, dir.path))
    await q.start()
    await q.close()
    expect(q.exit).to.deep.equal({ code: 0, signal: null })
  })

  it('should reject a start that cannot spawn', async () => {
    const p = new PluginProcess({ ...plan('', dir.path), command: '/no/such/program' })
    expect(await rejection(() => p.start())).to.match(/ENOENT/)
    expect(await p.exited).to.deep.equal({ code: null, signal: null })
  })
})
