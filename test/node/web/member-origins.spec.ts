import { expect } from 'chai'
import { MAX_MEMBER_ORIGINS, MEMBER_ORIGINS_MS, MemberOrigins } from '../../../node/web/member-origins.ts'
import type { OriginMember } from '../../../node/web/member-origins.ts'
import { webOrigin } from '../../../node/web/web-origin.ts'

/** A clock for MemberOrigins; `nextRead()` moves it past the time a read is reused. */
function clock (): { now: () => number, nextRead: () => void } {
  let t = 0
  return { now: () => t, nextRead: () => { t += MEMBER_ORIGINS_MS } }
}

describe('MemberOrigins', () => {
  it('should let in the pages of every member heard, its own and members down included, and give those up for the page to call', () => {
    let members: OriginMember[] = [
      { status: 'up', addresses: { web: 'http://10.0.0.2:7404' } },
      { status: 'suspect', addresses: { web: 'http://10.0.0.3:7404' } },
      { status: 'up', addresses: {} }
    ]
    const time = clock()
    const origins = new MemberOrigins(() => members, () => 'http://10.0.0.1:7404', time.now)
    expect(origins.up()).to.deep.equal(['http://10.0.0.1:7404', 'http://10.0.0.2:7404'])
    expect(['http://10.0.0.1:7404', 'http://10.0.0.2:7404', 'http://10.0.0.3:7404', 'http://10.0.0.4:7404'].map((o) => origins.has(o))).to.deep.equal([true, true, true, false])
    // 10.0.0.2 is killed: its pages are still open in browsers, and move here
    members = [{ status: 'down', addresses: { web: 'http://10.0.0.2:7404' } }]
    time.nextRead()
    expect(origins.up()).to.deep.equal(['http://10.0.0.1:7404'])
    expect(origins.has('http://10.0.0.2:7404')).to.equal(true)
    members = []
    time.nextRead()
    expect(origins.has('http://10.0.0.2:7404'), 'and once it is no longer listed').to.equal(true)
  })

  it('should remember at most MAX_MEMBER_ORIGINS origins, the oldest heard going first, when members keep changing address', () => {
    let members: OriginMember[] = [{ status: 'up', addresses: { web: 'http://first.example' } }]
    const time = clock()
    const origins = new MemberOrigins(() => members, () => undefined, time.now)
    expect(origins.has('http://first.example')).to.equal(true)
    members = Array.from({ length: MAX_MEMBER_ORIGINS }, (_, i) => ({ status: 'up', addresses: { web: `http://n${i}.example` } }))
    time.nextRead()
    expect([origins.has('http://first.example'), origins.has('http://n0.example'), origins.has(`http://n${MAX_MEMBER_ORIGINS - 1}.example`)]).to.deep.equal([false, true, true])
  })
})

describe('webOrigin', () => {
  it('should give the listen address as an origin, https with TLS, web-advertise when set, and none for a wildcard', () => {
    expect(webOrigin({ host: '127.0.0.1', port: 7404 }, false)).to.equal('http://127.0.0.1:7404')
    expect(webOrigin({ host: 'Chat.Example.com', port: 443 }, true)).to.equal('https://chat.example.com')
    expect(webOrigin({ host: '::1', port: 7404 }, true)).to.equal('https://[::1]:7404')
    for (const host of ['0.0.0.0', '::']) expect(webOrigin({ host, port: 7404 }, false), host).to.equal(undefined)
    expect(webOrigin({ host: '0.0.0.0', port: 7404 }, true, 'https://chat1.example.com')).to.equal('https://chat1.example.com')
  })
})
