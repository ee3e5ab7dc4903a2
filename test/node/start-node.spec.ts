import { expect } from 'chai'
import { startNode } from '../../node/index.ts'
import type { RunningNode } from '../../node/index.ts'
import { keptLog, loneConfig } from '../helpers/node-parts-fixture.ts'
import { tempDir } from '../helpers/temp-dir.ts'

describe('startNode', () => {
  let dir: { path: string, remove: () => Promise<void> }
  let running: RunningNode | undefined
  beforeEach(async () => { dir = await tempDir() })
  afterEach(async () => {
    await running?.stop()
    running = undefined
    await dir.remove()
  })

  it('should start a lone node ready on the ports it got, and stop it once however often it is asked', async () => {
    const { log, lines } = keptLog()
    running = await startNode(await loneConfig(dir.path), log)
    expect(running.state).to.equal('ready')
    expect(running.grpc.port).to.be.greaterThan(0)
    expect(running.admin.port).to.be.greaterThan(0)
    expect(running.roles).to.deep.equal(['chat', 'storage'])
    expect((await fetch(`http://127.0.0.1:${running.admin.port}/readyz`)).status).to.equal(200)
    const first = running.stop()
    expect(running.stop()).to.equal(first)
    await first
    await running.stopped
    expect(running.state).to.equal('draining')
    expect(lines.map((l) => l.msg)).to.include('stopped: journal flushed')
    let refused = false
    await fetch(`http://127.0.0.1:${running.admin.port}/livez`).catch(() => { refused = true })
    expect(refused).to.equal(true)
  })

  it('should stop what it started when a part fails to start, and start again on the same data dir', async () => {
    const { log } = keptLog()
    running = await startNode(await loneConfig(dir.path), log)
    const taken = running.grpc.port
    const other = await tempDir()
    try {
      const second = keptLog()
      let failed: unknown
      await startNode(await loneConfig(other.path, { 'grpc-listen': `127.0.0.1:${taken}` }), second.log).catch((err: unknown) => { failed = err })
      expect((failed as Error).message).to.contain(`127.0.0.1:${taken}`)
      // what started before the gRPC server stopped: the store is free again
      const again = await startNode(await loneConfig(other.path), second.log)
      await again.stop()
    } finally {
      await other.remove()
    }
  })
})
