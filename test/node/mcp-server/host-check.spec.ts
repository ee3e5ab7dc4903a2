import { expect } from 'chai'
import { ForbiddenHostError, LOOPBACK_HOSTNAMES, hostCheck, isLoopback } from '../../../node/mcp-server/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('hostCheck', () => {
  it('should tell loopback listen addresses from others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) expect(isLoopback(host), host).to.equal(true)
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'fd00::1', 'plexi.example.com', '128.0.0.1']) expect(isLoopback(host), host).to.equal(false)
  })

  it('should answer a loopback listener\'s requests whose Host and Origin are loopback names, with any port', () => {
    const check = hostCheck('127.0.0.1')
    for (const name of LOOPBACK_HOSTNAMES) {
      check({ host: `${name}:7403` })
      check({ host: name, origin: `http://${name}:6274` })
      check({ host: `${name}:1`, origin: `https://${name}` })
    }
  })

  it('should refuse a loopback listener\'s request from a rebound name, by Host or by Origin, naming it', () => {
    const check = hostCheck('[::1]')
    for (const request of [
      { host: 'evil.example.com' },
      { host: 'evil.example.com:7403', origin: 'http://localhost' },
      { host: '127.0.0.1@evil.example.com' },
      { host: 'localhost:7403', origin: 'http://evil.example.com' },
      { host: 'localhost', origin: 'null' },
      { host: 'localhost', origin: 'file:///tmp/page.html' },
      { host: 'localhost', origin: 'not a url' },
      {},
      { host: '' },
      { host: 'x'.repeat(10_000) }
    ]) {
      const err = thrown(() => { check(request) })
      expect(err, JSON.stringify(request).slice(0, 80)).to.be.instanceOf(ForbiddenHostError)
      expect((err as Error).message.length).to.be.below(300)
    }
  })

  it('should check nothing on a listener others reach by names the node cannot know, where every request carries a token', () => {
    const check = hostCheck('0.0.0.0')
    check({ host: 'plexi.example.com', origin: 'https://editor.example.org' })
    check({})
    hostCheck('10.0.0.5')({ host: 'evil.example.com' })
  })
})
