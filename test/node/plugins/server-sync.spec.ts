import { expect } from 'chai'
import { fileURLToPath } from 'node:url'
import { ServerSync } from '../../../node/plugins/server-sync.ts'
import type { McpServerRegistration } from '../../../protocols/index.ts'
import { keptLog } from '../../helpers/node-parts-fixture.ts'
import { testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'

const MEMORY_SERVER = fileURLToPath(new URL('../../../node_modules/@modelcontextprotocol/server-memory/dist/index.js', import.meta.url))

describe('server sync', () => {
  let t: TestHost
  let registered: McpServerRegistration[]
  let serves: boolean
  let sync: ServerSync
  let lines: Array<{ level: number, msg: string }>

  beforeEach(async () => {
    t = await testHost()
    registered = []
    serves = true
    const kept = keptLog()
    lines = kept.lines
    sync = new ServerSync({ host: t.host, registrations: async () => registered, serves: () => serves, failures: t.failures, log: kept.log })
  })
  afterEach(async () => { await sync.stop(); await t.close() })

  const memory = (description = 'graph'): McpServerRegistration => ({ name: 'memory', description, transport: { kind: 'stdio', command: process.execPath, args: [MEMORY_SERVER], env: { MEMORY_FILE_PATH: `${t.dataDir}/graph.jsonl` } } })
  const connected = () => t.host.servers().map((s) => [s.name, s.state, s.pid])

  it('should connect what is registered, reconnect what changed, and drop what was removed', async () => {
    registered = [memory()]
    await sync.sync()
    const [first] = connected()
    expect(first?.slice(0, 2)).to.deep.equal(['memory', 'up'])
    await sync.sync()
    expect(connected()).to.deep.equal([first])
    registered = [memory('a graph, renamed')]
    await sync.sync()
    expect(connected()[0]?.[2]).to.not.equal(first?.[2])
    registered = []
    await sync.sync()
    expect(connected()).to.deep.equal([])
  })

  it('should try a server that fails again only after its wait, saying so once', async () => {
    registered = [{ name: 'broken', description: '', transport: { kind: 'stdio', command: '/no/such/server' } }]
    await sync.sync()
    await sync.sync()
    expect(connected()).to.deep.equal([])
    const said = lines.filter((l) => /MCP server broken could not be connected/.test(l.msg))
    expect(said.map((l) => l.level)).to.deep.equal([40])
    expect(said[0]?.msg).to.match(/trying again in 2000 ms/)
    const [failing] = sync.failing()
    expect(failing).to.deep.include({ name: 'broken', streak: 1 })
    expect(failing?.error).to.be.a('string').and.not.equal('')
    expect(failing?.retryAt).to.be.greaterThan(Date.now())
    registered = []
    await sync.sync()
    expect(sync.failing(), 'a server removed is no longer failing').to.deep.equal([])
  })

  it('should drop every server when the node no longer holds the plugins role', async () => {
    registered = [memory()]
    await sync.sync()
    serves = false
    await sync.sync()
    expect(connected()).to.deep.equal([])
  })
})
