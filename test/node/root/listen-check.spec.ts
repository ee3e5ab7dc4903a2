import { expect } from 'chai'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { join } from 'node:path'
import { ConfigError } from '../../../config/index.ts'
import { checkDataDir, checkListenAddresses, listenAddresses, listenRefusal, p2pAddress } from '../../../node/root/listen-check.ts'
import { loneConfig } from '../../helpers/node-parts-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

async function refusal (check: Promise<void>): Promise<ConfigError> {
  let failed: unknown
  await check.catch((err: unknown) => { failed = err })
  expect(failed, 'refused').to.be.instanceOf(ConfigError)
  return failed as ConfigError
}

describe('listen-check', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let held: Server
  let port: number
  beforeEach(async () => {
    dir = await tempDir()
    held = createServer()
    await new Promise<void>((resolve) => { held.listen(0, '127.0.0.1', resolve) })
    port = (held.address() as AddressInfo).port
  })
  afterEach(async () => {
    await new Promise((resolve) => { held.close(resolve) })
    await dir.remove()
  })

  it('should list gRPC and admin, the user listener unless off, the OpenAI endpoint when set, and p2p only with a cluster key and a plain TCP multiaddr', async () => {
    const lone = await loneConfig(dir.path, { 'grpc-listen': '127.0.0.1:7500', 'admin-listen': '0.0.0.0:7502', 'web-listen': 'off' })
    expect(listenAddresses(lone)).to.deep.equal([{ key: 'grpc-listen', host: '127.0.0.1', port: 7500 }, { key: 'admin-listen', host: '0.0.0.0', port: 7502 }])
    const web = await loneConfig(dir.path, { 'web-listen': '127.0.0.1:7504' })
    expect(listenAddresses(web).map((a) => a.key)).to.deep.equal(['grpc-listen', 'admin-listen', 'web-listen'])
    const key = join(dir.path, 'cluster.key')
    await writeFile(key, 'x', { mode: 0o600 })
    const meshed = await loneConfig(dir.path, { 'cluster-key-file': key, 'p2p-listen': '/ip6/::1/tcp/7501', role: 'ai', 'openai-listen': '127.0.0.1:7503' })
    expect(listenAddresses(meshed).map((a) => `${a.key} ${a.host} ${a.port}`)).to.deep.equal(['grpc-listen 127.0.0.1 0', 'admin-listen 127.0.0.1 0', 'web-listen 127.0.0.1 0', 'openai-listen 127.0.0.1 7503', 'p2p-listen ::1 7501'])
    expect(p2pAddress('/dns4/example.org/tcp/7501')).to.equal(undefined)
    expect(p2pAddress('/ip4/127.0.0.1/tcp/7401/ws')).to.equal(undefined)
  })

  it('should refuse an address in use naming its key, and pass free ones and port 0 without holding them', async () => {
    const taken = await refusal(checkListenAddresses([{ key: 'grpc-listen', host: '127.0.0.1', port: 0 }, { key: 'admin-listen', host: '127.0.0.1', port }]))
    expect(taken.key).to.equal('admin-listen')
    expect(taken.message).to.equal(`127.0.0.1:${port} is in use by another process (another node?): give --admin-listen a free port, or port 0 for any`)
    // a free one is let go after the check: the node listens there next
    const free = createServer()
    await new Promise<void>((resolve) => { free.listen(0, '127.0.0.1', resolve) })
    const freePort = (free.address() as AddressInfo).port
    await new Promise((resolve) => { free.close(resolve) })
    await checkListenAddresses([{ key: 'grpc-listen', host: '127.0.0.1', port: freePort }])
    const again = createServer()
    await new Promise<void>((resolve, reject) => { again.once('error', reject); again.listen(freePort, '127.0.0.1', resolve) })
    await new Promise((resolve) => { again.close(resolve) })
  })

  it('should refuse one address given to two keys before probing any', async () => {
    const twice = await refusal(checkListenAddresses([{ key: 'grpc-listen', host: '127.0.0.1', port }, { key: 'admin-listen', host: '127.0.0.1', port }]))
    expect(twice.key).to.equal('admin-listen')
    expect(twice.message).to.equal(`127.0.0.1:${port} is also --grpc-listen's address: give each its own port`)
    // port 0 twice is two free ports
    await checkListenAddresses([{ key: 'grpc-listen', host: '127.0.0.1', port: 0 }, { key: 'admin-listen', host: '127.0.0.1', port: 0 }])
  })

  it('should say in one line what each listen failure means and which flag to change', () => {
    const a = { key: 'grpc-listen', host: '10.1.2.3', port: 80 }
    const code = (c: string): NodeJS.ErrnoException => Object.assign(new Error(c), { code: c })
    expect(listenRefusal(a, code('EADDRNOTAVAIL'))).to.equal('10.1.2.3 is not an address of this machine: give --grpc-listen one it has (127.0.0.1, 0.0.0.0 for every interface)')
    expect(listenRefusal(a, code('EACCES'))).to.equal('10.1.2.3:80 needs privileges this process lacks (a port below 1024?): give --grpc-listen a port from 1024 up')
    expect(listenRefusal(a, code('ENOTFOUND'))).to.include('does not resolve')
    expect(listenRefusal(a, code('EWHATEVER'))).to.equal('cannot listen on 10.1.2.3:80 (EWHATEVER): give --grpc-listen another address')
    for (const c of ['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND', 'EOTHER']) expect(listenRefusal(a, code(c))).not.to.include('\n')
  })

  it('should refuse an address this machine does not have', async () => {
    // (TEST-NET-1: never a local address)
    const far = await refusal(checkListenAddresses([{ key: 'grpc-listen', host: '192.0.2.1', port: 7599 }]))
    expect(far.message).to.include('192.0.2.1 is not an address of this machine')
  })

  it('should refuse a data dir that is a file or lies under one, and pass one that exists or can be made, making nothing', async () => {
    const file = join(dir.path, 'f')
    await writeFile(file, 'x')
    expect((await refusal(checkDataDir(file))).message).to.equal(`${file} is a file, not a directory: give --data-dir a directory (made when missing)`)
    expect((await refusal(checkDataDir(join(file, 'a', 'b')))).key).to.equal('data-dir')
    await mkdir(join(dir.path, 'there'))
    await checkDataDir(join(dir.path, 'there'))
    await checkDataDir(join(dir.path, 'new', 'deeper'))
  })
})
