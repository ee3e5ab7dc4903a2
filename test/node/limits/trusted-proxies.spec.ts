import { expect } from 'chai'
import { TrustedProxies, UNKNOWN_CLIENT } from '../../../node/limits/index.ts'
import { thrown } from '../../helpers/thrown.ts'

describe('TrustedProxies', () => {
  const proxies = new TrustedProxies(['10.0.0.5', '192.168.0.0/16', 'fd00::/8', '::1'])

  it('should trust the addresses and networks given, in every form a server reports them, and nothing else', () => {
    for (const a of ['10.0.0.5', '::ffff:10.0.0.5', '192.168.7.9', 'fd12::3', '::1', 'ipv4:10.0.0.5:5555', '[::1]:7400']) expect(proxies.trusts(a), a).to.equal(true)
    for (const a of ['10.0.0.6', '192.169.0.1', 'fe80::1', '127.0.0.1', 'nonsense', '']) expect(proxies.trusts(a), a).to.equal(false)
    expect(new TrustedProxies([]).trusts('10.0.0.5')).to.equal(false)
  })

  it('should take the client from X-Forwarded-For only through trusted proxies, read from the right', () => {
    // a client straight to the node: what it writes is not believed
    expect(proxies.clientOf('203.0.113.7', '1.1.1.1')).to.equal('203.0.113.7')
    // through one proxy
    expect(proxies.clientOf('10.0.0.5', '203.0.113.7')).to.equal('203.0.113.7')
    // a client that wrote an address of its own first: the proxy appended the real one after it
    expect(proxies.clientOf('10.0.0.5', '1.1.1.1, 203.0.113.7')).to.equal('203.0.113.7')
    // through two trusted proxies, then the client
    expect(proxies.clientOf('10.0.0.5', '2001:db8::9, 192.168.1.1')).to.equal('2001:db8::9')
    // every hop a trusted proxy: the leftmost one
    expect(proxies.clientOf('10.0.0.5', '192.168.1.1')).to.equal('192.168.1.1')
    // no header: the proxy itself
    expect(proxies.clientOf('10.0.0.5', undefined)).to.equal('10.0.0.5')
    // a proxy passing on something that is no address: the proxy answers for it
    expect(proxies.clientOf('10.0.0.5', 'unknown')).to.equal('10.0.0.5')
    expect(proxies.clientOf('10.0.0.5', '203.0.113.7, nonsense')).to.equal('10.0.0.5')
    expect(proxies.clientOf(undefined, '203.0.113.7')).to.equal(UNKNOWN_CLIENT)
  })

  it('should read at most 16 hops of a forwarded-for list', () => {
    const all = new TrustedProxies(['0.0.0.0/0'])
    const hops = Array.from({ length: 40 }, (_, i) => `10.0.${i}.1`).join(', ')
    expect(all.clientOf('10.9.9.9', hops)).to.equal('10.0.24.1')
  })

  it('should refuse entries that are not addresses or networks', () => {
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'host.example', '10.0.0.0/x', '']) expect(thrown(() => new TrustedProxies([bad])), bad).to.be.instanceOf(RangeError)
  })
})
