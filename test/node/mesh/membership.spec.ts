import { expect } from 'chai'
import { Packr } from 'msgpackr'
import { MemberTable, decodeMemberRecord, encodeMemberRecord } from '../../../node/mesh/membership.ts'
import type { MemberRecord } from '../../../node/mesh/membership.ts'

const member = (peerId: string, incarnation = 1): MemberRecord => ({
  peerId,
  roles: ['chat'],
  addresses: { grpc: '127.0.0.1:7400', admin: '127.0.0.1:7402', p2p: [`/ip4/127.0.0.1/tcp/7401/p2p/${peerId}`] },
  load: { actors: 3, entities: 1, mailbox: 0, rssBytes: 1000 },
  capacity: 1,
  status: 'up',
  incarnation,
  version: '0.1.0'
})

describe('MemberTable', () => {
  const answered = (table: MemberTable, peer: string): void => { table.detector.acked(peer, { direct: true, rttMs: 1 }) }

  it('should list a member once it answers a probe, suspect when a probe goes unanswered, down only after missed rounds and the failure timeout, and up at its next answer', () => {
    let now = 0
    const table = new MemberTable({ failureTimeout: 1000, now: () => now })
    table.heard(member('a'))
    expect(table.view(), 'heard of, never answered: not listed').to.deep.equal([])
    expect(table.probed()).to.deep.equal(['a'])
    answered(table, 'a')
    expect(table.view()[0]?.status).to.equal('up')
    // records alone keep no member up, and silence alone downs none: probes decide
    now = 5_000
    expect(table.view()[0]?.status).to.equal('up')
    table.detector.directMissed('a')
    expect(table.view()[0]?.status).to.equal('suspect')
    table.detector.missed('a')
    table.detector.missed('a')
    expect(table.view()[0]?.status).to.equal('down')
    table.heard(member('a'))
    expect(table.view()[0]?.status, 'a record relayed by another member does not bring it back').to.equal('down')
    answered(table, 'a')
    expect(table.view()[0]).to.include({ status: 'up', lastSeen: 5_000 })
  })

  it('should keep a draining or joining member so until it is down, never suspect (never a candidate again)', () => {
    let now = 0
    const table = new MemberTable({ failureTimeout: 1000, now: () => now })
    table.heard({ ...member('a'), status: 'draining' })
    table.heard({ ...member('b'), status: 'joining' })
    answered(table, 'a')
    answered(table, 'b')
    for (const p of ['a', 'b']) table.detector.directMissed(p)
    expect(table.view().map((m) => m.status)).to.deep.equal(['draining', 'joining'])
    now = 1001
    for (const p of ['a', 'b']) { table.detector.missed(p); table.detector.missed(p) }
    expect(table.view().map((m) => m.status)).to.deep.equal(['down', 'down'])
    // the drained one left on purpose (its dialers and the cluster say so at info, not as a failure)
    expect([table.drained('a'), table.drained('b'), table.drained('nobody')]).to.deep.equal([true, false, false])
    // a new incarnation that says it is up, once it answers, is up
    table.heard({ ...member('a', 2), status: 'up' })
    answered(table, 'a')
    expect(table.view()[0]?.status).to.equal('up')
    expect(table.drained('a')).to.equal(false)
  })

  it('should mark a member found unreachable down at once, saying its process is gone, until it answers again', () => {
    const table = new MemberTable({ failureTimeout: 1000 })
    table.heard(member('a'))
    answered(table, 'a')
    expect(table.unreachable('a')).to.equal(true)
    expect(table.unreachable('a'), 'once').to.equal(false)
    expect(table.unreachable('nobody')).to.equal(false)
    expect(table.view()[0]).to.include({ status: 'down', gone: true })
    table.heard(member('a', 2))
    expect(table.view()[0]?.status, 'a new record alone: still down').to.equal('down')
    answered(table, 'a')
    expect(table.view()[0]?.status).to.equal('up')
    expect(table.view()[0]?.gone).to.equal(undefined)
  })

  it('should say when a member is reached only through others, and when it does not hear this node', () => {
    const table = new MemberTable({ failureTimeout: 1000 })
    table.heard(member('a'))
    table.detector.acked('a', { direct: false })
    table.detector.pinged('a', 5)
    expect(table.view()[0]).to.include({ status: 'up', indirect: true, unhearing: true })
  })

  it('should ignore a record of an older incarnation (a delayed heartbeat from before a restart)', () => {
    const table = new MemberTable({ failureTimeout: 1000 })
    expect(table.heard(member('a', 5))).to.equal(true)
    expect(table.heard(member('a', 4))).to.equal(false)
    answered(table, 'a')
    expect(table.view()[0]?.incarnation).to.equal(5)
  })

  it('should ignore a record of the same incarnation numbered no higher than the one it has (sent before it, arrived after), and number none of a version without seq', () => {
    const table = new MemberTable({ failureTimeout: 1000 })
    expect(table.heard({ ...member('a'), seq: 3, settled: true })).to.equal(true)
    expect(table.heard({ ...member('a'), seq: 2, settled: false, status: 'joining' }), 'an earlier one').to.equal(false)
    expect(table.heard({ ...member('a'), seq: 3, settled: false }), 'the same number again').to.equal(false)
    answered(table, 'a')
    expect(table.view()[0]).to.include({ seq: 3, settled: true, status: 'up' })
    expect(table.heard({ ...member('a'), seq: 4, settled: false })).to.equal(true)
    expect(table.view()[0]).to.include({ seq: 4, settled: false })
    // a restart numbers from 1 again: a newer incarnation wins whatever its seq
    expect(table.heard({ ...member('a', 2), seq: 1 })).to.equal(true)
    // a member of a version that does not number its records: each is taken, as before
    expect(table.heard(member('b'))).to.equal(true)
    expect(table.heard({ ...member('b'), status: 'joining' })).to.equal(true)
    expect(table.heard({ ...member('b'), seq: 1 })).to.equal(true)
    expect(table.heard(member('b')), 'one without seq after one with: taken (nothing to order it by)').to.equal(true)
  })
})

