import { expect } from 'chai'
import { UNKNOWN_CLIENT, clientAddress, clientKey } from '../../../node/limits/index.ts'

describe('clientAddress', () => {
  it('should take the address out of every form the servers give, the port dropped', () => {
    for (const [given, address] of [
      ['127.0.0.1', '127.0.0.1'],
      ['ipv4:127.0.0.1:5555', '127.0.0.1'],
      ['10.1.2.3:443', '10.1.2.3'],
      ['ipv6:[::1]:5555', '::1'],
      ['[2001:DB8::1]:80', '2001:db8::1'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['2001:db8::7', '2001:db8::7']
    ] as const) {
      expect(clientAddress(given), given).to.equal(address)
    }
  })

  it('should make an IPv4-mapped IPv6 address the IPv4 address, so that one client is one key', () => {
    expect(clientAddress('::ffff:127.0.0.1')).to.equal('127.0.0.1')
    expect(clientAddress('ipv6:[::ffff:192.168.1.20]:5555')).to.equal('192.168.1.20')
    expect(clientAddress('::FFFF:c0a8:0114')).to.equal('192.168.1.20')
    // not mapped: another prefix, or NAT64
    expect(clientAddress('64:ff9b::192.168.1.20')).to.equal('64:ff9b::192.168.1.20')
  })

  it('should call anything that is no IP address unknown', () => {
    for (const given of [undefined, '', 'unknown', 'unix:/tmp/plexi.sock', '[::1', '999.1.1.1', 'localhost:80']) {
      expect(clientAddress(given), String(given)).to.equal(UNKNOWN_CLIENT)
    }
  })
})

describe('clientKey', () => {
  it('should key an IPv4 address by itself and an IPv6 one by its /64', () => {
    expect(clientKey('203.0.113.9')).to.equal('203.0.113.9')
    expect(clientKey('2001:db8:1:2:aaaa::1')).to.equal('2001:db8:1:2::/64')
    expect(clientKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).to.equal('2001:db8:1:2::/64')
    expect(clientKey('2001:db8:1:3::1')).to.equal('2001:db8:1:3::/64')
    expect(clientKey('::1')).to.equal('0:0:0:0::/64')
    expect(clientKey(UNKNOWN_CLIENT)).to.equal(UNKNOWN_CLIENT)
  })
})
