import { expect } from 'chai'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { runCli, startNodeProcess } from '../helpers/node-process.ts'
import type { NodeProcess } from '../helpers/node-process.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('the plexi CLI against a node (real processes)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let node: NodeProcess
  before(async () => {
    dir = await tempDir()
    node = await startNodeProcess(dir.path, ['--role', 'chat'])
    // the first user saved in this data dir: the default of chat commands here
    const carol = await runCli(['admin', 'users', 'add', 'carol', '--admin-addr', node.admin, '--data-dir', dir.path])
    expect(carol.stdout).to.include('carol is the default user of chat and agent commands here')
  })
  after(async () => {
    await node?.stop()
    await dir?.remove()
  })
  const plexi = (args: string[]) => runCli(args, { env: { PLEXI_ADDR: node.grpc } })

  it('should take the connection and output flags before the subcommand as well as after it', async () => {
    const before = await plexi(['admin', '--json', '--admin-addr', node.admin, '--data-dir', dir.path, 'users', 'ls'])
    const after = await plexi(['admin', 'users', 'ls', '--json', '--admin-addr', node.admin, '--data-dir', dir.path])
    expect(before.code, before.stderr).to.equal(0)
    expect(JSON.parse(before.stdout)).to.deep.equal(JSON.parse(after.stdout))
    const cluster = await plexi(['admin', '--admin-addr', node.admin, '--data-dir', dir.path, 'cluster', '--json'])
    expect(JSON.parse(cluster.stdout)).to.have.keys('self', 'members')
    const sent = await plexi(['chat', '--data-dir', dir.path, '--json', 'send', '--room', 'r', 'hi'])
    expect(JSON.parse(sent.stdout)).to.include({ room: 'r', seq: 1 })
  })

  it('should make the first saved user the default, another one on request, and forget a removed user\'s token', async () => {
    const admin = ['--admin-addr', node.admin, '--data-dir', dir.path]
    // carol was saved first: she is the default
    const dave = await plexi(['admin', 'users', 'add', 'dave', ...admin])
    expect(dave.stdout).to.not.match(/default user/)
    expect(JSON.parse((await plexi(['chat', 'send', '--room', 'd', 'who?', '--data-dir', dir.path, '--json'])).stdout)).to.include({ seq: 1 })
    const history = async (): Promise<string[]> => (JSON.parse((await plexi(['chat', 'history', '--room', 'd', '--json', '--data-dir', dir.path])).stdout) as Array<{ user: string }>).map((m) => m.user)
    expect(await history()).to.deep.equal(['carol'])
    const erin = await plexi(['admin', 'users', 'add', 'erin', '--default', ...admin])
    expect(erin.stdout).to.include('erin is the default user of chat and agent commands here')
    await plexi(['chat', 'send', '--room', 'd', 'me now', '--data-dir', dir.path])
    expect(await history()).to.deep.equal(['carol', 'erin'])
    // removing a user removes their saved token; the default goes with it
    const removed = await plexi(['admin', 'users', 'rm', 'erin', ...admin])
    expect(removed.stdout).to.include(`removed the saved token ${join(dir.path, 'tokens', 'erin')} (erin was the default user)`)
    expect((await readdir(join(dir.path, 'tokens'))).sort()).to.deep.equal(['carol', 'dave'])
    const none = await plexi(['chat', 'send', '--room', 'd', 'anyone?', '--data-dir', dir.path])
    expect(none.code).to.equal(2)
    expect(none.stderr).to.match(/no token: pass --user NAME \(saved in .*: carol, dave\)/)
  })
})
