import { expect } from 'chai'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { permissionsText } from '../../../../cli/commands/admin/plugins-commands.ts'
import { AdminCli } from '../../../helpers/admin-cli.ts'
import { lonePlugins } from '../../../helpers/lone-plugins.ts'
import type { LonePlugins } from '../../../helpers/lone-plugins.ts'
import { pluginPackage, writePluginDir } from '../../../helpers/plugin-packages.ts'

describe('pluginsCommands', function () {
  this.timeout(60_000)
  const cli = new AdminCli()
  let p: LonePlugins | undefined
  beforeEach(async () => {
    await cli.setup({ roles: ['chat', 'plugins'] })
    p = lonePlugins(cli.fixture.system, cli.fixture.dataDir, { intervalMs: 200 })
    cli.fixture.plugins = p.registry
    await cli.rebuild()
  })
  afterEach(async () => {
    await p?.close()
    await cli.teardown()
  })
  const dir = (): string => cli.fixture.dataDir

  it('should install a folder and wait for it to run, list it, show it, upgrade from a .tgz and roll back, each waited for, then read its logs and remove it', async () => {
    expect((await cli.run('plugins')).stdout).to.equal('no plugins: plexi admin plugins install <folder|.tgz>\n')
    const installed = await cli.run('plugins', 'install', await writePluginDir(dir()))
    expect(installed.code, installed.stderr).to.equal(0)
    expect(installed.stdout).to.match(/^installed clock 1\.0\.0 \(sha256 [0-9a-f]{64}, \d+\.\d MiB\)\npermissions: env TZ; 64 MiB of memory\nclock runs 1\.0\.0 on 1 of 1 plugins-role member\n$/)
    expect(await p?.launcher.call('clock', 'echo', { text: 'x' })).to.equal('1.0.0:x')
    const again = await cli.run('plugins', 'install', await writePluginDir(dir()))
    expect(again.stdout).to.match(/^clock 1\.0\.0 is installed already \(sha256 [0-9a-f]{64}\): nothing changed\n$/)
    const ls = await cli.run('plugins', 'ls')
    expect(ls.stdout).to.match(new RegExp(`^PLUGIN\\s+ACTIVE\\s+ENABLED\\s+NODE\\s+VERSION\\s+STATE\\s+CALLS\\s+ERRORS\\s+LATENCY\\s+RESTARTS\\s+MEMORY\\nclock\\s+1\\.0\\.0\\s+yes\\s+${cli.fixture.system.node}\\s+1\\.0\\.0\\s+running\\s+1\\s+0\\s+\\d+\\.\\d ms\\s+0\\s+\\d+\\.\\d MiB\\n$`))
    const tgz = join(dir(), 'clock-1.1.0.tgz')
    await writeFile(tgz, await pluginPackage(dir(), { version: '1.1.0' }))
    const upgraded = await cli.run('plugins', 'upgrade', 'clock', tgz)
    expect(upgraded.code, upgraded.stderr).to.equal(0)
    expect(upgraded.stdout).to.equal('clock switches to 1.1.0 (from 1.0.0)\nclock runs 1.1.0 on 1 of 1 plugins-role member\n')
    expect(await p?.launcher.call('clock', 'echo', { text: 'x' })).to.equal('1.1.0:x')
    expect((await cli.run('plugins', 'rollback', 'clock')).stdout).to.equal('clock rolls back to 1.0.0\nclock runs 1.0.0 on 1 of 1 plugins-role member\n')
    const shown = await cli.run('plugins', 'show', 'clock')
    expect(shown.stdout).to.match(/^clock: the test plugin clock\nactive 1\.0\.0 \(rollback goes to 1\.1\.0\), enabled\npermissions: env TZ; 64 MiB of memory\nversion 1\.1\.0: sha256 [0-9a-f]{64}, \d+\.\d MiB, plugin API \^1\.0\.0, installed by admin at \S+\nversion 1\.0\.0: /)
    expect((await cli.run('plugins', 'disable', 'clock')).stdout).to.equal('clock is disabled\nclock stopped on 1 of 1 plugins-role member\n')
    expect((await cli.run('plugins', 'enable', 'clock', '--no-wait')).stdout).to.equal('clock is enabled (1.0.0)\n')
    await p?.reconciler.reconcile()
    const logs = await cli.run('plugins', 'logs', 'clock', '-n', '2')
    expect(logs.stdout).to.match(new RegExp(`^== ${cli.fixture.system.node} \\(\\d lines?\\)\\n(1\\.0\\.0 .+\\n){1,2}$`))
    const json = JSON.parse((await cli.run('plugins', 'ls', '--json')).stdout) as Array<{ name: string }>
    expect(json.map((x) => x.name)).to.deep.equal(['clock'])
    expect((await cli.run('plugins', 'rm', 'clock')).stdout).to.equal('removed clock (1.1.0, 1.0.0)\n')
  })

  it('should say a new version waits for an upgrade, and refuse what it cannot do with the node\'s reason or as a usage error', async () => {
    await cli.run('plugins', 'install', await writePluginDir(dir()))
    const stored = await cli.run('plugins', 'install', await writePluginDir(dir(), { version: '2.0.0' }), '--no-wait')
    expect(stored.stdout).to.match(/\nclock runs 1\.0\.0: switch with plexi admin plugins upgrade clock 2\.0\.0\n$/)
    const missing = await cli.run('plugins', 'install', join(dir(), 'nowhere'))
    expect([missing.code, missing.stderr]).to.deep.equal([2, `plexi: ${join(dir(), 'nowhere')}: no such folder or file (give a plugin's folder or a .tgz)\n`])
    const old = await cli.run('plugins', 'install', await writePluginDir(dir(), { name: 'old', plexi: '^0.1.0' }))
    expect(old.code).to.equal(1)
    expect(old.stderr).to.include('old 1.0.0 works with the plugin API "^0.1.0", which does not include 1.0.0')
    const other = await cli.run('plugins', 'upgrade', 'clock', await writePluginDir(dir(), { name: 'other' }))
    expect([other.code, other.stderr]).to.deep.equal([1, `plexi: ${join(dir(), 'other-1.0.0')} holds the plugin other, not clock (it was installed; nothing was switched)\n`])
    const unknown = await cli.run('plugins', 'upgrade', 'clock', '9.9.9')
    expect(unknown.stderr).to.include('clock 9.9.9 is not installed (installed: 1.0.0, 2.0.0)')
    expect((await cli.run('plugins', 'logs', 'clock', '-n', '0')).code).to.equal(2)
    expect((await cli.run('plugins', 'enable', 'clock', '--timeout', 'soon')).code).to.equal(2)
  })

  it('should give up waiting when no member runs plugins, saying how to give one the role', async () => {
    if (p !== undefined) p.role = false
    const done = await cli.run('plugins', 'install', await writePluginDir(dir()), '--timeout', '1')
    expect(done.code).to.equal(1)
    expect(done.stderr).to.equal('plexi: no member with the plugins role answered: clock runs once one does (plexi admin roles set <peer> ...,plugins)\n')
  })

  it('should put a manifest\'s permissions in words', () => {
    expect(permissionsText({})).to.equal('none beyond reading its own package')
    expect(permissionsText({ read: ['data'], write: ['.'], network: true, childProcess: true, addons: true, env: ['A', 'B'], memoryMiB: 128 }))
      .to.equal('read data; write .; network; child processes; native addons; env A, B; 128 MiB of memory')
  })
})
