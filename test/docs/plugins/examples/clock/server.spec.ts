import { expect } from 'chai'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { packPluginDir } from '../../../../../cli/plugin-pack.ts'
import { CLOCK_TOOLS } from '../../../../../docs/plugins/examples/clock/clock-tools.ts'
import { packageDigest } from '../../../../../node/plugin-registry/index.ts'
import type { RunningSource } from '../../../../../node/plugins/index.ts'
import type { ToolResult } from '../../../../../protocols/index.ts'
import { exampleDir, installOnNode } from '../../../../helpers/example-plugins.ts'
import { startPartsUpTo } from '../../../../helpers/node-parts-fixture.ts'
import type { StartedParts } from '../../../../helpers/node-parts-fixture.ts'
import { probeSandbox, sandboxOf } from '../../../../helpers/sandbox-probe.ts'
import { rejection } from '../../../../helpers/thrown.ts'

describe('the clock example plugin on a node', function () {
  this.timeout(120_000)
  let node: StartedParts
  let running: RunningSource
  let digest: string
  before(async () => {
    node = await startPartsUpTo('plugin-registry', { flags: { role: 'chat,storage,plugins' } })
    const bytes = await packPluginDir(await exampleDir('clock'))
    const done = await installOnNode(node.c, bytes)
    running = done.running
    digest = done.installed.digest
    expect(done.installed).to.include({ version: '1.0.0', installed: true })
    expect(done.installed.plugin.permissions, 'no permission asked').to.deep.equal({})
    await node.c.get('toolPolicy').grant('alice', ['clock__*'])
  })
  after(async () => { await node?.stop() })

  const call = async (user: string, name: string, args: Record<string, unknown>): Promise<ToolResult> =>
    await node.c.get('tools').call(user, { id: `c-${name}`, name, arguments: args }, { deadlineMs: 5_000 })

  it('should pack to the same bytes every time (installing it again changes nothing)', async () => {
    const again = await packPluginDir(await exampleDir('clock'))
    expect(packageDigest(again)).to.equal(digest)
    expect((await node.c.get('pluginRegistry').install(again, 'admin')).installed).to.equal(false)
  })

  it('should offer its two tools, qualified by the plugin\'s name, to a user granted them and to no one else', async () => {
    const tools = node.c.get('tools')
    const offered = await tools.tools('alice')
    expect(offered.map((t) => [t.name, t.tool, t.source])).to.deep.equal([
      ['clock__add_days', 'add_days', { kind: 'plugin', name: 'clock' }],
      ['clock__now', 'now', { kind: 'plugin', name: 'clock' }]
    ])
    expect(offered.find((t) => t.tool === 'add_days')?.inputSchema).to.deep.equal(CLOCK_TOOLS[1]?.inputSchema)
    expect(await tools.tools('bob')).to.deep.equal([])
    expect((await rejection(() => call('bob', 'clock__now', {}))).name).to.equal('ToolDeniedError')
  })

  it('should answer now in UTC and in a time zone, and add days, as an agent\'s calls get them', async () => {
    const before = Date.now()
    const utc = await call('alice', 'clock__now', {})
    const after = Date.now()
    expect(utc.isError).to.equal(false)
    const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) \+00:00 \(\w+day\) in UTC; (\S+) in UTC$/.exec(utc.text)
    expect(m, utc.text).to.not.equal(null)
    const at = Date.parse(m?.[2] as string)
    expect(at).to.be.within(before, after)
    const tokyo = await call('alice', 'clock__now', { timeZone: 'Asia/Tokyo' })
    const instant = new Date(Date.parse(/; (\S+) in UTC$/.exec(tokyo.text)?.[1] as string))
    const local = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Tokyo', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(instant)
    expect(tokyo.text.startsWith(`${local} +09:00 (`), tokyo.text).to.equal(true)
    expect(await call('alice', 'clock__add_days', { date: '2024-02-28', days: 1 })).to.deep.equal({ callId: 'c-clock__add_days', isError: false, text: '2024-02-29 (Thursday)' })
    expect(await call('alice', 'clock__add_days', { date: '2025-01-01', days: -1 })).to.include({ text: '2024-12-31 (Tuesday)' })
  })

  it('should answer a bad argument as the tool\'s error, which the model reads, the plugin still up', async () => {
    const zone = await call('alice', 'clock__now', { timeZone: 'Mars/Olympus_Mons' })
    expect(zone.isError).to.equal(true)
    expect(zone.text).to.match(/not a time zone this clock knows/)
    expect(await call('alice', 'clock__add_days', { date: '2025-02-30', days: 1 })).to.include({ isError: true, text: 'date: 2025-02-30 is not a day of the calendar' })
    expect(await call('alice', 'clock__add_days', { date: '2025-02-01', days: 0.5 })).to.include({ isError: true })
    expect(node.c.get('pluginHost')?.running().find((r) => r.name === 'clock')).to.include({ state: 'up', crashes: 0, restarts: 0 })
  })

  it('should run it in a sandbox that denies what it did not ask for: files beyond its package, writing, processes, addons, workers, WASI, the inspector, the environment, the network', async () => {
    const dataDir = node.c.get('config').dataDir
    const sandbox = sandboxOf(running.pid as number)
    expect(sandbox.cwd).to.equal(join(dataDir, 'plugins-data', 'clock'))
    const flags = sandbox.argv.slice(1, sandbox.argv.indexOf('--'))
    expect(flags).to.deep.equal(['--permission', `--allow-fs-read=${join(dataDir, 'plugins', 'clock', '1.0.0')}`, '--max-old-space-size=256'])
    expect(sandbox.env, 'no variable of the node\'s').to.deep.equal({})
    await mkdir(join(dataDir, 'plugins-data', 'other'), { recursive: true })
    const probe = await probeSandbox(sandbox, `
      ownPackage: () => fs.readFileSync(${JSON.stringify(join(dataDir, 'plugins', 'clock', '1.0.0', 'plexi-plugin.json'))}),
      nodeDataDir: () => fs.readdirSync(${JSON.stringify(dataDir)}),
      otherPlugin: () => fs.readdirSync(${JSON.stringify(join(dataDir, 'plugins-data', 'other'))}),
      ownFolder: () => fs.writeFileSync('note.txt', 'x'),
      tmp: () => fs.writeFileSync('/tmp/plexi-clock-probe', 'x'),
      spawn: () => cp.execFileSync('/bin/true'),
      addon: () => process.dlopen({ exports: {} }, '/nonexistent.node'),
      worker: () => new Worker('1', { eval: true }),
      wasi: () => new (require('node:wasi').WASI)({ version: 'preview1' }),
      inspector: () => require('node:inspector').open(0, '127.0.0.1')`)
    expect(probe).to.deep.equal({
      ownPackage: 'ok',
      nodeDataDir: 'ERR_ACCESS_DENIED',
      otherPlugin: 'ERR_ACCESS_DENIED',
      ownFolder: 'ERR_ACCESS_DENIED',
      tmp: 'ERR_ACCESS_DENIED',
      spawn: 'ERR_ACCESS_DENIED',
      addon: 'ERR_DLOPEN_DISABLED',
      worker: 'ERR_ACCESS_DENIED',
      wasi: 'ERR_ACCESS_DENIED',
      inspector: 'ERR_ACCESS_DENIED'
    })
    // the network: a namespace of its own where this machine lets the node make one (the host says)
    const own = sandboxOf(process.pid).netns
    if (running.offline) expect(sandbox.netns).to.not.equal(own)
    else expect(node.lines.some((l) => /every plugin can open sockets/.test(l.msg)), 'the node said the network is not denied').to.equal(true)
  })
})
