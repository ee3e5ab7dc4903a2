import { expect } from 'chai'
import { clock, topFrame, uptime } from '../../cli/top-frame.ts'
import type { NodeStats } from '../../cli/top-frame.ts'
import type { StatsSample } from '../../node/index.ts'
import type { Member } from '../../protocols/index.ts'

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0)
const SELF = '12D3KooWSelfAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA1111'

function member (peerId: string, over: Partial<Member> = {}): Member {
  return {
    peerId, roles: ['chat', 'storage'], status: 'up', addresses: { grpc: '127.0.0.1:7400', admin: '127.0.0.1:7402', p2p: [] },
    load: { actors: 12, entities: 3, mailbox: 0, rssBytes: 126_143_693 }, capacity: 2, startedAt: NOW - 303_000, version: '0.1.0', ...over
  }
}

function sample (over: Partial<StatsSample> = {}): StatsSample {
  return {
    ts: NOW - 400, postsPerSec: 12, deliveriesPerSec: 40.25, asksPerSec: 0.5, askMeanMs: 3.14, askP99Ms: 25, tokensPerSec: 118.7,
    rssBytes: 126_143_693, heapUsedBytes: 42_047_898, actors: 12, entities: 3, members: [], ...over
  }
}

function stats (samples: StatsSample[]): NodeStats {
  return { node: SELF, intervalMs: 1000, samples }
}

describe('topFrame', () => {
  const members = [
    member(SELF),
    member('12D3KooWOtherBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB2222', { roles: ['ai'], status: 'suspect', startedAt: NOW - 2 * 86_400_000 - 4 * 3_600_000, load: { actors: 7, entities: 1, mailbox: 42, rssBytes: 2_048 } }),
    member('12D3KooWGoneCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC3333', { roles: [], status: 'down' })
  ]

  it('should show the members by status, this node\'s rates from the newest sample, and a row per member', () => {
    const older = sample({ ts: NOW - 1400, postsPerSec: 999 })
    const lines = topFrame({ members, stats: stats([older, sample()]), now: NOW, endpoint: '127.0.0.1:7402' })
    expect(lines).to.deep.equal([
      `plexi admin top 127.0.0.1:7402  3 members: 1 up, 1 suspect, 1 down  ${clock(NOW)}`,
      '',
      'POSTS/S  DELIVERIES/S  ASKS/S  ASK MEAN  ASK P99  TOKENS/S  RSS        HEAP',
      '12.0     40.3          0.5     3.1 ms    25.0 ms  118.7     120.3 MiB  40.1 MiB',
      '',
      'PEER                  ROLES         STATUS   UPTIME  ACTORS  ENTITIES  MAILBOX  RSS',
      '12D3Ko…AA1111 (self)  chat,storage  up       5m 03s  12      3         0        120.3 MiB',
      '12D3Ko…BB2222         ai            suspect  2d 04h  7       1         42       2.0 KiB',
      '12D3Ko…CC3333         -             down     -       12      3         0        120.3 MiB'
    ])
  })

  it('should say so when the node has no sample yet, or serves no stats, and show "-" for latencies when no ask ended', () => {
    expect(topFrame({ members, stats: stats([]), now: NOW })[2]).to.equal('no stats sample yet (the node takes one every 1 s)')
    expect(topFrame({ members, stats: { ...stats([]), intervalMs: 2500 }, now: NOW })[2]).to.equal('no stats sample yet (the node takes one every 2.5 s)')
    expect(topFrame({ members, stats: null, now: NOW })[2]).to.match(/^this node serves no stats \(GET \/api\/v1\/stats: 404\)/)
    const idle = topFrame({ members, stats: stats([sample({ askMeanMs: null, askP99Ms: null })]), now: NOW })
    expect(idle[3]).to.match(/^12\.0\s+40\.3\s+0\.5\s+-\s+-\s+118\.7/)
    // nobody marked (self) when the stats are not there to say which member this node is
    expect(topFrame({ members, stats: null, now: NOW }).join('\n')).to.not.include('(self)')
  })

  it('should put the note under the header', () => {
    const lines = topFrame({ members, stats: stats([sample()]), now: NOW, note: 'every 1000 ms; q quits' })
    expect(lines[1]).to.equal('every 1000 ms; q quits')
    expect(lines[2]).to.equal('')
  })

  it('should cut lines to the width, and count the members that do not fit the height', () => {
    const many = Array.from({ length: 30 }, (_, i) => member(`12D3KooWMany${String(i).padStart(40, '0')}`))
    const lines = topFrame({ members: many, stats: stats([sample()]), now: NOW, width: 40, height: 12 })
    expect(lines).to.have.length(12)
    for (const line of lines) expect(line.length).to.be.at.most(40)
    expect(lines[5]).to.equal('PEER           ROLES         STATUS  UPT')
    // header, blank, rates (2), blank, table header, 5 members, and the rest counted
    expect(lines.slice(6, 11).every((l) => l.startsWith('12D3Ko…'))).to.equal(true)
    expect(lines[11]).to.equal('… 25 more members (a taller terminal sho')
    // tall enough: every member, no count
    expect(topFrame({ members: many, stats: stats([sample()]), now: NOW, height: 100 })).to.have.length(6 + 30)
  })

  it('should render an empty cluster', () => {
    expect(topFrame({ members: [], stats: stats([]), now: NOW })).to.deep.equal([
      `plexi admin top  0 members  ${clock(NOW)}`, '', 'no stats sample yet (the node takes one every 1 s)', '',
      'PEER  ROLES  STATUS  UPTIME  ACTORS  ENTITIES  MAILBOX  RSS'
    ])
  })
})

describe('uptime', () => {
  it('should read as seconds, minutes, hours or days with the next unit', () => {
    expect([0, 42_999, 60_000, 303_000, 3_600_000, 3_600_000 * 5 + 12 * 60_000, 86_400_000 * 2 + 3_600_000 * 4, -5].map(uptime))
      .to.deep.equal(['0s', '42s', '1m 00s', '5m 03s', '1h 00m', '5h 12m', '2d 04h', '0s'])
  })
})
