import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

function portFree (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer()
    server.once('error', () => { resolve(false) })
    server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
  })
}

describe('a node under a process manager (signals, real processes)', function () {
  this.timeout(120_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  /** `npm start` on a temp data dir, as an operator's process manager or terminal runs it (in a
   * process group of its own), ready; `stop` kills whatever is left. */
  async function npmStart (): Promise<{ npm: ReturnType<typeof spawn>, exited: Promise<number | null>, node: { pid: number, grpc: string }, output: () => string, stop: () => void }> {
    const npm = process.env.npm_execpath
    const [command, args] = npm !== undefined && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []]
    const child = spawn(command, [...args, 'start', '--', '--data-dir', dir.path, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PLEXI_ADMIN_TOKEN: '', PLEXI_CONFIG: '' }
    })
    const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    let node: { pid: number, grpc: string } | undefined
    const stop = (): void => {
      if (node !== undefined && alive(node.pid)) process.kill(node.pid, 'SIGKILL')
      child.kill('SIGKILL')
    }
    try {
      await waitFor(() => {
        const line = out.split('\n').find((l) => l.includes('"node ready'))
        if (line !== undefined) node = JSON.parse(line) as { pid: number, grpc: string }
        return node !== undefined
      }, 'the node to be ready', { timeout: 60_000, interval: 50 })
    } catch (err) {
      stop()
      throw new Error(`${(err as Error).message}; output: ${out}`)
    }
    return { npm: child, exited, node: node as { pid: number, grpc: string }, output: () => out, stop }
  }

  it('should stop the node gracefully when `npm start` is sent SIGTERM, leaving no process and no port behind', async () => {
    const run = await npmStart()
    try {
      expect(run.node.pid).to.not.equal(run.npm.pid)
      run.npm.kill('SIGTERM')
      expect(await run.exited).to.equal(0)
      await waitFor(() => !alive(run.node.pid), 'the node process to exit', { timeout: 20_000, interval: 50 })
      expect(run.output()).to.include('stopped: journal flushed')
      expect(await portFree(Number(run.node.grpc.split(':')[1]))).to.equal(true)
    } finally {
      run.stop()
    }
  })

  it('should stop gracefully on Ctrl-C under `npm start`, which delivers SIGINT to the node twice', async () => {
    const run = await npmStart()
    try {
      // a terminal's Ctrl-C goes to the whole process group: npm, which forwards it, and the node
      process.kill(-(run.npm.pid as number), 'SIGINT')
      await waitFor(() => !alive(run.node.pid), 'the node process to exit', { timeout: 20_000, interval: 50 })
      expect(run.output()).to.include('stopped: journal flushed')
      expect(run.output()).to.not.include('exiting without waiting')
    } finally {
      run.stop()
    }
  })
})
