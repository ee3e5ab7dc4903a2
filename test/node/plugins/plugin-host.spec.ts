import { expect } from 'chai'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidPluginRequestError, PluginAlreadyRunningError, PluginNotFoundError } from '../../../node/plugins/index.ts'
import { InvalidPluginManifestError, InvalidToolCallError, checkPluginManifest } from '../../../protocols/index.ts'
import { PROBE_DIR, callText, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** @modelcontextprotocol/server-memory's server, as npm installed it (run unchanged). */
const MEMORY_SERVER = fileURLToPath(new URL('../../../node_modules/@modelcontextprotocol/server-memory/dist/index.js', import.meta.url))

const probe = (version = '1.0.0', permissions = {}) => ({ name: 'probe', version, dir: PROBE_DIR, manifest: probeManifest(permissions, { version }) })

describe('plugin host', () => {
  let t: TestHost

  beforeEach(async () => { t = await testHost() })
  afterEach(async () => { await t.close() })

  it('should start a plugin, list its tools and capability, call it, send it Plexi requests and stop it', async () => {
    const running = await t.host.start(probe())
    expect(running).to.include({ kind: 'plugin', name: 'probe', version: '1.0.0', state: 'up', active: true, restarts: 0, memoryMiB: 256 })
    expect(running.offline).to.equal(t.host.isolation.available)
    expect(running.tools).to.include('probe__echo')
    expect(t.host.tools().find((tool) => tool.name === 'probe__echo')).to.deep.include({ source: { kind: 'plugin', name: 'probe' }, tool: 'echo', inputSchema: { type: 'object' } })
    expect(t.host.capability('probe')?.commands).to.deep.equal([{ name: 'echo', description: 'says it back' }])
    expect(await t.host.call({ id: 'a', name: 'probe__echo', arguments: { text: 'hi' } })).to.deep.equal({ callId: 'a', isError: false, text: 'hi' })
    expect(await t.host.call({ id: 'b', name: 'probe__fail', arguments: {} })).to.deep.equal({ callId: 'b', isError: true, text: 'the tool failed on purpose' })
    expect(await t.host.request('probe', 'plexi/command', { room: 'r', user: 'u', command: 'echo', args: 'x y' }, 1_000)).to.deep.equal({ text: 'echo: x y' })
    expect(await t.host.request('probe', 'plexi/before-post', { room: 'r', user: 'u', text: 'buy spam' }, 1_000)).to.deep.equal({ verdict: 'refuse', reason: 'looks like spam' })
    expect(await t.host.request('probe', 'plexi/after-post', { room: 'r', seq: 1, user: 'u', text: 'x', ts: 1 }, 1_000)).to.deep.equal({})
    expect([...t.host.calls]).to.deep.include.members([['probe\0ok', 4], ['probe\0error', 1]])
    await t.host.stop('probe', '1.0.0')
    expect(t.host.running()).to.deep.equal([])
    expect(t.host.tools()).to.deep.equal([])
    expect(t.host.capability('probe')).to.equal(undefined)
  })

  it('should refuse what is not its to run or call, changing nothing', async () => {
    await t.host.start(probe())
    expect(await rejection(() => t.host.start(probe()))).to.be.instanceOf(PluginAlreadyRunningError)
    expect(await rejection(() => t.host.start({ ...probe('2.0.0'), manifest: probeManifest() }))).to.be.instanceOf(InvalidPluginRequestError)
    expect(await rejection(() => t.host.start({ ...probe('2.0.0'), manifest: { ...probeManifest({}, { version: '2.0.0' }), entry: { node: '../x.mjs' } } }))).to.be.instanceOf(InvalidPluginManifestError)
    expect(await rejection(() => t.host.call({ id: 'a', name: 'nope__echo', arguments: {} }))).to.be.instanceOf(PluginNotFoundError)
    expect(await rejection(() => t.host.call({ id: 'a', name: 'probe__nope', arguments: {} }))).to.be.instanceOf(InvalidToolCallError)
    for (const bad of [null, { id: 'a', name: 'probe__echo', arguments: [] }, { id: '', name: 'probe__echo', arguments: {} }, { id: 'a', name: 'probeecho', arguments: {} }, { id: 'a', name: 'probe__echo', arguments: { t: 'x'.repeat(70_000) } }]) {
      expect(await rejection(() => t.host.call(bad)), JSON.stringify(bad)?.slice(0, 80)).to.be.instanceOf(InvalidToolCallError)
    }
    expect(await rejection(() => t.host.request('probe', 'tools/call', {}, 1_000))).to.be.instanceOf(InvalidPluginRequestError)
    expect(await rejection(() => t.host.request('probe', 'plexi/command', 'x', 1_000))).to.be.instanceOf(InvalidPluginRequestError)
    expect(await rejection(() => t.host.request('nope', 'plexi/command', {}, 1_000))).to.be.instanceOf(PluginNotFoundError)
    expect(await rejection(() => t.host.stop('probe', '9.9.9'))).to.be.instanceOf(PluginNotFoundError)
    expect(t.host.running().map((r) => r.state)).to.deep.equal(['up'])
  })

  it('should route calls to the newest version up while two run (a hot swap), and to the other once one stops', async () => {
    const old = await t.host.start(probe('1.0.0'))
    const oldPid = old.pid
    const inFlight = t.host.call({ id: 's', name: 'probe__sleep', arguments: { ms: 300 } })
    const next = await t.host.start(probe('1.1.0'))
    expect(t.host.running().map((r) => [r.version, r.active])).to.deep.equal([['1.0.0', false], ['1.1.0', true]])
    expect(await callText(t.host, 'probe__pid')).to.deep.equal({ text: String(next.pid), isError: false })
    await t.host.stop('probe', '1.0.0')
    expect((await inFlight).text).to.equal('slept 300')
    expect(String(oldPid)).to.not.equal(String(next.pid))
    expect(t.host.running().map((r) => r.version)).to.deep.equal(['1.1.0'])
  })

  it('should leave out tools that break the rules, keep the others, and log each', async () => {
    await t.host.start({ ...probe(), manifest: probeManifest({}, {}, 'rogue-tools.mjs') })
    const tools = t.host.tools().map((tool) => tool.tool)
    expect(tools[0]).to.equal('good')
    expect(tools).to.have.length(64)
    expect(tools).to.not.include.members(['bad name', 'arrayschema', 'huge'])
    const logged = t.lines.filter((l) => l.level === 40 && /left out/.test(l.msg)).map((l) => l.msg)
    expect(logged.some((m) => /bad name of probe left out: its name is not/.test(m))).to.equal(true)
    expect(logged.some((m) => /longer than an OpenAI function name/.test(m))).to.equal(true)
    expect(logged.some((m) => /arrayschema .* not an object schema/.test(m))).to.equal(true)
    expect(logged.some((m) => /listed twice/.test(m))).to.equal(true)
    expect(logged.some((m) => /huge .* over 16384/.test(m))).to.equal(true)
  })

  it('should read the tools again when a plugin says they changed', async () => {
    await t.host.start(probe())
    expect(t.host.tools().some((tool) => tool.name === 'probe__added')).to.equal(false)
    await callText(t.host, 'probe__change')
    await waitFor(() => t.host.tools().some((tool) => tool.name === 'probe__added'), 'the new tool listed')
    expect(await callText(t.host, 'probe__added')).to.deep.equal({ text: 'new', isError: false })
  })

  it('should keep a plugin\'s stderr for its logs', async () => {
    await t.host.start({ ...probe(), manifest: probeManifest({ childProcess: true }) })
    // Node warns on stderr that --allow-child-process weakens the permission model
    expect(t.host.logs('probe').join('\n')).to.match(/allow-child-process/)
    expect(() => t.host.logs('nope')).to.throw(PluginNotFoundError)
  })

  it('should say at start when plugins cannot be kept off the network', async () => {
    const other = await testHost({ isolation: { available: false, why: 'no unshare here' } })
    try {
      expect(other.lines.some((l) => l.level === 40 && /every plugin can open sockets: no unshare here/.test(l.msg))).to.equal(true)
      expect((await other.host.start(probe())).offline).to.equal(false)
    } finally {
      await other.close()
    }
  })

  describe('@modelcontextprotocol/server-memory, unchanged', () => {
    it('should run as a plugin with a command entry and answer its tools', async () => {
      const pkg = await tempDir()
      try {
        await mkdir(join(pkg.path, 'bin'))
        // the package's entry: the server as npm installed it, its graph in the plugin's folder
        await writeFile(join(pkg.path, 'bin', 'memory'), `#!/bin/sh\nMEMORY_FILE_PATH="$PWD/memory.jsonl" exec "${process.execPath}" "${MEMORY_SERVER}"\n`)
        await chmod(join(pkg.path, 'bin', 'memory'), 0o755)
        const manifest = checkPluginManifest({ name: 'memory', version: '2026.8.31', description: 'a knowledge graph', plexi: '^1.0.0', entry: { command: 'bin/memory' }, permissions: { write: ['.'] } }, { packageDir: pkg.path })
        const running = await t.host.start({ name: 'memory', version: '2026.8.31', dir: pkg.path, manifest })
        expect(running.tools).to.include.members(['memory__create_entities', 'memory__read_graph', 'memory__search_nodes'])
        expect(running.capability).to.equal(undefined)
        const created = await t.host.call({ id: '1', name: 'memory__create_entities', arguments: { entities: [{ name: 'plexi', entityType: 'project', observations: ['runs plugins'] }] } })
        expect(created.isError).to.equal(false)
        const found = await t.host.call({ id: '2', name: 'memory__search_nodes', arguments: { query: 'plexi' } })
        expect(found.text).to.include('runs plugins')
        expect(await readFile(join(t.dataDir, 'plugins-data', 'memory', 'memory.jsonl'), 'utf8')).to.include('runs plugins')
      } finally {
        await pkg.remove()
      }
    })

    it('should run as a registered stdio server, isolated the same way', async () => {
      const graph = join(t.dataDir, 'graph.jsonl')
      const server = await t.host.addServer({ name: 'memory', description: 'a knowledge graph', transport: { kind: 'stdio', command: process.execPath, args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: graph } } })
      expect(server).to.include({ kind: 'server', name: 'memory', version: '', state: 'up', offline: t.host.isolation.available })
      expect(t.host.servers().map((s) => s.name)).to.deep.equal(['memory'])
      expect(t.host.running()).to.deep.equal([])
      expect(t.host.tools().find((tool) => tool.name === 'memory__read_graph')?.source).to.deep.equal({ kind: 'server', name: 'memory' })
      await t.host.call({ id: '1', name: 'memory__create_entities', arguments: { entities: [{ name: 'node', entityType: 'thing', observations: ['remembered'] }] } })
      expect((await t.host.call({ id: '2', name: 'memory__read_graph', arguments: {} })).text).to.include('remembered')
      expect(await rejection(() => t.host.start({ ...probe(), name: 'memory', manifest: probeManifest({}, { name: 'memory' }) }))).to.be.instanceOf(PluginAlreadyRunningError)
      await t.host.removeServer('memory')
      expect(t.host.servers()).to.deep.equal([])
      expect(await rejection(() => t.host.removeServer('memory'))).to.be.instanceOf(PluginNotFoundError)
    })
  })
})
