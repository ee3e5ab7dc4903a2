import { expect } from 'chai'
import { realpath } from 'node:fs/promises'
import { PluginTimeoutError, PluginUnavailableError } from '../../../node/plugins/index.ts'
import { PluginProcess } from '../../../node/plugins/plugin-process.ts'
import { pluginPlan } from '../../../node/plugins/plugin-sandbox.ts'
import { SourceConnection } from '../../../node/plugins/source-connection.ts'
import { PROBE_DIR, probeManifest } from '../../helpers/plugin-fixture.ts'
import { keptLog } from '../../helpers/node-parts-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { rejection } from '../../helpers/thrown.ts'

describe('source connection', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let proc: PluginProcess
  let conn: SourceConnection

  const open = async (entry = 'probe.mjs'): Promise<void> => {
    const plan = pluginPlan({ manifest: probeManifest({}, {}, entry), packageDir: await realpath(PROBE_DIR), dataFolder: dir.path, isolation: { available: false, why: 'not needed' } })
    proc = new PluginProcess(plan)
    conn = await SourceConnection.open(proc, { source: { kind: 'plugin', name: 'probe' }, log: keptLog().log, startTimeoutMs: 5_000 })
  }

  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await conn?.close().catch(() => undefined)
    await proc?.close()
    await dir.remove()
  })

  it('should read the capability and the tools at initialize', async () => {
    await open()
    expect(conn.capability).to.deep.equal({ api: '1.0.0', commands: [{ name: 'echo', description: 'says it back' }], hooks: { beforePost: true, afterPost: true } })
    expect(conn.tools.map((t) => t.name)).to.include.members(['probe__echo', 'probe__read', 'probe__hang'])
  })

  it('should turn every answer of a tool into a ToolResult', async () => {
    await open()
    const call = (args = {}) => ({ id: 'c', name: 'probe__x', arguments: args })
    expect(await conn.callTool(call({ text: 'a' }), 'echo', 1_000)).to.deep.equal({ callId: 'c', isError: false, text: 'a' })
    expect(await conn.callTool(call(), 'image', 1_000)).to.deep.equal({ callId: 'c', isError: false, text: '[image image/png, 6 bytes]\n\nand text' })
    expect(await conn.callTool(call(), 'fail', 1_000)).to.deep.equal({ callId: 'c', isError: true, text: 'the tool failed on purpose' })
    // the plugin answers a JSON-RPC error: the tool could not run
    expect(await conn.callTool(call(), 'nope', 1_000)).to.deep.equal({ callId: 'c', isError: true, text: 'probe could not run nope: no tool nope' })
    expect((await conn.callTool(call({ bytes: 200_000 }), 'big', 5_000)).text).to.match(/more bytes cut\]$/)
  })

  it('should fail a call past its deadline, or one its caller aborts, with the reason', async () => {
    await open()
    const late = await rejection(() => conn.callTool({ id: 'c', name: 'probe__sleep', arguments: { ms: 5_000 } }, 'sleep', 100))
    expect(late).to.be.instanceOf(PluginTimeoutError)
    expect(late.message).to.equal('plugin probe did not answer the call of sleep within 100 ms')
    // an answer that is not a JSON-RPC result never settles the call: its deadline does
    expect(await rejection(() => conn.callTool({ id: 'c', name: 'probe__malformed', arguments: {} }, 'malformed', 100))).to.be.instanceOf(PluginTimeoutError)
    const abort = new AbortController()
    const aborted = conn.callTool({ id: 'c', name: 'probe__sleep', arguments: { ms: 5_000 } }, 'sleep', 5_000, abort.signal)
    abort.abort(new Error('the turn was cancelled'))
    expect(await rejection(() => aborted)).to.match(/the turn was cancelled/)
    await conn.ping(1_000)
  })

  it('should send Plexi requests and check their answers', async () => {
    await open()
    expect(await conn.request('plexi/command', { room: 'r', user: 'u', command: 'echo', args: 'a' }, 1_000)).to.deep.equal({ text: 'echo: a' })
    expect(await rejection(() => conn.request('plexi/before-post', { room: 'r', user: 'u', text: 'slow' }, 100))).to.be.instanceOf(PluginTimeoutError)
    await conn.close()
    await proc.close()
    await open('rogue-tools.mjs')
    // a plugin that does not know the method answers an error of its own
    expect(await rejection(() => conn.request('plexi/command', {}, 1_000))).to.match(/failed plexi\/command: method plexi\/command not found/)
  })

  it('should say the plugin is unavailable when its process is gone', async () => {
    await open()
    const pending = conn.callTool({ id: 'c', name: 'probe__sleep', arguments: { ms: 5_000 } }, 'sleep', 5_000)
    proc.kill()
    expect(await rejection(() => pending)).to.be.instanceOf(PluginUnavailableError)
  })
})
