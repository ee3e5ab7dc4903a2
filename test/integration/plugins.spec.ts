/**
 * Plugins and agent tools end to end, as an admin and a user meet them: real `plexi node start`
 * processes (libp2p, LevelDB, gRPC, Fastify; llama.cpp on the generated test model), the real CLI,
 * and real plugin processes: the example plugins kept in the repository (docs/plugins/examples:
 * clock, moderation) installed from their folders, and @modelcontextprotocol/server-memory as npm
 * installed it, run unchanged both as a plugin and as an MCP server an admin registers. On one node
 * with every role: a tool plugin installed and called by an agent made to call it; a room command
 * answered by the plugin's bot; before-post and after-post hooks; server-memory as a plugin and as
 * a registered server; disable, enable and remove, audited. On three nodes: a plugin installed
 * once runs on both plugins-role members, and the agent of a member without the role calls it there.
 *
 * Forced calls use tools whose arguments the test model writes in few tokens (it writes one byte a
 * token, at random, within the grammar): clock__add_days (a date and a whole number of at most 16
 * digits) and read_graph (none). Every wait is on an event or a bounded poll; nothing is timed.
 */
import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { CLOCK_TOOLS, addDays } from '../../docs/plugins/examples/clock/clock-tools.ts'
import { exampleDir } from '../helpers/example-plugins.ts'
import { MEMORY_SERVER } from '../helpers/lone-servers.ts'
import { runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { CliResult, NodeProcess } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { waitFor } from '../helpers/wait-for.ts'

/** Tests run llama.cpp on the CPU with one thread per context (docs/models.md). An answer's tokens
 * hold its forced call's arguments too: clock__add_days's take at most about 70 bytes. */
const INFERENCE = ['--gpu', 'off', '--inference-threads', '1', '--agent-max-tokens', '128']
/** A CLI command's patience: an answer of the test model's rounds on a busy 2-core machine. */
const CLI_MS = 120_000
/** How long a change may take to reach the rooms, the agents' tool lists, a member's folders. */
const SETTLE_MS = 30_000

interface WireTurn { role: string, content: string, stopReason: string, toolCalls?: Array<{ name: string, arguments: string }>, toolName?: string, isError?: boolean }
interface ChatRow { seq: number, user: string, text: string }
interface PluginShown { nodes: Array<{ node: string, state: string, version: string | null, calls: number | null }> }

const ok = (run: CliResult, what: string): string => {
  expect(run.code, `${what}: ${run.stderr}`).to.equal(0)
  return run.stdout
}

/** An ask's first lines, as `plexi agent ask` streams a forced call: the call, then its result. */
function forcedLines (stdout: string, tool: string): { args: Record<string, unknown>, result: string, failed: boolean } {
  const [call, result] = stdout.split('\n')
  const c = new RegExp(`^\\[tool ${tool} (\\{.*\\})\\]$`).exec(call ?? '')
  const r = new RegExp(`^\\[${tool}( failed)?: (.*)\\]$`).exec(result ?? '')
  expect(c, `the first line is the call of ${tool}: ${stdout}`).to.not.equal(null)
  expect(r, `the second line is its result: ${stdout}`).to.not.equal(null)
  return { args: JSON.parse(c?.[1] ?? '{}') as Record<string, unknown>, result: r?.[2] ?? '', failed: r?.[1] !== undefined }
}

/** The agent's history turns of its last ask: the question, the forced call, its result, ..., the answer. */
function lastAsk (turns: readonly WireTurn[], question: string): WireTurn[] {
  const from = turns.map((t) => t.role === 'user' && t.content === question).lastIndexOf(true)
  expect(from, `the history holds the question ${question}`).to.be.at.least(0)
  return turns.slice(from)
}

/** What clock__add_days must have answered the model's arguments: the example's own function. */
function checkAddDays (asked: string): void {
  const { args, result, failed } = forcedLines(asked, 'clock__add_days')
  const expected = addDays(args)
  expect({ result, failed }, JSON.stringify(args)).to.deep.equal({ result: expected.text, failed: expected.isError === true })
}

/** @modelcontextprotocol/server-memory as a plugin package: a manifest and a command entry that
 * runs the server as npm installed it, its graph in the plugin's data folder. */
async function memoryPackage (parent: string): Promise<string> {
  const pkg = join(parent, 'memory')
  await mkdir(join(pkg, 'bin'), { recursive: true })
  await writeFile(join(pkg, 'plexi-plugin.json'), JSON.stringify({
    name: 'memory', version: '1.0.0', description: 'a knowledge graph (@modelcontextprotocol/server-memory)', plexi: '^1.0.0', entry: { command: 'bin/memory' }, permissions: { write: ['.'] }
  }))
  await writeFile(join(pkg, 'bin', 'memory'), `#!/bin/sh\nMEMORY_FILE_PATH="$PWD/memory.jsonl" exec "${process.execPath}" "${MEMORY_SERVER}"\n`)
  await chmod(join(pkg, 'bin', 'memory'), 0o755)
  return pkg
}

/** A graph of one entity, as server-memory keeps it (a JSON line per entity). */
async function seedGraph (file: string, name: string, observation: string): Promise<{ entities: unknown[], relations: unknown[] }> {
  const entity = { name, entityType: 'test', observations: [observation] }
  await mkdir(join(file, '..'), { recursive: true })
  await writeFile(file, `${JSON.stringify({ type: 'entity', ...entity })}\n`)
  return { entities: [entity], relations: [] }
}

describe('plugins end to end (real node processes, the generated model, the real CLI)', function () {
  this.timeout(300_000)

  describe('on one node with every role', () => {
    let dir: { path: string, remove: () => Promise<void> }
    let work: { path: string, remove: () => Promise<void> }
    let node: NodeProcess
    const admin = async (...args: string[]): Promise<CliResult> => await runCli(['admin', ...args, '--admin-addr', node.admin, '--data-dir', dir.path], { timeout: CLI_MS })
    const alice = async (command: 'agent' | 'chat', ...args: string[]): Promise<CliResult> => await runCli([command, ...args, '--addr', node.grpc, '--user', 'alice', '--data-dir', dir.path], { timeout: CLI_MS })
    const history = async (room: string): Promise<ChatRow[]> => JSON.parse(ok(await alice('chat', 'history', '--room', room, '--json'), 'chat history')) as ChatRow[]
    const send = async (room: string, text: string): Promise<number> => (JSON.parse(ok(await alice('chat', 'send', '--room', room, text, '--json'), `chat send ${text}`)) as { seq: number }).seq
    const turns = async (): Promise<WireTurn[]> => JSON.parse(ok(await alice('agent', 'history', '--json', '--limit', '200'), 'agent history')) as WireTurn[]
    const agentTools = async (): Promise<string[]> => (JSON.parse(ok(await alice('agent', 'tools', '--json'), 'agent tools')) as { tools: Array<{ name: string }> }).tools.map((t) => t.name)
    const plugin = async (name: string): Promise<PluginShown> => JSON.parse(ok(await admin('plugins', 'show', name, '--json'), 'plugins show')) as PluginShown
    /** Alice turns off every tool of `tool`'s source for her agent but `tool`: server-memory's nine
     * tools' descriptions do not fit in the test model's context (2,048 tokens, a byte each). The
     * source's tools her agent has then. */
    const onlyOne = async (tool: string): Promise<string[]> => {
      const source = tool.slice(0, tool.indexOf('__') + 2)
      const switched = JSON.parse(ok(await alice('agent', 'tools', '--disable', `${source}*`, '--enable', tool, '--json'), 'agent tools --disable --enable')) as { tools: Array<{ name: string }> }
      return switched.tools.map((t) => t.name).filter((name) => name.startsWith(source))
    }
    /** The node's rooms see `what` among the plugins' commands and hooks (its log says each change). */
    const roomsSee = async (what: RegExp): Promise<void> => {
      await node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('rooms here see') && what.test(l.msg), `rooms to see ${what.source}`, SETTLE_MS)
    }

    before(async () => {
      dir = await tempDir()
      work = await tempDir()
      node = await startNodeProcess(dir.path, INFERENCE)
      ok(await admin('users', 'add', 'alice'), 'users add')
    })
    after(async () => {
      await node?.stop()
      await dir?.remove()
      await work?.remove()
    })

    it('should install the clock example, run it on the node, and have alice\'s agent call the tool she forces, the call and its result streamed and in her history', async () => {
      const installed = ok(await admin('plugins', 'install', await exampleDir('clock')), 'plugins install')
      expect(installed).to.match(/^installed clock 1\.0\.0 \(sha256 [0-9a-f]{64}, .+\)\npermissions: none beyond reading its own package\nclock runs 1\.0\.0 on 1 of 1 plugins-role member\n$/)
      ok(await admin('users', 'tools', 'alice', '--grant', 'clock__*'), 'users tools --grant')
      const offered = CLOCK_TOOLS.map((t) => ({ name: `clock__${t.name}`, description: t.description })).sort((a, b) => a.name.localeCompare(b.name))
      expect(JSON.parse(ok(await alice('agent', 'tools', '--json'), 'agent tools')).tools).to.deep.equal(offered)
      const asked = ok(await alice('agent', 'ask', '--tool', 'clock__add_days', 'what day is it in a week?'), 'agent ask --tool')
      checkAddDays(asked)
      const { args, result, failed } = forcedLines(asked, 'clock__add_days')
      const exchange = lastAsk(await turns(), 'what day is it in a week?')
      expect(exchange[1]).to.deep.include({ role: 'assistant', stopReason: 'tool-calls' })
      expect(exchange[1]?.toolCalls?.[0]?.name).to.equal('clock__add_days')
      expect(JSON.parse(exchange[1]?.toolCalls?.[0]?.arguments ?? '')).to.deep.equal(args)
      expect(exchange[2]).to.deep.include({ role: 'tool', toolName: 'clock__add_days', isError: failed, content: result })
      const answer = exchange.at(-1)
      expect(answer?.role).to.equal('assistant')
      expect(['eos', 'max-tokens']).to.include(answer?.stopReason)
      const shown = (await plugin('clock')).nodes
      expect(shown.map((n) => [n.version, n.state])).to.deep.equal([['1.0.0', 'running']])
      expect(shown[0]?.calls, 'the call was answered by the plugin on the node').to.be.at.least(1)
    })

    it('should refuse to force a tool alice may not use, her history unchanged', async () => {
      const before = await turns()
      const denied = await alice('agent', 'ask', '--tool', 'clock__later', 'when?')
      expect(denied.code).to.equal(1)
      expect(denied.stderr).to.match(/alice may not call clock__later: it is not among the tools your agent may use now/)
      expect(await turns()).to.deep.equal(before)
    })

    it('should run the moderation example in rooms: a post refused and one allowed before they are stored, each stored post seen after with its seq, /modstats answered as moderation[bot]', async () => {
      const folder = join(dir.path, 'plugins-data', 'moderation')
      await mkdir(folder, { recursive: true })
      await writeFile(join(folder, 'words.txt'), '# refused in posts\nforbidden\n')
      // its hook's budget as long as a manifest may set, failing closed: on a busy machine a late
      // answer must neither let the refused post through nor pass for a verdict
      const copy = await exampleDir('moderation', { manifest: { beforePost: { budgetMs: 2_000, onFailure: 'refuse' } } }, work.path)
      ok(await admin('plugins', 'install', copy), 'plugins install moderation')
      await roomsSee(/moderation \(\/modstats, before-post, after-post\)/)
      const hello = await send('lobby', 'hello')
      const before = await history('lobby')
      const refused = await alice('chat', 'send', '--room', 'lobby', 'this is forbidden')
      expect(refused.code).to.equal(1)
      expect(refused.stderr).to.include('post refused by plugin moderation: "forbidden" is on this cluster\'s list of words not allowed in posts')
      expect(await history('lobby')).to.deep.equal(before)
      const fine = await send('lobby', 'this is fine')
      expect(fine, 'the refused post took no seq').to.equal(hello + 1)
      // the after-post hook got each stored post with its seq: the plugin's counts say so
      const counts = join(folder, 'counts', 'lobby.json')
      const counted = async (): Promise<{ posts: number, lastSeq: number } | undefined> => await readFile(counts, 'utf8').then((t) => JSON.parse(t) as { posts: number, lastSeq: number }, () => undefined)
      await waitFor(async () => (await counted())?.lastSeq === fine, 'the after-post hook to count "this is fine"', { timeout: SETTLE_MS, interval: 100 })
      expect(await counted()).to.deep.include({ posts: 2, lastSeq: fine })
      const command = await send('lobby', '/modstats')
      let rows: ChatRow[] = []
      await waitFor(async () => (rows = await history('lobby')).some((m) => m.user === 'moderation[bot]'), 'moderation[bot] to answer', { timeout: SETTLE_MS, interval: 250 })
      expect(rows.map((m) => [m.seq, m.user, m.text]).slice(0, 3)).to.deep.equal([[hello, 'alice', 'hello'], [fine, 'alice', 'this is fine'], [command, 'alice', '/modstats']])
      expect(rows.slice(3).map((m) => [m.seq, m.user]), 'the answer right after the command').to.deep.equal([[command + 1, 'moderation[bot]']])
      const stats = /^lobby: (\d+) posts counted \(last seq (\d+)\); 1 refused since moderation started; 1 words on the list$/.exec(rows[3]?.text ?? '')
      expect(stats, rows[3]?.text).to.not.equal(null)
      // the command's own post may or may not be counted yet when it is answered
      expect([[2, fine], [3, command]]).to.deep.include([Number(stats?.[1]), Number(stats?.[2])])
    })

    it('should run @modelcontextprotocol/server-memory unchanged as a plugin, its graph in its data folder, and have an agent call its tool', async () => {
      const graph = await seedGraph(join(dir.path, 'plugins-data', 'memory', 'memory.jsonl'), 'plexi', 'runs plugins')
      expect(ok(await admin('plugins', 'install', await memoryPackage(work.path)), 'plugins install memory')).to.match(/\nmemory runs 1\.0\.0 on 1 of 1 plugins-role member\n$/)
      ok(await admin('users', 'tools', 'alice', '--grant', 'memory__*'), 'users tools --grant')
      expect(await agentTools()).to.include.members(['memory__create_entities', 'memory__read_graph', 'memory__search_nodes'])
      expect(await onlyOne('memory__read_graph')).to.deep.equal(['memory__read_graph'])
      const { result, failed } = forcedLines(ok(await alice('agent', 'ask', '--tool', 'memory__read_graph', 'what is plexi?'), 'agent ask --tool'), 'memory__read_graph')
      expect(failed).to.equal(false)
      expect(JSON.parse(result)).to.deep.equal(graph)
      expect(lastAsk(await turns(), 'what is plexi?')[2]).to.deep.include({ role: 'tool', toolName: 'memory__read_graph', isError: false })
    })

    it('should use an MCP server registered for the cluster (server-memory as a stdio command) as a tool source for agents', async () => {
      const file = join(work.path, 'mem.jsonl')
      const graph = await seedGraph(file, 'alice', 'likes dice')
      const added = ok(await admin('mcp-servers', 'add', 'mem', '--command', process.execPath, '--arg', MEMORY_SERVER, '--env', `MEMORY_FILE_PATH=${file}`, '--description', 'a knowledge graph'), 'mcp-servers add')
      expect(added.split('\n')).to.have.length(3)
      expect(added.split('\n')[0]).to.equal(`registered mem (stdio: ${process.execPath} ${MEMORY_SERVER}; env MEMORY_FILE_PATH)`)
      expect(added.split('\n')[1]).to.match(/^mem is connected on 1 of 1 plugins-role member \(\d+ tools\)$/)
      ok(await admin('users', 'tools', 'alice', '--grant', 'mem__*'), 'users tools --grant')
      expect(await onlyOne('mem__read_graph')).to.deep.equal(['mem__read_graph'])
      const { result, failed } = forcedLines(ok(await alice('agent', 'ask', '--tool', 'mem__read_graph', 'what do you remember?'), 'agent ask --tool'), 'mem__read_graph')
      expect(failed).to.equal(false)
      expect(JSON.parse(result)).to.deep.equal(graph)
      expect(lastAsk(await turns(), 'what do you remember?')[2]).to.deep.include({ role: 'tool', toolName: 'mem__read_graph', isError: false })
    })

    it('should disable, enable and remove a plugin on the node, its tools leaving and coming back, each step audited', async () => {
      const clockTools = async (): Promise<string[]> => (await agentTools()).filter((t) => t.startsWith('clock__'))
      expect(ok(await admin('plugins', 'disable', 'clock'), 'plugins disable')).to.equal('clock is disabled\nclock stopped on 1 of 1 plugins-role member\n')
      await waitFor(async () => (await clockTools()).length === 0, 'clock\'s tools to leave alice\'s agent', { timeout: SETTLE_MS, interval: 250 })
      expect(ok(await admin('plugins', 'enable', 'clock'), 'plugins enable')).to.equal('clock is enabled (1.0.0)\nclock runs 1.0.0 on 1 of 1 plugins-role member\n')
      await waitFor(async () => (await clockTools()).length === 2, 'clock\'s tools to come back', { timeout: SETTLE_MS, interval: 250 })
      expect(ok(await admin('plugins', 'rm', 'clock'), 'plugins rm')).to.equal('removed clock (1.0.0)\n')
      await waitFor(() => !existsSync(join(dir.path, 'plugins', 'clock')), 'the node to remove clock\'s folder', { timeout: SETTLE_MS, interval: 100 })
      expect(await clockTools()).to.deep.equal([])
      expect((await admin('plugins', 'show', 'clock')).code).to.equal(1)
      const records = JSON.parse(ok(await admin('audit', 'ls', '--json', '--limit', '1000'), 'audit')) as Array<{ action: string, target: string, outcome: string, detail: string }>
      const trail = records.filter((r) => /^\/api\/v1\/(plugins|mcp-servers)/.test(r.target))
      expect(trail.map((r) => [r.action, r.target, r.outcome])).to.deep.equal([
        ['POST /api/v1/plugins', '/api/v1/plugins', 'ok'],
        ['POST /api/v1/plugins', '/api/v1/plugins', 'ok'],
        ['POST /api/v1/plugins', '/api/v1/plugins', 'ok'],
        ['POST /api/v1/mcp-servers', '/api/v1/mcp-servers', 'ok'],
        ['POST /api/v1/plugins/:name/disable', '/api/v1/plugins/clock/disable', 'ok'],
        ['POST /api/v1/plugins/:name/enable', '/api/v1/plugins/clock/enable', 'ok'],
        ['DELETE /api/v1/plugins/:name', '/api/v1/plugins/clock', 'ok']
      ])
      expect(trail.slice(0, 3).map((r) => /^installed (\S+ \S+) \(sha256 [0-9a-f]{64}\)/.exec(r.detail)?.[1])).to.deep.equal(['clock 1.0.0', 'moderation 1.0.0', 'memory 1.0.0'])
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
      expect(ok(await admin('plugins', 'install', await exampleDir('clock')), 'plugins install')).to.match(/\nclock runs 1\.0\.0 on 2 of 2 plugins-role members\n$/)
      const shown = JSON.parse(ok(await admin('plugins', 'show', 'clock', '--json'), 'plugins show')) as PluginShown
      expect(shown.nodes.map((n) => [n.node, n.version, n.state]).sort()).to.deep.equal([[a.peerId, '1.0.0', 'running'], [b.peerId, '1.0.0', 'running']].sort())
      ok(await admin('users', 'tools', 'alice', '--grant', 'clock__*'), 'users tools --grant')
      // the member records say where clock runs: the agent's node offers it once it has heard
      await waitFor(async () => (JSON.parse(ok(await agent('tools', '--json'), 'agent tools')) as { tools: Array<{ name: string }> }).tools.some((t) => t.name === 'clock__add_days'),
        'the agent\'s node to offer clock__add_days', { timeout: SETTLE_MS, interval: 500 })
      checkAddDays(ok(await agent('ask', '--tool', 'clock__add_days', 'what day is it in a week?'), 'agent ask --tool'))
      const after = JSON.parse(ok(await admin('plugins', 'show', 'clock', '--json'), 'plugins show')) as PluginShown
      expect(after.nodes.reduce((sum, n) => sum + (n.calls ?? 0), 0), 'the call was made on a member that runs clock').to.be.at.least(1)
      expect(after.nodes.map((n) => n.node)).to.not.include(c.peerId)
    })
  })
})