describe('decodeMemberRecord', () => {
  it('should round-trip a record from its sender', () => {
    expect(decodeMemberRecord(encodeMemberRecord(member('a')), 'a')).to.deep.equal(member('a'))
  })

  it('should carry the origin browsers reach a member\'s user listener at, and refuse one that is not a plain http or https origin', () => {
    for (const web of ['https://chat1.example.com:7404', 'http://127.0.0.1:7404', 'http://[::1]:7404']) {
      const record = { ...member('a'), addresses: { ...member('a').addresses, web } }
      expect(decodeMemberRecord(encodeMemberRecord(record), 'a')).to.deep.equal(record)
    }
    const packr = new Packr({ useRecords: false })
    for (const web of ['javascript:alert(1)', 'https://chat.example.com/', 'https://chat.example.com/x', "https://a.example 'unsafe-inline'", 'ftp://x.example', 'https://x.example:443', `https://${'a'.repeat(300)}.example`, 7404]) {
      const bytes = packr.pack({ ...member('a'), addresses: { ...member('a').addresses, web } })
      expect(() => decodeMemberRecord(bytes, 'a'), String(web)).to.throw(/addresses\.web: expected an http or https origin/).with.property('name', 'InvalidMemberRecordError')
    }
  })

  it('should carry the record\'s seq', () => {
    const record = { ...member('a'), seq: 42 }
    expect(decodeMemberRecord(encodeMemberRecord(record), 'a')).to.deep.equal(record)
  })

  it('should carry the models a member has loaded', () => {
    const record = { ...member('a'), models: ['plexi-tiny-f16', 'other'] }
    expect(decodeMemberRecord(encodeMemberRecord(record), 'a')).to.deep.equal(record)
  })

  it('should carry the plugin versions and registered servers a member runs', () => {
    const record = { ...member('a'), plugins: [{ name: 'clock', version: '1.2.0' }, { name: 'clock', version: '1.3.0-rc.1' }], servers: ['memory'] }
    expect(decodeMemberRecord(encodeMemberRecord(record), 'a')).to.deep.equal(record)
  })

  it('should carry pins and the left mark, and a table should stop listing a member that left once it is down', () => {
    const record = { ...member('a'), pins: [['AAAAAAAAAAAAAAAA', 3]] as Array<[string, number]>, left: true }
    expect(decodeMemberRecord(encodeMemberRecord(record), 'a')).to.deep.equal(record)
    let now = 0
    const table = new MemberTable({ failureTimeout: 1_000, now: () => now })
    table.heard(record)
    table.heard(member('b'))
    for (const p of ['a', 'b']) table.detector.acked(p, { direct: true, rttMs: 1 })
    expect(table.view().map((m) => m.peerId)).to.deep.equal(['a', 'b'])
    now = 1_001
    table.detector.missed('a')
    table.detector.missed('a')
    expect(table.view().map((m) => m.peerId), 'a left and is down: no longer listed').to.deep.equal(['b'])
    expect(table.probed(), 'nor probed').to.deep.equal(['b'])
  })

  it('should refuse garbage, oversized, impostor and malformed records with the reason', () => {
    const packr = new Packr({ useRecords: false })
    const cases: Array<[Uint8Array, string, RegExp]> = [
      [new Uint8Array([0xc1, 0xff, 0x00]), 'a', /not msgpack|not an object/],
      [new Uint8Array(40_000), 'a', /over 32768/],
      [packr.pack({ ...member('a'), pins: [['short', 1]] }), 'a', /pins/],
      [packr.pack({ ...member('a'), pins: [['AAAAAAAAAAAAAAAA', 0]] }), 'a', /pins/],
      [packr.pack({ ...member('a'), pins: Array.from({ length: 513 }, () => ['AAAAAAAAAAAAAAAA', 1]) }), 'a', /pins/],
      [packr.pack({ ...member('a'), left: 'yes' }), 'a', /left/],
      [packr.pack({ ...member('a'), seq: 0 }), 'a', /seq: expected a positive integer/],
      [packr.pack({ ...member('a'), seq: 1.5 }), 'a', /seq: expected a positive integer/],
      [packr.pack({ ...member('a'), seq: '2' }), 'a', /seq: expected a positive integer/],
      [packr.pack({ ...member('a'), models: 'plexi-tiny-f16' }), 'a', /models/],
      [packr.pack({ ...member('a'), models: [''] }), 'a', /models/],
      [packr.pack({ ...member('a'), models: [7] }), 'a', /models/],
      [packr.pack({ ...member('a'), models: Array.from({ length: 17 }, (_, i) => `m${i}`) }), 'a', /models/],
      [packr.pack({ ...member('a'), plugins: 'clock' }), 'a', /plugins/],
      [packr.pack({ ...member('a'), plugins: [{ name: 'Clock', version: '1.0.0' }] }), 'a', /plugins/],
      [packr.pack({ ...member('a'), plugins: [{ name: 'clock', version: 'latest' }] }), 'a', /plugins/],
      [packr.pack({ ...member('a'), plugins: [{ name: 'clock' }] }), 'a', /plugins/],
      [packr.pack({ ...member('a'), plugins: Array.from({ length: 129 }, () => ({ name: 'clock', version: '1.0.0' })) }), 'a', /plugins/],
      [packr.pack({ ...member('a'), servers: ['a__b'] }), 'a', /servers/],
      [packr.pack({ ...member('a'), servers: 'memory' }), 'a', /servers/],
      [encodeMemberRecord(member('a')), 'b', /is not the sender b/],
      [packr.pack({ ...member('a'), roles: 'chat' }), 'a', /roles/],
      [packr.pack({ ...member('a'), status: 'emperor' }), 'a', /status/],
      [packr.pack({ ...member('a'), load: { actors: -1 } }), 'a', /load/],
      [packr.pack([1, 2, 3]), 'a', /not an object/]
    ]
    for (const [bytes, from, why] of cases) {
      expect(() => decodeMemberRecord(bytes, from)).to.throw(why).with.property('name', 'InvalidMemberRecordError')
    }
  })
})
