import { expect } from 'chai'
import { HANDOVER_RECORDS } from '../../../../node/replication/constants.ts'
import { handOverTicket, resumedInit } from '../../../../node/replication/journal/log-hand-over.ts'
import { LogState, newTrack } from '../../../../node/replication/journal/log-state.ts'
import type { OwnerEnv } from '../../../../node/replication/journal/owner-env.ts'

const env: OwnerEnv = { call: async () => await Promise.reject(new Error('unused')), timer: () => () => undefined, random: () => 0.25, now: () => 0 }

/** A log of epoch 9: seqs 1-6, 1-4 acknowledged, 5-6 in flight; replicas a, b, c; d a source. */
function stateOf (inFlight = 2): LogState {
  const head = 4 + inFlight
  const tail = Array.from({ length: head - 2 }, (_, i) => ({ seq: i + 3, epoch: 9, event: { n: i + 3 } }))
  return new LogState({
    epoch: 9, head, segments: [[9, 1]], tail, tailStart: 3, sealed: 1, committed: 4,
    tracks: [newTrack('a', { match: head }), newTrack('b', { match: 4 }), newTrack('c', { match: -1 })],
    sources: [newTrack('d', { match: 2, broken: true })],
    snapshotHolders: [], holder: 'act', readFloor: 0
  }, 2)
}

describe('log hand-over', () => {
  it('should hand over the log as a ticket: epoch, commitment, each replica\'s standing and the records in flight', () => {
    const ticket = handOverTicket(stateOf(), 'room/a', 'act', 't1')
    expect(ticket).to.deep.equal({
      id: 't1', entity: 'room/a', epoch: 9, activation: 'act', head: 6, committed: 4, sealed: 1, segments: [[9, 1]], writeQuorum: 2,
      replicas: [{ node: 'a', match: 6 }, { node: 'b', match: 4 }, { node: 'c', match: -1 }],
      sources: [{ node: 'd', match: 2 }],
      tail: [{ seq: 5, epoch: 9, event: { n: 5 } }, { seq: 6, epoch: 9, event: { n: 6 } }]
    })
    // more in flight than a ticket carries: none
    expect(handOverTicket(stateOf(HANDOVER_RECORDS + 1), 'room/a', 'act', 't2')).to.equal(undefined)
  })

  it('should resume the next owner\'s log from a ticket that fits its view, with a lease holder of its own', () => {
    const ticket = handOverTicket(stateOf(), 'room/a', 'act', 't1')
    if (ticket === undefined) throw new Error('no ticket')
    const opts = { entityId: 'room/a', replicas: ['c', 'a', 'b'], writeQuorum: 2, env }
    const init = resumedInit(opts, ticket)
    expect(init).to.deep.include({ epoch: 9, head: 6, committed: 4, sealed: 1, tailStart: 5, readFloor: 6, snapshotHolders: [] })
    expect(init?.holder).to.equal(`act~${Math.floor(0.25 * 2 ** 52).toString(36)}`)
    expect(init?.tracks.map((t) => [t.node, t.match, t.broken])).to.deep.equal([['c', -1, false], ['a', 6, false], ['b', 4, false]])
    expect(init?.sources.map((t) => [t.node, t.broken])).to.deep.equal([['d', true]])
    // another entity, another replica set, another write quorum: it does not fit
    expect(resumedInit({ ...opts, entityId: 'room/b' }, ticket)).to.equal(undefined)
    expect(resumedInit({ ...opts, replicas: ['a', 'b', 'x'] }, ticket)).to.equal(undefined)
    expect(resumedInit({ ...opts, writeQuorum: 3 }, ticket)).to.equal(undefined)
  })
})
