/**
 * Plugins and agent tools end to end, as a user and an admin meet them: real `plexi node start`
 * processes (llama.cpp on the generated model), the real CLI, real plugin processes installed from
 * the fixtures' folders (test/integration/fixtures: clock, dice, mod) and a public MCP server
 * (@modelcontextprotocol/server-memory, run unchanged). On one node with every role: a tool plugin
 * installed and granted, and an agent made to call it; a chat command answered in the room by the
 * plugin's bot; a before-post hook refusing a post; an admin-registered MCP server whose tool an
 * agent calls. On three nodes: a plugin installed once runs on both plugins-role members, and the
 * agent of a member without the role calls it there.
 */
import { expect } from 'chai'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { CliResult, NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))
/** server-memory's command as npm installed it (its own `#!/usr/bin/env node`). */
const MEMORY_SERVER = fileURLToPath(new URL('../../node_modules/.bin/mcp-server-memory', import.meta.url))
/** Tests run llama.cpp on the CPU with one thread per context (docs/models.md). */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '24']
/** What the clock fixture's `now` answers. */
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/
/** A CLI command's patience: an answer of the tiny model's five rounds on a busy 2-core machine. */
const CLI_MS = 120_000

interface WireTurn { role: string, content: string, stopReason: string, toolCalls?: Array<{ name: string, arguments: string }>, toolName?: string, isError?: boolean }
interface ChatRow { seq: number, user: string, text: string }

const ok = (run: CliResult, what: string): string => {
  expect(run.code, `${what}: ${run.stderr}`).to.equal(0)
  return run.stdout
}

/** An ask's first lines: the forced call, then its result (the rest is the model's). */
function forcedLines (stdout: string, tool: string): { args: string, result: string } {
  const [call, result] = stdout.split('\n')
  const c = new RegExp(`^\\[tool ${tool} (\\{.*\\})\\]$`).exec(call ?? '')
  const r = new RegExp(`^\\[${tool}: (.*)\\]$`).exec(result ?? '')
  expect(c, `the first line is the call of ${tool}: ${stdout}`).to.not.equal(null)
  expect(r, `the second line is its result: ${stdout}`).to.not.equal(null)
  return { args: c?.[1] ?? '', result: r?.[1] ?? '' }
}

/** The agent's history turns of its last ask: the question, the forced call, its result, ..., the answer. */
function lastAsk (turns: readonly WireTurn[], question: string): WireTurn[] {
  const from = turns.map((t) => t.role === 'user' && t.content === question).lastIndexOf(true)
  expect(from, `the history holds the question ${question}`).to.be.at.least(0)
  return turns.slice(from)
}

