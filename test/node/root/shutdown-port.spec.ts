import { expect } from 'chai'
import { ShutdownPort } from '../../../node/root/index.ts'

describe('ShutdownPort', () => {
  it('should refuse a stop while the node is still starting, and stop the node once bound', async () => {
    const port = new ShutdownPort()
    let failed: unknown
    await port.stop().catch((err: unknown) => { failed = err })
    expect((failed as Error).message).to.contain('still starting')
    let stops = 0
    port.bind(async () => { stops++ })
    await port.stop()
    expect(stops).to.equal(1)
    expect(() => { port.bind(async () => undefined) }).to.throw('bound already')
  })
})
