import { expect } from 'chai'
import { probeNetworkIsolation } from '../../../node/plugins/index.ts'

describe('network isolation', () => {
  it('should find a network namespace this machine can make, or say why it cannot', async () => {
    const isolation = await probeNetworkIsolation()
    if (isolation.available) {
      expect(isolation.command).to.match(/\/unshare$/)
      expect(isolation.args.at(-1)).to.equal('--net')
      expect(isolation.how).to.include('--net')
    } else {
      expect(isolation.why).to.match(/unshare|Linux/)
    }
    // the machines this suite runs on (Linux, root or user namespaces) can
    if (process.platform === 'linux' && process.getuid?.() === 0) expect(isolation.available).to.equal(true)
  })

  it('should say why when the program it runs in the namespace does not start', async () => {
    const isolation = await probeNetworkIsolation('/no/such/node')
    expect(isolation.available).to.equal(false)
    if (!isolation.available) expect(isolation.why).to.match(/could not make a network namespace|not found|Linux/)
  })
})
