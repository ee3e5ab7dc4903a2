import { expect } from 'chai'
import { join } from 'node:path'
import { Command } from 'commander'
import { UsageError } from '../../cli/cli-errors.ts'
import { DEFAULT_ADMIN_ADDR, DEFAULT_GRPC_ADDR, adminConnection, chatConnection, dataDirOf, withClientOptions, withFlags } from '../../cli/client-options.ts'
import type { ClientFlags } from '../../cli/client-options.ts'
import { SavedTokens } from '../../cli/saved-tokens.ts'
import { runCli } from '../helpers/node-process.ts'
import { capturedIo } from '../helpers/plexi-in-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { rejection } from '../helpers/thrown.ts'

describe('client-options', function () {
  this.timeout(30_000)
  let dir: { path: string, remove: () => Promise<void> }
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => { await dir.remove() })

  it('should list the connection and output flags on each group, and take them before or after the subcommand', async () => {
    for (const [group, flags] of [['admin', ['--admin-addr', '--admin-token', '--data-dir', '--json']], ['chat', ['--addr', '--user', '--token', '--data-dir', '--json']], ['agent', ['--addr', '--user', '--token', '--data-dir', '--json']]] as const) {
      const help = await runCli([group, '--help'])
      for (const flag of flags) expect(help.stdout, `${group} ${flag}`).to.include(flag)
    }
    // wherever they stand, they are read: a bad value is refused naming the flag either way
    for (const args of [['admin', '--admin-addr', 'nowhere', 'cluster'], ['admin', 'cluster', '--admin-addr', 'nowhere'], ['admin', '--admin-addr', 'nowhere', 'users', 'ls', '--json']]) {
      const result = await runCli(args, { env: { PLEXI_ADMIN_TOKEN: 'x'.repeat(32) } })
      expect(result.code, args.join(' ')).to.equal(2)
      expect(result.stderr).to.match(/--admin-addr: expected host:port/)
    }
  })

  it('should say how to get a token when none is given and no default user is saved', async () => {
    const result = await runCli(['chat', 'history', '--room', 'general', '--data-dir', dir.path])
    expect(result.code).to.equal(2)
    expect(result.stderr).to.match(/no token: pass --user NAME, --token, or PLEXI_TOKEN; `plexi admin users add NAME` on the node's machine creates a user and saves its token/)
  })

  it('should take the address from the flag, then the env, then the default, and refuse one that is not host:port naming its source', async () => {
    const io = capturedIo(dir.path, { PLEXI_ADDR: '10.0.0.1:7000', PLEXI_TOKEN: 'from-env' })
    expect(await chatConnection({ addr: '127.0.0.1:9', token: 't' }, io)).to.deep.include({ address: '127.0.0.1:9', token: 't' })
    expect(await chatConnection({}, io)).to.deep.include({ address: '10.0.0.1:7000', token: 'from-env' })
    expect(await chatConnection({ token: 't' }, capturedIo(dir.path))).to.deep.include({ address: DEFAULT_GRPC_ADDR })
    expect((await rejection(() => chatConnection({ token: 't' }, capturedIo(dir.path, { PLEXI_ADDR: 'nowhere' })))).message).to.match(/^PLEXI_ADDR: expected host:port/)
    // a token given wins: the user is not looked at
    expect(await chatConnection({ token: 't', user: 'Bad Name' }, io)).to.deep.include({ token: 't' })
  })

  it('should read a saved user\'s token from the data dir, the default user when none is named', async () => {
    const saved = new SavedTokens(join(dir.path, 'data'))
    await saved.save('ann', 'ann-token')
    const io = capturedIo(dir.path)
    expect(await chatConnection({ dataDir: 'data', user: 'ann' }, io)).to.deep.include({ token: 'ann-token' })
    expect(await chatConnection({ dataDir: 'data' }, io)).to.deep.include({ token: 'ann-token' })
    const unknown = await rejection(() => chatConnection({ dataDir: 'data', user: 'bob' }, io))
    expect(unknown).to.be.instanceOf(UsageError)
    expect(unknown.message).to.match(/^no saved token for bob in /)
    expect((await rejection(() => chatConnection({ dataDir: 'data', user: 'Bad Name' }, io))).message).to.match(/--user: "Bad Name" is not a user name/)
  })

  it('should take the admin token from the flag, the env, or the data dir beside the node, and say where it looked', async () => {
    const io = capturedIo(dir.path)
    expect(await adminConnection({ adminToken: 'flag-token' }, io)).to.deep.include({ url: `http://${DEFAULT_ADMIN_ADDR}`, token: 'flag-token', local: false })
    expect(await adminConnection({}, capturedIo(dir.path, { PLEXI_ADMIN_TOKEN: 'env-token' }))).to.deep.include({ token: 'env-token' })
    const none = await rejection(() => adminConnection({ dataDir: 'data' }, io))
    expect(none.message).to.equal(`no admin token: pass --admin-token, set PLEXI_ADMIN_TOKEN, or run where ${join(dir.path, 'data', 'admin-token')} is readable (--data-dir)`)
    expect(dataDirOf({}, capturedIo(dir.path, { PLEXI_DATA_DIR: 'elsewhere' }))).to.equal(join(dir.path, 'elsewhere'))
    expect(dataDirOf({}, io)).to.equal(join(dir.path, 'data'))
  })

  it('should merge the flags given on the command and above it into one set for the action', async () => {
    let seen: ClientFlags | undefined
    const group = withClientOptions(new Command('group'), 'chat')
    withClientOptions(group.command('leaf'), 'chat').action(withFlags(async (flags: ClientFlags) => { seen = flags }))
    await group.parseAsync(['--json', 'leaf', '--addr', '127.0.0.1:1'], { from: 'user' })
    expect(seen).to.deep.include({ json: true, addr: '127.0.0.1:1' })
  })
})
