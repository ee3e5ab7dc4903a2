import { expect } from 'chai'
import { NODE_BASE, nodeBase, nodePreflight } from '../../../node/root/index.ts'
import { keptLog, loneConfig } from '../../helpers/node-parts-fixture.ts'
import { tempDir } from '../../helpers/temp-dir.ts'

describe('nodeBase', () => {
  it('should give exactly the names NODE_BASE lists, starting, reached at the configured addresses', async () => {
    const dir = await tempDir()
    try {
      const config = await loneConfig(dir.path)
      const c = nodeBase(config, keptLog().log, await nodePreflight(config))
      expect([...c.given].sort()).to.deep.equal([...NODE_BASE].sort())
      expect(c.get('state').now).to.equal('starting')
      expect(c.get('reach')).to.deep.equal({ grpc: config.grpcListen, admin: config.adminListen, p2p: [] })
      expect(c.get('roles').current).to.deep.equal(['chat', 'storage'])
      expect(c.get('membership').members()).to.deep.equal([])
    } finally {
      await dir.remove()
    }
  })
})
