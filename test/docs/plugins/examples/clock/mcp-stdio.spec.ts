import { expect } from 'chai'
import { spawn } from 'node:child_process'
import type { ChildProcessByStdio } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable, Writable } from 'node:stream'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { PROTOCOL_VERSIONS } from '../../../../../docs/plugins/examples/clock/mcp-stdio.ts'
import { CLOCK_TOOLS } from '../../../../../docs/plugins/examples/clock/clock-tools.ts'
import { EXAMPLES_DIR } from '../../../../helpers/example-plugins.ts'
import { tempDir } from '../../../../helpers/temp-dir.ts'

const CLOCK = join(EXAMPLES_DIR, 'clock')
/** The clock as Plexi starts it (node/plugins plugin-sandbox.ts): under the permission model,
 * reading only its package, with no environment. */
const SANDBOX = ['--permission', `--allow-fs-read=${CLOCK}`, '--max-old-space-size=256', '--', join(CLOCK, 'server.ts')]

type Answer = Record<string, unknown> & { id?: unknown, result?: Record<string, unknown>, error?: { code: number, message: string } }

/** The clock's process, spoken to line by line as a plugin author tries theirs by hand. */
class ByHand {
  readonly child: ChildProcessByStdio<Writable, Readable, Readable>
  readonly answers: Answer[] = []
  readonly #waiters: Array<() => void> = []

  constructor (cwd: string) {
    this.child = spawn(process.execPath, SANDBOX, { cwd, env: {}, stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      this.answers.push(JSON.parse(line) as Answer)
      for (const wake of this.#waiters.splice(0)) wake()
    })
  }

  send (line: string | object): void {
    this.child.stdin.write(`${typeof line === 'string' ? line : JSON.stringify({ jsonrpc: '2.0', ...line })}\n`)
  }

  /** The answer with `id` (bounded). */
  async answer (id: unknown): Promise<Answer> {
    const timeout = Date.now() + 10_000
    for (;;) {
      const found = this.answers.find((a) => a.id === id)
      if (found !== undefined) return found
      if (Date.now() > timeout) throw new Error(`no answer ${String(id)} within 10 s: ${JSON.stringify(this.answers)}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000)
        this.#waiters.push(() => { clearTimeout(timer); resolve() })
      })
    }
  }

  async exit (): Promise<number | null> {
    return await new Promise((resolve) => {
      if (this.child.exitCode !== null) { resolve(this.child.exitCode); return }
      const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 5_000)
      this.child.on('exit', (code) => { clearTimeout(timer); resolve(code) })
    })
  }
}

describe('mcp-stdio (the examples\' MCP server over stdio)', function () {
  this.timeout(30_000)
  let cwd: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { cwd = await tempDir('plexi-clock-') })
  afterEach(async () => { await cwd.remove() })

  it('should answer initialize, ping, tools/list and tools/call line by line, and end when its stdin closes', async () => {
    const clock = new ByHand(cwd.path)
    clock.send({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'by-hand', version: '1' } } })
    clock.send({ method: 'notifications/initialized' })
    expect((await clock.answer(1)).result).to.deep.equal({ protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'clock', version: '1.0.0' } })
    clock.send({ id: 'p', method: 'ping' })
    expect((await clock.answer('p')).result).to.deep.equal({})
    clock.send({ id: 2, method: 'tools/list' })
    const listed = (await clock.answer(2)).result?.tools as Array<Record<string, unknown>>
    expect(listed.map((t) => t.name)).to.deep.equal(['now', 'add_days'])
    expect(listed[1]?.inputSchema).to.deep.equal(CLOCK_TOOLS[1]?.inputSchema)
    clock.send({ id: 3, method: 'tools/call', params: { name: 'add_days', arguments: { date: '2024-02-28', days: 1 } } })
    expect((await clock.answer(3)).result).to.deep.equal({ content: [{ type: 'text', text: '2024-02-29 (Thursday)' }], structuredContent: { date: '2024-02-29', weekday: 'Thursday' } })
    clock.send({ id: 4, method: 'tools/call', params: { name: 'now', arguments: { timeZone: 'Mars/Olympus_Mons' } } })
    expect((await clock.answer(4)).result).to.include({ isError: true })
    clock.child.stdin.end()
    expect(await clock.exit()).to.equal(0)
  })

  it('should answer a protocol version it does not speak with its newest, and JSON-RPC errors for what is not a request it knows', async () => {
    const clock = new ByHand(cwd.path)
    clock.send({ id: 1, method: 'initialize', params: { protocolVersion: '1999-01-01', capabilities: {}, clientInfo: { name: 'old', version: '1' } } })
    expect((await clock.answer(1)).result?.protocolVersion).to.equal(PROTOCOL_VERSIONS[0])
    clock.send('this is not JSON')
    clock.send('[{"jsonrpc":"2.0","id":9,"method":"ping"}]')
    clock.send({ id: 5, method: 'resources/list' })
    clock.send({ id: 6, method: 'tools/call', params: { name: 'sundial', arguments: {} } })
    clock.send({ id: 7, method: 'tools/call', params: { name: 'now', arguments: 'UTC' } })
    // a notification gets no answer, a response from the client neither
    clock.send({ method: 'notifications/cancelled', params: { requestId: 3 } })
    clock.send({ id: 8, result: {} })
    clock.send({ id: 10, method: 'ping' })
    await clock.answer(10)
    expect(clock.answers.filter((a) => a.id === null).map((a) => a.error?.code)).to.deep.equal([-32700, -32600])
    expect((await clock.answer(5)).error).to.deep.equal({ code: -32601, message: 'Method not found: resources/list' })
    expect((await clock.answer(6)).error).to.deep.equal({ code: -32602, message: 'Unknown tool: sundial' })
    expect((await clock.answer(7)).error?.code).to.equal(-32602)
    expect(clock.answers.map((a) => a.id)).to.not.include(8)
    clock.child.stdin.end()
    expect(await clock.exit()).to.equal(0)
  })

  it('should be a server the official SDK\'s client lists and calls, its structured results valid against their schemas', async () => {
    const client = new Client({ name: 'sdk-client', version: '1.0.0' })
    await client.connect(new StdioClientTransport({ command: process.execPath, args: SANDBOX, cwd: cwd.path, env: {}, stderr: 'pipe' }))
    try {
      expect(client.getServerVersion()).to.deep.equal({ name: 'clock', version: '1.0.0' })
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).to.deep.equal(['now', 'add_days'])
      // the client checks structuredContent against the tool's outputSchema
      const result = await client.callTool({ name: 'now', arguments: { timeZone: 'Asia/Tokyo' } })
      expect(result.structuredContent).to.include({ timeZone: 'Asia/Tokyo', offset: '+09:00' })
      expect(await client.callTool({ name: 'add_days', arguments: { date: '2025-01-31', days: 29 } })).to.deep.include({ structuredContent: { date: '2025-03-01', weekday: 'Saturday' } })
      await client.ping()
    } finally {
      await client.close()
    }
  })
})
