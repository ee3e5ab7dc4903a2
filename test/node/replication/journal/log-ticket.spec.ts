import { expect } from 'chai'
import { EntityLog, InvalidLogTicketError, checkLogTicket } from '../../../../node/index.ts'
import type { LogTicket } from '../../../../node/index.ts'
import { HANDOVER_RECORDS, MAX_TICKET_SOURCES } from '../../../../node/replication/constants.ts'
import { posts, useReplicaSet } from '../fixtures/replica-set.ts'

/** A hand-over ticket that came off the wire is checked before an owner goes on from it. */
describe('checkLogTicket', () => {
  const { env } = useReplicaSet(['a', 'b', 'c'])
  const open = (replicas: string[], activation: string): Promise<EntityLog> =>
    EntityLog.open({ entityId: 'room/moved', replicas, writeQuorum: 2, activation, env, appendTimeoutMs: 5_000 })

  it('should refuse a ticket no correct owner could have handed over', async () => {
    const first = await open(['a', 'b', 'c'], 'first')
    await first.append(posts(1, 2))
    const ticket = first.handOver('t1') as LogTicket
    const bad: Array<[string, unknown]> = [
      ['not an object', 'ticket'],
      ['no id', { ...ticket, id: '' }],
      ['an entity id without a type', { ...ticket, entity: 'moved' }],
      ['epoch 0', { ...ticket, epoch: 0 }],
      ['a sealed seq past the head', { ...ticket, sealed: 3 }],
      ['a committed seq past the head', { ...ticket, committed: 3 }],
      ['records in flight that are not the tail', { ...ticket, committed: 1, tail: [] }],
      ['a record in flight of another epoch', { ...ticket, committed: 1, tail: [{ seq: 2, epoch: ticket.epoch - 1, event: {} }] }],
      ['a head without segments', { ...ticket, segments: [] }],
      ['a segment past the head', { ...ticket, segments: [[ticket.epoch, 3]] }],
      ['a segment of a later epoch', { ...ticket, segments: [[ticket.epoch + 1, 1]] }],
      ['segments going down', { ...ticket, head: 5, segments: [[ticket.epoch - 1, 3], [ticket.epoch, 1]] }],
      ['no replica', { ...ticket, replicas: [] }],
      ['a replica named twice', { ...ticket, replicas: [{ node: 'a', match: 1 }, { node: 'a', match: 2 }] }],
      ['a match past the head', { ...ticket, replicas: [{ node: 'a', match: 3 }] }],
      ['a write quorum above the replicas', { ...ticket, writeQuorum: 4 }],
      ['sources not a list', { ...ticket, sources: {} }],
      ['configuration version 0', { ...ticket, version: 0 }],
      ['a configuration version that is not a whole number', { ...ticket, version: 1.5 }],
      ['moving without a version', { ...ticket, moving: true }],
      ['moving not true', { ...ticket, version: 3, moving: 'yes' }]
    ]
    for (const [what, value] of bad) {
      expect(() => checkLogTicket(value), what).to.throw(InvalidLogTicketError)
    }
    expect(checkLogTicket(structuredClone(ticket))).to.deep.equal(ticket)
    // (the configuration version the log carried, under roster versions: kept)
    expect(checkLogTicket({ ...ticket, version: 7 })).to.deep.equal({ ...ticket, version: 7 })
    // (a log moving to that version when handed over: the next owner fences for the move itself)
    expect(checkLogTicket({ ...ticket, version: 7, moving: true })).to.deep.equal({ ...ticket, version: 7, moving: true })
  })

  it('should bound what a ticket may carry: the records in flight and the sources it names', async () => {
    const first = await open(['a', 'b', 'c'], 'first')
    await first.append(posts(1, 2))
    const ticket = first.handOver('t1') as LogTicket
    const head = HANDOVER_RECORDS + 1
    const tail = Array.from({ length: head }, (_, i) => ({ seq: i + 1, epoch: ticket.epoch, event: {} }))
    expect(() => checkLogTicket({ ...ticket, head, committed: 0, sealed: 0, segments: [[ticket.epoch, 1]], tail })).to.throw(InvalidLogTicketError, /tail/)
    const sources = Array.from({ length: MAX_TICKET_SOURCES + 1 }, (_, i) => ({ node: `n${i}`, match: 0 }))
    expect(() => checkLogTicket({ ...ticket, sources })).to.throw(InvalidLogTicketError, /sources/)
  })
})
