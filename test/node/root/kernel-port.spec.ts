import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { KernelPort } from '../../../node/root/index.ts'

describe('KernelPort', () => {
  it('should refuse the system before the actors part bound it, and give it after', async () => {
    const port = new KernelPort()
    expect(() => port.system()).to.throw('the actor system is not running yet')
    const system = new ActorSystem({ node: 'n1' })
    try {
      port.bind(system)
      expect(port.system()).to.equal(system)
      expect(() => { port.bind(system) }).to.throw('bound already')
    } finally {
      await system.terminate()
    }
  })
})
