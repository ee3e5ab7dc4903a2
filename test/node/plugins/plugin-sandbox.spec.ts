import { expect } from 'chai'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { join } from 'node:path'
import { pickEnv, pluginPlan, serverPlan } from '../../../node/plugins/plugin-sandbox.ts'
import type { NetworkIsolation } from '../../../node/plugins/index.ts'
import type { PluginPermissions } from '../../../protocols/index.ts'
import { PROBE_DIR, callText, probeManifest, testHost } from '../../helpers/plugin-fixture.ts'
import type { TestHost } from '../../helpers/plugin-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const ISOLATED: NetworkIsolation = { available: true, command: '/usr/bin/unshare', args: ['--net'], how: 'test' }
const NONE: NetworkIsolation = { available: false, why: 'test' }

describe('plugin sandbox', () => {
  describe('the launch plan', () => {
    const base = { packageDir: '/pkgs/probe', dataFolder: '/data/plugins-data/probe', execPath: '/node', env: { TZ: 'UTC', HOME: '/root', PLEXI_ADMIN_TOKEN: 'secret', F: '() { evil; }' } }

    it('should run a node entry under the permission model reading its package only, in its folder, with no variable it did not ask for', () => {
      const plan = pluginPlan({ ...base, manifest: probeManifest(), isolation: NONE })
      expect(plan.command).to.equal('/node')
      expect(plan.args).to.deep.equal(['--permission', '--allow-fs-read=/pkgs/probe', '--max-old-space-size=256', '--', '/pkgs/probe/probe.mjs'])
      expect(plan.env).to.deep.equal({})
      expect(plan.cwd).to.equal('/data/plugins-data/probe')
      expect(plan.memoryBytes).to.equal(256 * 1024 * 1024)
      expect(plan.offline).to.equal(false)
    })

    it('should lift exactly what the manifest asks for, paths inside its data folder', () => {
      const permissions: PluginPermissions = { read: ['cache'], write: ['out', 'cache'], childProcess: true, addons: true, env: ['TZ', 'NOPE', 'F'], memoryMiB: 100 }
      const plan = pluginPlan({ ...base, manifest: probeManifest(permissions), isolation: NONE })
      expect(plan.args).to.deep.equal([
        '--permission',
        '--allow-fs-read=/pkgs/probe', '--allow-fs-read=/data/plugins-data/probe/cache', '--allow-fs-read=/data/plugins-data/probe/out',
        '--allow-fs-write=/data/plugins-data/probe/out', '--allow-fs-write=/data/plugins-data/probe/cache',
        '--allow-child-process', '--allow-addons', '--max-old-space-size=100', '--', '/pkgs/probe/probe.mjs'
      ])
      // a variable that is unset or a shell function is not passed on
      expect(plan.env).to.deep.equal({ TZ: 'UTC' })
    })

    it('should put a plugin without the network in a namespace of its own where the machine can, and say when it cannot', () => {
      const plan = pluginPlan({ ...base, manifest: probeManifest(), isolation: ISOLATED })
      expect(plan.command).to.equal('/usr/bin/unshare')
      expect(plan.args.slice(0, 4)).to.deep.equal(['--net', '--', '/node', '--permission'])
      expect(plan.offline).to.equal(true)
      expect(pluginPlan({ ...base, manifest: probeManifest({ network: true }), isolation: ISOLATED }).offline).to.equal(false)
    })

    it('should run a command entry from its package, with its arguments, as it is', () => {
      const plan = pluginPlan({ ...base, manifest: probeManifest({}, { entry: { command: 'bin/serve', args: ['--stdio'] } }), isolation: NONE })
      expect([plan.command, ...plan.args]).to.deep.equal(['/pkgs/probe/bin/serve', '--stdio'])
    })

    it('should run a registered command as given, with the same folder, memory and network isolation', () => {
      const plan = serverPlan({ command: 'npx', args: ['-y', 'srv'], env: { A: '1' }, dataFolder: '/d/s', network: false, memoryMiB: 64, isolation: ISOLATED })
      expect([plan.command, ...plan.args]).to.deep.equal(['/usr/bin/unshare', '--net', '--', 'npx', '-y', 'srv'])
      expect(plan).to.include({ cwd: '/d/s', memoryBytes: 64 * 1024 * 1024, offline: true })
    })

    it('should never pass on the node\'s own variables, even when named', () => {
      expect(pickEnv(['PLEXI_ADMIN_TOKEN', 'HOME'], base.env)).to.deep.equal({ HOME: '/root' })
    })
  })

  describe('a real plugin process', function () {
    let t: TestHost
    let secret: string
    let server: Server
    let port: number

    before(async function () {
      t = await testHost()
      if (!t.host.isolation.available) this.skip()
      // the node's own files, beside the plugins' folder in its data dir
      secret = join(t.dataDir, 'peer-key')
      await writeFile(secret, 'the node\'s secret')
      server = createServer((s) => s.end())
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      port = (server.address() as AddressInfo).port
    })

    after(async () => {
      server?.close()
      await t?.close()
    })

    afterEach(async () => {
      for (const r of t.host.running()) await t.host.stop(r.name, r.version)
    })

    const start = async (permissions: PluginPermissions): Promise<void> => {
      await t.host.start({ name: 'probe', version: '1.0.0', dir: PROBE_DIR, manifest: probeManifest(permissions) })
    }
    const folder = (): string => join(t.dataDir, 'plugins-data', 'probe')

    it('should deny by default: the node\'s data dir, writing anywhere, spawning, addons, sockets, variables', async () => {
      process.env.PLEXI_TEST_SECRET = 'plexi-secret-value'
      try {
        await start({})
        expect(await callText(t.host, 'probe__read', { path: secret })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__read', { path: join(folder(), 'x') })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__write', { path: join(folder(), 'x') })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__write', { path: join(PROBE_DIR, 'x') })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__spawn')).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__addon')).to.deep.equal({ text: 'ERR_DLOPEN_DISABLED', isError: true })
        expect(await callText(t.host, 'probe__connect', { host: '127.0.0.1', port })).to.deep.equal({ text: 'ENETUNREACH', isError: true })
        expect(await callText(t.host, 'probe__env', { name: 'PLEXI_TEST_SECRET' })).to.deep.equal({ text: '(unset)', isError: false })
        expect(await callText(t.host, 'probe__env', { name: 'PATH' })).to.deep.equal({ text: '(unset)', isError: false })
        expect((await callText(t.host, 'probe__cwd')).text).to.equal(folder())
        // its own package stays readable
        expect((await callText(t.host, 'probe__read', { path: join(PROBE_DIR, 'package.json') })).isError).to.equal(false)
      } finally {
        delete process.env.PLEXI_TEST_SECRET
      }
    })

    it('should give a command entry the same environment, folder and network isolation', async () => {
      const pkg = await tempDir()
      try {
        // a program Plexi does not put under Node's permission model: the probe, started by a script
        await writeFile(join(pkg.path, 'serve'), `#!/bin/sh\nexec "${process.execPath}" "${join(PROBE_DIR, 'probe.mjs')}"\n`)
        await chmod(join(pkg.path, 'serve'), 0o755)
        process.env.PLEXI_TEST_SECRET = 'plexi-secret-value'
        await t.host.start({ name: 'probe', version: '1.0.0', dir: pkg.path, manifest: probeManifest({}, { entry: { command: 'serve' } }) })
        expect(await callText(t.host, 'probe__connect', { host: '127.0.0.1', port })).to.deep.equal({ text: 'ENETUNREACH', isError: true })
        // nothing of the node's environment (the script's shell adds only its own PWD)
        expect((await callText(t.host, 'probe__envNames')).text.split(',').filter((n) => n !== 'PWD' && n !== '')).to.deep.equal([])
        expect((await callText(t.host, 'probe__cwd')).text).to.equal(folder())
        // what the permission model alone denies is not denied here: docs/plugins.md says so
        expect((await callText(t.host, 'probe__read', { path: secret })).text).to.equal('the node\'s secret')
      } finally {
        delete process.env.PLEXI_TEST_SECRET
        await pkg.remove()
      }
    })

    it('should lift each permission the manifest grants, and only where it grants it', async () => {
      process.env.PROBE_GREETING = 'hello'
      try {
        await mkdir(join(folder(), 'in'), { recursive: true })
        await writeFile(join(folder(), 'in', 'f'), 'readable')
        await start({ read: ['in'], write: ['out'], network: true, childProcess: true, addons: true, env: ['PROBE_GREETING'] })
        expect(await callText(t.host, 'probe__read', { path: join(folder(), 'in', 'f') })).to.deep.equal({ text: 'readable', isError: false })
        expect(await callText(t.host, 'probe__write', { path: join(folder(), 'in', 'g') })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__write', { path: join(folder(), 'out', 'g'), text: 'written' })).to.deep.equal({ text: 'ok', isError: false })
        expect(await readFile(join(folder(), 'out', 'g'), 'utf8')).to.equal('written')
        expect(await callText(t.host, 'probe__read', { path: secret })).to.deep.equal({ text: 'ERR_ACCESS_DENIED', isError: true })
        expect(await callText(t.host, 'probe__spawn')).to.deep.equal({ text: 'spawned', isError: false })
        // allowed to load addons, it fails only because there is no such file
        expect(await callText(t.host, 'probe__addon')).to.deep.equal({ text: 'ERR_DLOPEN_FAILED', isError: true })
        expect(await callText(t.host, 'probe__connect', { host: '127.0.0.1', port })).to.deep.equal({ text: 'connected', isError: false })
        expect(await callText(t.host, 'probe__env', { name: 'PROBE_GREETING' })).to.deep.equal({ text: 'hello', isError: false })
        expect((await callText(t.host, 'probe__envNames')).text).to.equal('PROBE_GREETING')
      } finally {
        delete process.env.PROBE_GREETING
      }
    })
  })
})
