import { expect } from 'chai'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import Fastify from 'fastify'
import OpenAI from 'openai'
import { startGrpcServer } from '../../node/grpc/index.ts'
import { runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { fetchTrusting, makeTlsPair } from '../helpers/tls-pair.ts'
import type { TlsPair } from '../helpers/tls-pair.ts'

describe('TLS (a real node serving gRPC, admin HTTPS and the OpenAI-compatible API with a self-signed pair)', function () {
  this.timeout(60_000)
  let dir: { path: string, remove: () => Promise<void> }
  let pair: TlsPair
  /** A pair from another "CA": a client trusting it must refuse the node. */
  let other: TlsPair
  let cluster: ProcessCluster
  let slot: NodeSlot
  let token: string
  let openaiUrl: string
  /** The connection flags of a client command reaching the node, with the node's CA. */
  let admin: string[]
  let chat: string[]

  before(async () => {
    dir = await tempDir()
    pair = await makeTlsPair(dir.path, 'node')
    other = await makeTlsPair(dir.path, 'other')
    cluster = new ProcessCluster({ tls: pair, args: ['--openai-listen', '127.0.0.1:0', '--gpu', 'off', '--inference-threads', '1'] })
    await cluster.start(['all'])
    slot = cluster.slots[0] as NodeSlot
    // through the helpers' own HTTPS client: they reach a TLS node given its CA
    token = await cluster.addUser('alice')
    openaiUrl = slot.node.logs.find((l) => typeof l.openai === 'string')?.openai as string
    admin = ['--admin-addr', slot.node.admin, '--admin-token', slot.node.adminToken]
    chat = ['--addr', slot.node.grpc, '--token', token]
  })
  after(async () => {
    await cluster?.close()
    await dir?.remove()
  })

  it('should say once which endpoints serve TLS with which certificate, and never log the key', async () => {
    expect(slot.node.tls).to.equal(true)
    const line = slot.node.logs.find((l) => typeof l.tls === 'object')
    expect(line?.tls).to.deep.include({ endpoints: ['gRPC', 'admin', 'user listener (gRPC-Web)', 'OpenAI-compatible API'], cert: pair.certFile, subject: 'CN=plexi localhost', expired: false })
    expect(slot.node.logs.filter((l) => typeof l.tls === 'object')).to.have.length(1)
    const ready = slot.node.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('node ready'))
    expect(ready?.msg).to.include(`gRPC on ${slot.node.grpc} (TLS), admin on https://${slot.node.admin}`)
    expect(openaiUrl).to.match(/^https:\/\/127\.0\.0\.1:\d+\/v1$/)
    expect(ready?.web).to.match(/^https:\/\/127\.0\.0\.1:\d+\/$/)
    const key = (await readFile(pair.keyFile, 'utf8')).split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'))
    const logged = JSON.stringify(slot.node.logs)
    for (const part of key) expect(logged).not.to.include(part)
  })

  it('should chat over gRPC with --tls-ca or PLEXI_TLS_CA', async () => {
    const sent = await runCli(['chat', 'send', '--room', 'tls', 'over TLS', '--json', ...chat, '--tls-ca', pair.certFile])
    expect(sent.code, sent.stderr).to.equal(0)
    expect(JSON.parse(sent.stdout)).to.include({ room: 'tls', seq: 1 })
    const history = await runCli(['chat', 'history', '--room', 'tls', '--json', ...chat], { env: { PLEXI_TLS_CA: pair.certFile } })
    expect(history.code, history.stderr).to.equal(0)
    expect((JSON.parse(history.stdout) as Array<{ text: string }>).map((m) => m.text)).to.deep.equal(['over TLS'])
    // and the test helpers' gRPC client, given the CA
    expect((await cluster.history(slot, 'tls', token)).map((m) => m.text)).to.deep.equal(['over TLS'])
  })

  it('should refuse a gRPC client that does not trust the certificate, or speaks plain, saying what to pass', async () => {
    const cases: Array<[string[], string]> = [
      [[], 'the node closed the connection without an answer: it may speak TLS: pass --tls-ca FILE'],
      [['--tls'], 'TLS: the node\'s certificate is not trusted: pass --tls-ca FILE'],
      [['--tls-ca', other.certFile], `TLS: the node's certificate is not trusted: it is not signed by a certificate in ${other.certFile}`]
    ]
    const runs = await Promise.all(cases.map(async ([flags]) => await runCli(['chat', 'send', '--room', 'tls', 'refused', ...chat, ...flags])))
    for (const [i, [flags, message]] of cases.entries()) {
      const run = runs[i] as { code: number | null, stderr: string }
      expect(run.code, flags.join(' ')).to.equal(1)
      expect(run.stderr, flags.join(' ')).to.include(`plexi: node at ${slot.node.grpc}: ${message}`)
      expect(run.stderr.split('\n').filter((l) => l.length > 0), 'one line, no stack trace').to.have.length(1)
    }
    expect((await cluster.history(slot, 'tls', token)).map((m) => m.text)).to.deep.equal(['over TLS'])
  })

  it('should serve the admin API over HTTPS to a client given the CA, and refuse the others clearly', async () => {
    const [nodes, top] = await Promise.all([
      runCli(['admin', 'nodes', '--json', ...admin, '--tls-ca', pair.certFile]),
      runCli(['admin', 'top', '--once', ...admin], { env: { PLEXI_TLS_CA: pair.certFile } })
    ])
    expect(nodes.code, nodes.stderr).to.equal(0)
    expect((JSON.parse(nodes.stdout) as Array<{ peerId: string }>).map((m) => m.peerId)).to.deep.equal([slot.peerId])
    expect(top.code, top.stderr).to.equal(0)
    expect(top.stdout).to.include(`plexi admin top ${slot.node.admin}`)
    const cases: Array<[string[], string]> = [
      [[], `plexi: admin endpoint at http://${slot.node.admin}: the node closed the connection without an answer: it may speak TLS`],
      [['--tls'], `plexi: admin endpoint at https://${slot.node.admin}: TLS: the node's certificate is not trusted: pass --tls-ca FILE`],
      [['--tls-ca', other.certFile], `plexi: admin endpoint at https://${slot.node.admin}: TLS: the node's certificate is not trusted: it is not signed by a certificate in ${other.certFile}`]
    ]
    const runs = await Promise.all(cases.map(async ([flags]) => await runCli(['admin', 'users', ...admin, ...flags])))
    for (const [i, [flags, message]] of cases.entries()) {
      const run = runs[i] as { code: number | null, stderr: string }
      expect(run.code, flags.join(' ')).to.equal(1)
      expect(run.stderr, flags.join(' ')).to.include(message)
      expect(run.stderr.split('\n').filter((l) => l.length > 0), 'one line, no stack trace').to.have.length(1)
    }
  })

  it('should serve the OpenAI-compatible API over HTTPS to the official client trusting the CA, and to no other', async () => {
    const client = new OpenAI({ baseURL: openaiUrl, apiKey: token, maxRetries: 0, fetch: fetchTrusting(pair.ca) })
    const ids: string[] = []
    for await (const model of client.models.list()) ids.push(model.id)
    expect(ids).to.include('agent')
    const untrusted = await fetchTrusting(other.ca)(`${openaiUrl}/models`, { headers: { authorization: `Bearer ${token}` } }).then(() => undefined, (e: unknown) => e)
    expect((untrusted as { cause?: { code?: string } }).cause?.code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY/)
    const plain = await fetch(openaiUrl.replace(/^https:/, 'http:') + '/models').then(() => undefined, (e: unknown) => e)
    expect(plain, 'plain HTTP gets no answer').to.be.instanceOf(Error)
  })

  it('should refuse to start with a key that is not the certificate\'s, or half a pair: exit 2, nothing made', async () => {
    const data = join(dir.path, 'refused')
    const base = ['node', 'start', '--role', 'chat', '--data-dir', data, '--grpc-listen', '127.0.0.1:0', '--admin-listen', '127.0.0.1:0', '--web-listen', '127.0.0.1:0']
    const [mismatched, half] = await Promise.all([
      runCli([...base, '--tls-cert', pair.certFile, '--tls-key', other.keyFile]),
      runCli([...base, '--tls-cert', pair.certFile])
    ])
    expect(mismatched.code).to.equal(2)
    expect(mismatched.stderr).to.equal(`plexi: configuration: tls-key: the key in ${other.keyFile} does not match the certificate in ${pair.certFile} (CN=plexi localhost): give the key that certificate was made for\n`)
    expect(half.code).to.equal(2)
    expect(half.stderr).to.include('configuration: tls-key: tls-cert is set but tls-key is not')
    expect(await stat(data).then(() => true, () => false), 'no data dir made').to.equal(false)
  })

  it('should tell a TLS client that a plain node does not speak TLS', async () => {
    const grpc = await startGrpcServer({ host: '127.0.0.1', port: 0 }, [])
    const http = Fastify()
    await http.listen({ host: '127.0.0.1', port: 0 })
    try {
      const addr = `127.0.0.1:${grpc.address.port}`
      const adminAddr = `127.0.0.1:${(http.server.address() as { port: number }).port}`
      const [sent, users] = await Promise.all([
        runCli(['chat', 'send', '--room', 'r', 'x', '--addr', addr, '--token', token, '--tls-ca', pair.certFile]),
        runCli(['admin', 'users', '--admin-addr', adminAddr, '--admin-token', 'x'.repeat(16), '--tls-ca', pair.certFile])
      ])
      expect(sent.code).to.equal(1)
      expect(sent.stderr).to.include(`plexi: node at ${addr}: TLS: the node does not speak TLS: leave out --tls-ca and --tls`)
      expect(users.code).to.equal(1)
      expect(users.stderr).to.include(`plexi: admin endpoint at https://${adminAddr}: TLS: the node does not speak TLS`)
    } finally {
      grpc.server.forceShutdown()
      await http.close()
    }
  })
})