describe('plugins end to end (real node processes, the generated model, the real CLI)', function () {
  this.timeout(300_000)

  describe('on one node with every role', () => {
    let dir: { path: string, remove: () => Promise<void> }
    let node: NodeProcess
    const admin = async (...args: string[]): Promise<CliResult> => await runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', dir.path], { timeout: CLI_MS })
    const alice = async (command: 'agent' | 'chat', ...args: string[]): Promise<CliResult> => await runCli([command, ...args, '--addr', node.grpc, '--user', 'alice', '--data-dir', dir.path], { timeout: CLI_MS })
    const history = async (room: string): Promise<ChatRow[]> => JSON.parse(ok(await alice('chat', 'history', '--room', room, '--json'), 'chat history')) as ChatRow[]
    const turns = async (): Promise<WireTurn[]> => JSON.parse(ok(await alice('agent', 'history', '--json', '--limit', '200'), 'agent history')) as WireTurn[]
    /** The node's rooms see `what` among the plugins' commands and hooks (its log says each change). */
    const roomsSee = async (what: RegExp): Promise<void> => {
      await node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('rooms here see') && what.test(l.msg), `rooms to see ${what.source}`, 30_000)
    }

    before(async () => {
      dir = await tempDir()
      node = await startNodeProcess(dir.path, INFERENCE, 60_000)
      ok(await admin('users', 'add', 'alice'), 'users add')
    })
    after(async () => {
      await node?.stop()
      await dir?.remove()
    })

    it('should install a tool plugin, grant it to alice, and have her agent call it when she asks it to, the call and its result in her history', async () => {
      const installed = ok(await admin('plugins', 'install', join(FIXTURES, 'clock')), 'plugins install')
      expect(installed).to.match(/^installed clock 1\.0\.0 \(sha256 [0-9a-f]{64}, .+\)\npermissions: 128 MiB of memory\nclock runs 1\.0\.0 on 1 of 1 plugins-role member\n$/)
      ok(await admin('users', 'tools', 'alice', '--grant', 'clock__*'), 'users tools --grant')
      expect(JSON.parse(ok(await alice('agent', 'tools', '--json'), 'agent tools')).tools).to.deep.equal([{ name: 'clock__now', description: 'The time now, as YYYY-MM-DD HH:MM:SS UTC' }])
      const asked = ok(await alice('agent', 'ask', '--tool', 'clock__now', 'what time is it'), 'agent ask --tool')
      const { args, result } = forcedLines(asked, 'clock__now')
      expect(JSON.parse(args)).to.deep.equal({})
      expect(result).to.match(TIME)
      const exchange = lastAsk(await turns(), 'what time is it')
      expect(exchange[1]).to.deep.include({ role: 'assistant', stopReason: 'tool-calls' })
      expect(exchange[1]?.toolCalls?.[0]).to.deep.include({ name: 'clock__now', arguments: '{}' })
      expect(exchange[2]).to.deep.include({ role: 'tool', toolName: 'clock__now', isError: false, content: result })
      const answer = exchange.at(-1)
      expect(answer?.role).to.equal('assistant')
      expect(['eos', 'max-tokens']).to.include(answer?.stopReason)
      expect(asked.slice(asked.indexOf(result) + result.length), 'the answer printed after the call').to.include(answer?.content ?? '')
      expect(ok(await admin('plugins', 'logs', 'clock'), 'plugins logs')).to.include('1.0.0 now asked')
    })

    it('should refuse to force a tool alice may not use, her history unchanged', async () => {
      const before = await turns()
      const denied = await alice('agent', 'ask', '--tool', 'clock__later', 'when?')
      expect(denied.code).to.equal(1)
      expect(denied.stderr).to.match(/alice may not call clock__later: it is not among the tools your agent may use now/)
      expect(await turns()).to.deep.equal(before)
    })

    it('should answer a plugin\'s /roll in the room as dice[bot], after the post, in order', async () => {
      ok(await admin('plugins', 'install', join(FIXTURES, 'dice')), 'plugins install dice')
      await roomsSee(/dice \(\/roll\)/)
      const sent = JSON.parse(ok(await alice('chat', 'send', '--room', 'games', '/roll 2d6', '--json'), 'chat send')) as { seq: number }
      let rows: ChatRow[] = []
      await waitFor(async () => (rows = await history('games')).some((m) => m.user === 'dice[bot]'), 'dice[bot] to answer', { timeout: 30_000, interval: 250 })
      expect(rows.map((m) => [m.seq, m.user])).to.deep.equal([[sent.seq, 'alice'], [sent.seq + 1, 'dice[bot]']])
      expect(rows[0]?.text).to.equal('/roll 2d6')
      expect(rows[1]?.text).to.match(/^alice rolls 2d6: [1-6] \+ [1-6] = \d{1,2}$/)
    })

    it('should refuse a post that a before-post hook refuses, telling the client why and storing nothing', async () => {
      ok(await admin('plugins', 'install', join(FIXTURES, 'mod')), 'plugins install mod')
      await roomsSee(/mod \(before-post\)/)
      ok(await alice('chat', 'send', '--room', 'lobby', 'hello'), 'chat send')
      const before = await history('lobby')
      const refused = await alice('chat', 'send', '--room', 'lobby', 'this is forbidden')
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.match(/post refused by plugin mod: that word is not said here/)
      expect(await history('lobby')).to.deep.equal(before)
      ok(await alice('chat', 'send', '--room', 'lobby', 'this is fine'), 'chat send')
      expect((await history('lobby')).map((m) => m.text)).to.deep.equal(['hello', 'this is fine'])
    })

    it('should register server-memory as an MCP server for the cluster, and have an agent call one of its tools', async () => {
      const added = ok(await admin('mcp-servers', 'add', 'mem', '--command', MEMORY_SERVER, '--env', `MEMORY_FILE_PATH=${join(dir.path, 'memory.jsonl')}`, '--description', 'a knowledge graph'), 'mcp-servers add')
      expect(added).to.match(new RegExp(`^registered mem \\(stdio: ${MEMORY_SERVER}; env MEMORY_FILE_PATH\\)\\nmem is connected on 1 of 1 plugins-role member \\(\\d+ tools\\)\\n$`))
      expect(ok(await admin('mcp-servers', 'ls'), 'mcp-servers ls')).to.match(/\nmem\s+stdio\s+\S+mcp-server-memory\s+env MEMORY_FILE_PATH\s+\S+\s+up\s+\d+\s+0\n/)
      ok(await admin('users', 'tools', 'alice', '--grant', 'mem__*'), 'users tools --grant')
      const asked = ok(await alice('agent', 'ask', '--tool', 'mem__read_graph', 'what do you remember?'), 'agent ask --tool')
      const { result } = forcedLines(asked, 'mem__read_graph')
      expect(result).to.match(/"entities": \[.*\]/)
      const exchange = lastAsk(await turns(), 'what do you remember?')
      expect(exchange[2]).to.deep.include({ role: 'tool', toolName: 'mem__read_graph', isError: false })
      expect(JSON.parse(exchange[2]?.content ?? '')).to.have.keys('entities', 'relations')
    })
  })

  describe('on three nodes, two of them with the plugins role', () => {
    const cluster = new ProcessCluster()
    let a: NodeSlot
    let b: NodeSlot
    let c: NodeSlot
    let token = ''
    const admin = async (...args: string[]): Promise<CliResult> => await runCli(['admin', ...args, '--admin-addr', c.node.admin, '--admin-token', c.node.adminToken], { timeout: CLI_MS })
    const agent = async (...args: string[]): Promise<CliResult> => await runCli(['agent', ...args, '--addr', c.node.grpc, '--token', token], { timeout: CLI_MS })

    before(async () => {
      await cluster.start([{ roles: 'chat,storage,plugins' }, { roles: 'chat,storage,plugins' }, { roles: 'chat,storage,ai', args: INFERENCE }])
      ;[a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
      token = (JSON.parse(ok(await admin('users', 'add', 'alice', '--no-save', '--json'), 'users add')) as { token: string }).token
    })
    after(async () => { await cluster.close() })

    it('should run a plugin installed once through a member without the role on both plugins-role members, and have that member\'s agent call it there', async () => {
      expect(ok(await admin('plugins', 'install', join(FIXTURES, 'clock')), 'plugins install')).to.match(/\nclock runs 1\.0\.0 on 2 of 2 plugins-role members\n$/)
      const shown = JSON.parse(ok(await admin('plugins', 'show', 'clock', '--json'), 'plugins show')) as { nodes: Array<{ node: string, state: string, version: string, calls: number | null }> }
      expect(shown.nodes.map((n) => [n.node, n.version, n.state]).sort()).to.deep.equal([[a.peerId, '1.0.0', 'running'], [b.peerId, '1.0.0', 'running']].sort())
      ok(await admin('users', 'tools', 'alice', '--grant', 'clock__*'), 'users tools --grant')
      // the member records say where clock runs: the agent's node offers it once it has heard
      await waitFor(async () => (JSON.parse(ok(await agent('tools', '--json'), 'agent tools')) as { tools: Array<{ name: string }> }).tools.some((t) => t.name === 'clock__now'),
        'the agent\'s node to offer clock__now', { timeout: 30_000, interval: 500 })
      const asked = ok(await agent('ask', '--tool', 'clock__now', 'what time is it'), 'agent ask --tool')
      expect(forcedLines(asked, 'clock__now').result).to.match(TIME)
      const after = JSON.parse(ok(await admin('plugins', 'show', 'clock', '--json'), 'plugins show')) as typeof shown
      const calls = after.nodes.reduce((sum, n) => sum + (n.calls ?? 0), 0)
      expect(calls, 'the calls were made on the members that run clock').to.be.at.least(1)
      expect(after.nodes.map((n) => n.node)).to.not.include(c.peerId)
    })
  })
})
