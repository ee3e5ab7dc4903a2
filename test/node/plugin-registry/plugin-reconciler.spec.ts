import { expect } from 'chai'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { PluginEntry } from '../../../actors/index.ts'
import type { PluginManifest } from '../../../protocols/plugins/index.ts'
import { lonePlugins } from '../../helpers/lone-plugins.ts'
import type { LonePlugins } from '../../helpers/lone-plugins.ts'
import { useLocalEntities } from '../../helpers/local-entities.ts'
import { pluginPackage, testManifest } from '../../helpers/plugin-packages.ts'
import { tempDir } from '../../helpers/temp-dir.ts'
import { waitFor } from '../../helpers/wait-for.ts'

/** How long a plugin process may take to come up on a busy 2-core machine. */
const UP_MS = 20_000

describe('PluginReconciler: what a plugins-role member runs follows the catalog (real plugin processes, real LevelDB journal)', function () {
  this.timeout(60_000)
  const node = useLocalEntities()
  let dir: { path: string, remove: () => Promise<void> }
  let p: LonePlugins
  beforeEach(async () => {
    dir = await tempDir()
    p = lonePlugins(node.system, dir.path)
  })
  afterEach(async () => {
    await p.close()
    await dir.remove()
  })

  const install = async (version: string, extra: Parameters<typeof pluginPackage>[1] = {}): Promise<void> => {
    await p.registry.install(await pluginPackage(dir.path, { version, ...extra }), 'admin')
  }
  const member = async (): Promise<PluginEntry['members'][string] | undefined> => (await p.catalog.get('clock')).members[node.system.node]
  const settled = async (what: string, check: () => boolean | Promise<boolean>): Promise<void> => {
    await waitFor(async () => {
      await p.reconciler.reconcile()
      return await check()
    }, what, { timeout: UP_MS, interval: 20 })
  }

  it('should fetch, check, unpack and start an installed plugin, report it running, and keep its stderr', async () => {
    await install('1.0.0')
    await p.reconciler.reconcile()
    expect(await p.launcher.call('clock', 'echo', { text: 'hi' })).to.equal('1.0.0:hi')
    expect(existsSync(join(dir.path, 'plugins', 'clock', '1.0.0', 'server.mjs'))).to.equal(true)
    expect(await member()).to.deep.include({ version: '1.0.0', state: 'running', restarts: 0, error: null })
    await waitFor(() => p.launcher.logs('clock').includes('call echo'), 'the call\'s stderr line')
    expect(p.launcher.logs('clock', '1.0.0')[0]).to.equal('clock 1.0.0 up')
    expect(p.calls.of('clock')).to.deep.include({ calls: 1, errors: 0 })
    expect(p.reconciler.stats).to.deep.include({ starts: 1, failedStarts: 0 })
  })

  it('should upgrade and roll back with calls going on all the while: the new version starts beside the old, the old drains, 0 calls fail', async () => {
    await install('1.0.0')
    await p.reconciler.reconcile()
    await install('1.1.0')
    const answers: string[] = []
    const failures: unknown[] = []
    let stop = false
    // four callers in a loop, one of them holding slow calls open across each swap
    const callers = [0, 1, 2, 3].map(async (n) => {
      for (let i = 0; !stop && i < 100_000; i++) {
        try {
          answers.push(n === 3 ? await p.launcher.call('clock', 'slow', { ms: 150 }) : await p.launcher.call('clock', 'echo', { text: `${n}-${i}` }))
        } catch (err) {
          failures.push(err)
        }
      }
    })
    try {
      await waitFor(() => answers.length > 20, 'calls on 1.0.0', { timeout: UP_MS })
      await p.registry.upgrade('clock', '1.1.0')
      await settled('calls answered by 1.1.0', () => answers.slice(-8).every((a) => a.startsWith('1.1.0:') || a.startsWith('slept')))
      expect(p.launcher.running().map((r) => r.version)).to.deep.equal(['1.1.0'])
      await p.registry.rollback('clock')
      await settled('calls answered by 1.0.0 again', () => answers.slice(-8).every((a) => a.startsWith('1.0.0:') || a.startsWith('slept')))
    } finally {
      stop = true
      await Promise.all(callers)
    }
    expect(failures, 'failed calls').to.deep.equal([])
    // each swap: the new one was up before the old one was stopped
    expect(p.launcher.events).to.deep.equal(['start clock 1.0.0', 'start clock 1.1.0', 'stop clock 1.0.0', 'start clock 1.0.0', 'stop clock 1.1.0'])
    expect(p.reconciler.stats.swaps).to.equal(2)
    expect(answers.some((a) => a.startsWith('1.1.0:'))).to.equal(true)
    expect(answers.filter((a) => a.startsWith('slept')).length, 'slow calls held across the swaps').to.be.above(2)
    expect(await member()).to.deep.include({ version: '1.0.0', state: 'running' })
  })

  it('should stop a disabled plugin and start it again once enabled; stop a removed one and remove its folder', async () => {
    await install('1.0.0')
    await p.reconciler.reconcile()
    await p.registry.disable('clock')
    await p.reconciler.reconcile()
    expect(p.launcher.running()).to.deep.equal([])
    expect(await member()).to.deep.include({ version: null, state: 'stopped' })
    await p.registry.enable('clock')
    await p.reconciler.reconcile()
    expect(await p.launcher.call('clock', 'echo', { text: 'back' })).to.equal('1.0.0:back')
    await p.registry.remove('clock')
    await p.reconciler.reconcile()
    expect(p.launcher.running()).to.deep.equal([])
    expect(existsSync(join(dir.path, 'plugins', 'clock'))).to.equal(false)
  })

  it('should keep the old version serving when the new one cannot start, report why, and try again later', async () => {
    await install('1.0.0')
    await p.reconciler.reconcile()
    // 1.1.0's process exits as it starts
    await install('1.1.0', { manifest: { entry: { node: 'broken.mjs' } }, files: { 'broken.mjs': 'process.exit(1)' } })
    await p.registry.upgrade('clock', '1.1.0')
    await p.reconciler.reconcile()
    expect(await p.launcher.call('clock', 'echo', { text: 'still' })).to.equal('1.0.0:still')
    const said = await member()
    expect(said).to.deep.include({ version: '1.0.0', state: 'failed' })
    expect(said?.error).to.be.a('string').and.not.equal('')
    expect(said?.error).to.match(/plugin clock@1\.1\.0 did not start/)
    expect(p.reconciler.failures()).to.deep.include({ name: 'clock', version: '1.1.0', error: said?.error, attempts: 1, retryAt: p.reconciler.failures()[0]?.retryAt })
    expect(p.warnings.some((w) => w.startsWith('plugin clock 1.1.0 could not start here'))).to.equal(true)
    // within its wait it is not tried again
    await p.reconciler.reconcile()
    expect(p.reconciler.stats.failedStarts).to.equal(1)
    // a rollback to what runs clears it
    await p.registry.rollback('clock')
    await p.reconciler.reconcile()
    expect(await member()).to.deep.include({ version: '1.0.0', state: 'running', error: null })
  })

  it('should report a version whose package is not in the registry as failed, unpacking nothing', async () => {
    const manifest = testManifest() as unknown as PluginManifest
    await p.catalog.install({ name: 'clock', version: '1.0.0', manifest, digest: 'c'.repeat(64), size: 100, by: 'admin' })
    await p.reconciler.reconcile()
    expect(p.launcher.running()).to.deep.equal([])
    const said = await member()
    expect(said).to.deep.include({ version: null, state: 'failed' })
    expect(said?.error).to.match(/^PluginPackageMissingError: package c{64} is not stored whole/)
    expect(existsSync(join(dir.path, 'plugins', 'clock', '1.0.0'))).to.equal(false)
  })

  it('should start again, after its wait, a plugin whose process died; and stop every plugin when the node loses the role', async () => {
    await install('1.0.0')
    await p.reconciler.reconcile()
    await p.launcher.call('clock', 'crash').catch(() => undefined)
    await waitFor(() => p.launcher.running()[0]?.state === 'stopped', 'the launcher to see the process gone')
    await settled('the plugin to answer again', async () => await p.launcher.call('clock', 'echo', { text: 'again' }).then((a) => a === '1.0.0:again', () => false))
    expect(p.launcher.events).to.deep.equal(['start clock 1.0.0', 'stop clock 1.0.0', 'start clock 1.0.0'])
    p.role = false
    await p.reconciler.reconcile()
    expect(p.launcher.running()).to.deep.equal([])
  })
})
