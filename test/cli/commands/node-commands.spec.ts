import { expect } from 'chai'
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { loadBackupKey } from '../../../node/backup/index.ts'
import { missingDriver } from '../../../runtimes/index.ts'
import { NODE_BOOT_MS, runCli, startNodeProcess } from '../../helpers/node-process.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

const exists = async (path: string): Promise<boolean> => await stat(path).then(() => true, () => false)

/** plexi node start (what a node checks as it starts), config print, cluster keygen. */
describe('nodeCommands', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should print a libp2p pre-shared key with cluster keygen, a new one each time', async () => {
    const first = await runCli(['cluster', 'keygen'])
    const second = await runCli(['cluster', 'keygen'])
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    expect(first.stdout).not.to.equal(second.stdout)
  })

  it('should write a cluster key to a new file of mode 0600 with --out, never overwrite one, and a node should refuse one others may read', async () => {
    const file = join(dir.path, 'cluster.key')
    const made = await runCli(['cluster', 'keygen', '--out', file])
    expect(made.code, made.stderr).to.equal(0)
    expect(made.stdout).to.equal(`wrote ${file} (mode 0600): give the same file to every node with --cluster-key-file\n`)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    const text = await readFile(file, 'utf8')
    expect(text).to.match(/^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/)
    const again = await runCli(['cluster', 'keygen', '--out', file])
    expect(again.code).to.equal(2)
    expect(again.stderr).to.include(`${file} exists: a key is never overwritten`)
    expect(await readFile(file, 'utf8')).to.equal(text)
    expect((await runCli(['cluster', 'keygen', '--out', ' '])).code).to.equal(2)
    // a node started with it once others may read it: refused at start, exit 2, saying how to mend it
    await chmod(file, 0o644)
    const refused = await runCli(['node', 'start', '--role', 'chat', '--data-dir', join(dir.path, 'data'), '--cluster-key-file', file,
      '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0', '--p2p-listen', '/ip4/127.0.0.1/tcp/0'])
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include(`permissions 0644 on ${file} are too open: chmod 600 ${file}`)
  })

  it('should refuse to start a node whose admin token file others may read, as it refuses such a key file', async () => {
    const data = join(dir.path, 'token-data')
    await mkdir(data, { recursive: true })
    const file = join(data, 'admin-token')
    await writeFile(file, `plxa_${'x'.repeat(43)}\n`, { mode: 0o640 })
    await chmod(file, 0o640)
    const refused = await runCli(['node', 'start', '--role', 'all', '--data-dir', data, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include(`admin-token: permissions 0640 on ${file} are too open: chmod 600 ${file}`)
    expect(refused.stderr, 'the token itself is never shown').to.not.include('plxa_')
  })

  it('should refuse to start a node whose backup key file others may read, and log only the fingerprint of a good one', async function () {
    // seven refused starts and one node that boots: on two cores under other load (average 5-13)
    // the seven alone took 3 s each, past the suite's 30 s before the node began to boot
    this.timeout(NODE_BOOT_MS + 60_000)
    const file = join(dir.path, 'backup.key')
    expect((await runCli(['backup', 'keygen', '--out', file])).code).to.equal(0)
    const text = (await readFile(file, 'utf8')).trim()
    await chmod(file, 0o644)
    const refused = await runCli(['node', 'start', '--role', 'all', '--data-dir', join(dir.path, 'data'), '--backup-key-file', file])
    expect(refused.code).to.equal(2)
    expect(refused.stderr).to.include(`backup-key-file: permissions 0644 on ${file} are too open: chmod 600 ${file}`)
    const missing = await runCli(['node', 'start', '--role', 'all', '--data-dir', join(dir.path, 'data'), '--backup-key-file', join(dir.path, 'nope.key')])
    expect(missing.code).to.equal(2)
    expect(missing.stderr).to.match(/backup-key-file: .*nope\.key/)
    await chmod(file, 0o600)
    for (const [schedule, why] of [['often', /backup-schedule: expected an interval such as 30m, 6h or 1d/], ['1m', /at most one backup every 5 minutes/]] as const) {
      const bad = await runCli(['node', 'start', '--role', 'all', '--data-dir', join(dir.path, 'data'), '--backup-key-file', file, '--backup-schedule', schedule])
      expect(bad.code, schedule).to.equal(2)
      expect(bad.stderr).to.match(why)
    }
    for (const [schedule, why] of [['daily', /retention-schedule: expected an interval such as 30m, 6h or 1d/], ['2m', /at most one retention run every 5 minutes/]] as const) {
      const bad = await runCli(['node', 'start', '--role', 'all', '--data-dir', join(dir.path, 'data'), '--retention-schedule', schedule])
      expect(bad.code, schedule).to.equal(2)
      expect(bad.stderr).to.match(why)
    }
    const keyless = await runCli(['node', 'start', '--role', 'all', '--data-dir', join(dir.path, 'data'), '--backup-schedule', '6h'])
    expect(keyless.code).to.equal(2)
    expect(keyless.stderr).to.match(/scheduled backups are made with the backup key: pass --backup-key-file/)
    const node = await startNodeProcess(join(dir.path, 'data'), ['--backup-key-file', file, '--backup-schedule', '1d', '--backup-keep-last', '7'])
    try {
      const fingerprint = (await loadBackupKey(file)).fingerprint
      // logged just after "node ready", so it may not have been read yet when the helper returns
      await node.awaitLog((l) => l.backupKeyFingerprint === fingerprint, 'the backup key\'s fingerprint to be logged')
      expect(JSON.stringify(node.logs)).not.to.include(text.split(':')[1])
    } finally {
      await node.stop()
    }
  })

  it('should print the effective configuration with each value\'s source, masking secrets', async () => {
    const file = join(dir.path, 'plexi.yaml')
    await writeFile(file, 'chat-rate: 3\nlog-level: debug\n')
    const result = await runCli(['config', 'print', '--effective', '--json', '--config', file, '--grpc-listen', '127.0.0.1:9000'],
      { env: { PLEXI_LOG_LEVEL: 'warn', PLEXI_ADMIN_TOKEN: 'an-admin-token-of-some-length' } })
    expect(result.code, result.stderr).to.equal(0)
    const printed = JSON.parse(result.stdout) as { file: string, keys: Array<{ key: string, value: unknown, source: string }> }
    const key = (name: string) => printed.keys.find((k) => k.key === name)
    expect(printed.file).to.equal(file)
    expect(key('grpc-listen')).to.include({ value: '127.0.0.1:9000', source: 'flag' })
    expect(key('log-level')).to.include({ value: 'warn', source: 'env' })
    expect(key('chat-rate')).to.include({ value: 3, source: 'file' })
    expect(key('admin-listen')).to.include({ value: '127.0.0.1:7402', source: 'default' })
    expect(key('admin-token')).to.include({ value: '********', source: 'env' })
    expect(result.stdout).not.to.include('an-admin-token')
    const table = await runCli(['config', 'print', '--effective', '--chat-burst', '5'])
    expect(table.stdout).to.match(/^chat-burst\s+5\s+flag\s+PLEXI_CHAT_BURST$/m)
    const bad = await runCli(['config', 'print', '--effective', '--chat-burst', 'many'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.match(/--chat-burst: expected an integer from 1 to 100000, got "many"/)
  })

  it('should refuse an address another process holds, one address given twice, a data dir that is a file and gpu cuda without CUDA in one line naming the flag, exit 2, nothing written', async function () {
    this.timeout(120_000)   // (ten starts refused, each a process)
    const held = createServer()
    await new Promise<void>((resolve) => { held.listen(0, '127.0.0.1', resolve) })
    const port = (held.address() as AddressInfo).port
    try {
      const key = join(dir.path, 'cluster.key')
      expect((await runCli(['cluster', 'keygen', '--out', key])).code).to.equal(0)
      const data = join(dir.path, 'data')
      const free = { '--grpc-listen': '127.0.0.1:0', '--admin-listen': '127.0.0.1:0', '--p2p-listen': '/ip4/127.0.0.1/tcp/0' }
      const cases: Array<[string, string]> = [['--grpc-listen', `127.0.0.1:${port}`], ['--admin-listen', `127.0.0.1:${port}`], ['--p2p-listen', `/ip4/127.0.0.1/tcp/${port}`]]
      for (const [flag, value] of cases) {
        const args = Object.entries({ ...free, [flag]: value }).flat()
        const refused = await runCli(['node', 'start', '--role', 'all', '--data-dir', data, '--cluster-key-file', key, ...args])
        expect(refused.code, refused.stderr).to.equal(2)
        expect(refused.stdout, 'nothing logged before the refusal').to.equal('')
        expect(refused.stderr).to.equal(`plexi: configuration: ${flag.slice(2)}: 127.0.0.1:${port} is in use by another process (another node?): give ${flag} a free port, or port 0 for any\n`)
        expect(await exists(data), 'nothing written').to.equal(false)
      }
      const twice = await runCli(['node', 'start', '--role', 'chat', '--data-dir', data, '--grpc-listen', '127.0.0.1:7471', '--admin-listen', '127.0.0.1:7471'])
      expect(twice.code).to.equal(2)
      expect(twice.stderr).to.equal('plexi: configuration: admin-listen: 127.0.0.1:7471 is also --grpc-listen\'s address: give each its own port\n')
      const file = join(dir.path, 'a-file')
      await writeFile(file, 'not a directory\n')
      for (const [path, why] of [[file, 'is a file, not a directory'], [join(file, 'data'), 'lies under a file, not a directory']] as const) {
        const refused = await runCli(['node', 'start', '--role', 'all', '--data-dir', path, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
        expect(refused.code, refused.stderr).to.equal(2)
        expect(refused.stderr.split('\n')).to.have.length(2)
        expect(refused.stderr).to.include(`plexi: configuration: data-dir: ${path} ${why}: give --data-dir`)
      }
      expect(await readFile(file, 'utf8')).to.equal('not a directory\n')
      // gpu cuda where there is no CUDA driver (CI has none; a machine with one would start): one
      // line, nothing written
      if (missingDriver('cuda') === undefined) return
      const cuda = await runCli(['node', 'start', '--role', 'all', '--gpu', 'cuda', '--data-dir', data, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0'])
      expect(cuda.code, cuda.stderr).to.equal(2)
      expect(cuda.stderr).to.match(/^plexi: configuration: gpu: gpu cuda, but no CUDA driver found[^\n]*: install the NVIDIA driver and the CUDA 12 or 13 runtime, or give --gpu auto \(the CPU where there is no GPU\) or --gpu off\n$/)
      expect(await exists(data), 'nothing written').to.equal(false)
    } finally {
      await new Promise((resolve) => { held.close(resolve) })
    }
  })
})
