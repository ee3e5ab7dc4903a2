import { expect } from 'chai'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { generateKey } from '@libp2p/pnet'
import { peerIdFromString } from '@libp2p/peer-id'
import { PNET_MAX_WRITE_BYTES, clusterKeyProtector } from '../../../node/mesh/cluster-key-protector.ts'
import { ConnectionStalls } from '../../../node/mesh/connection-stalls.ts'
import { FaultHooks } from '../../../node/mesh/fault-hooks.ts'
import { createMeshLibp2p } from '../../../node/mesh/mesh-libp2p.ts'
import type { MeshLibp2p } from '../../../node/mesh/mesh-libp2p.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('clusterKeyProtector', function () {
  this.timeout(60_000)
  const nodes: MeshLibp2p[] = []
  afterEach(async () => { for (const n of nodes.splice(0)) await n.stop() })

  it('should keep its connections up after one write of megabytes, through thousands of writes after it', async () => {
    // in a child process: pnet's cipher memory is process-wide, and its failure outlives the test
    const fixture = fileURLToPath(new URL('./fixtures/large-write-over-cluster-key.ts', import.meta.url))
    const out = await new Promise<string>((resolve) => {
      execFile(process.execPath, [fixture], { timeout: 40_000 }, (_err, stdout) => { resolve(stdout) })
    })
    expect(out.trim().split('\n').at(-1)).to.equal(JSON.stringify({ ok: true, bytes: 2 * 1024 * 1024 + 2_000 * 1024 }))
  })

  it('should hand every connection it protects to the stalls, by the peer\'s address, and encrypt in pieces of at most 64 KiB', async () => {
    expect(PNET_MAX_WRITE_BYTES).to.equal(64 * 1024)
    const psk = new Uint8Array(95)
    generateKey(psk)
    const watched: Array<{ remoteAddr: string, maxMessageSize: number | undefined }> = []
    const stalls = new ConnectionStalls()
    const watch = stalls.watch.bind(stalls)
    stalls.watch = (stream, remoteAddr) => {
      watched.push({ remoteAddr, maxMessageSize: (stream as { maxMessageSize?: number }).maxMessageSize })
      watch(stream, remoteAddr)
    }
    // the protector of a's node is this one; b's is the usual (createMeshLibp2p)
    const faults = Object.assign(new FaultHooks(), { stalls })
    expect(String(clusterKeyProtector({ psk, stalls })())).to.equal('[object @libp2p/pnet]')
    const a = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: '/ip4/127.0.0.1/tcp/0', clusterKey: psk, faults })
    nodes.push(a)
    const b = await createMeshLibp2p({ privateKey: await generateKeyPair('Ed25519'), listen: '/ip4/127.0.0.1/tcp/0', clusterKey: psk, faults: new FaultHooks() })
    nodes.push(b)
    await b.dial(a.getMultiaddrs())
    // a's side of the upgrade ends a moment after b's dial resolved
    await waitFor(() => watched.length > 0 && a.getConnections(peerIdFromString(b.peerId.toString())).length === 1, 'a to protect the connection', { timeout: 5_000, interval: 5 })
    expect(watched).to.have.length(1)
    expect(watched[0]?.remoteAddr).to.match(/^\/ip4\/127\.0\.0\.1\/tcp\/\d+/)
    expect(watched[0]?.maxMessageSize).to.equal(PNET_MAX_WRITE_BYTES)
  })
})
