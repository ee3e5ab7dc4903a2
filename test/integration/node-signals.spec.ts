import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

/** The "node ready" log line's fields a test needs (pino writes the pid of the node's process). */
interface Ready { pid: number, grpc: string, admin: string }

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
  async function npmStart (until = '"node ready'): Promise<{ npm: ReturnType<typeof spawn>, npmExit: () => Promise<number | null>, node: Ready, output: () => string, stop: () => void }> {
    const npm = process.env.npm_execpath
    const [command, args] = npm !== undefined && npm.endsWith('.js') ? [process.execPath, [npm]] : ['npm', []]
    const child = spawn(command, [...args, 'start', '--', '--data-dir', dir.path, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, PLEXI_ADMIN_TOKEN: '', PLEXI_CONFIG: '' }
    })
    const exited = new Promise<number | null>((resolve) => { child.on('exit', (code) => { resolve(code) }) })
    // every line written to npm's stdout and stderr, by npm and the node (which shares them), read
    const closed = new Promise<void>((resolve) => { child.on('close', () => { resolve() }) })
    let out = ''
    child.stdout?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    child.stderr?.on('data', (chunk: Buffer) => { out += chunk.toString() })
    let node: Ready | undefined
    const stop = (): void => {
      if (node !== undefined && alive(node.pid)) process.kill(node.pid, 'SIGKILL')
      child.kill('SIGKILL')
    }
    try {
      await waitFor(() => {
        const line = out.split('\n').find((l) => l.includes(until) && l.startsWith('{'))
        if (line !== undefined) node = JSON.parse(line) as Ready
        return node !== undefined
      }, `the node to log ${until}`, { timeout: 60_000, interval: 50 })
    } catch (err) {
      stop()
      throw new Error(`${(err as Error).message}; output: ${out}`)
    }
    /** npm's exit code, once it has exited (at most 5 s after its child, the node, did) and all
     * the output has been read: the node's last lines may still be in the pipe when it is gone. */
    const npmExit = async (): Promise<number | null> => {
      let ended = false
      void closed.then(() => { ended = true })
      await waitFor(() => ended, 'npm to exit and its output to be read', { timeout: 5_000, interval: 20 })
      return await exited
    }
    return { npm: child, npmExit, node: node as Ready, output: () => out, stop }
  }

  it('should stop the node gracefully when `npm start` is sent SIGTERM, leaving no process and no port behind', async () => {
    const run = await npmStart()
    try {
      expect(run.node.pid).to.not.equal(run.npm.pid)
      // the pid a process manager started: npm's, not the node's
      run.npm.kill('SIGTERM')
      await waitFor(() => !alive(run.node.pid), 'the node process to exit (it is orphaned if the signal stopped at npm\'s shell)', { timeout: 20_000, interval: 50 })
      expect(await run.npmExit()).to.equal(0)
      expect(run.output()).to.include('stopped: journal flushed')
      for (const address of [run.node.grpc, run.node.admin]) expect(await portFree(Number(address.split(':')[1])), address).to.equal(true)
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
      expect(await run.npmExit()).to.equal(0)
      expect(run.output()).to.include('stopped: journal flushed')
      expect(run.output()).to.not.include('exiting without waiting')
    } finally {
      run.stop()
    }
  })

  it('should stop gracefully on a Ctrl-C that comes while the node is still starting, once it is up', async () => {
    // its first log line: the node's signal handlers are set before it logs anything
    const run = await npmStart('"level"')
    try {
      process.kill(-(run.npm.pid as number), 'SIGINT')
      await waitFor(() => !alive(run.node.pid), 'the node process to exit', { timeout: 30_000, interval: 50 })
      expect(await run.npmExit()).to.equal(0)
      expect(run.output()).to.include('stopping gracefully')
      expect(run.output()).to.include('stopped: journal flushed')
      expect(run.output()).to.not.include('exiting without waiting')
    } finally {
      run.stop()
    }
  })
})
