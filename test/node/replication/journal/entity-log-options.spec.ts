import { expect } from 'chai'
import { EntityLog } from '../../../../node/index.ts'
import type { EntityLogOptions } from '../../../../node/index.ts'
import { posts, useReplicaSet } from '../fixtures/replica-set.ts'

/** What each of an entity log's options does, on real replicas. */
describe('EntityLogOptions', () => {
  const set = useReplicaSet(['a', 'b', 'c', 'd'])
  const base = (activation: string): EntityLogOptions => ({ entityId: 'room/opts', replicas: ['a', 'b', 'c'], writeQuorum: 2, activation, env: set.env })

  it('should fail a write no quorum acknowledged within appendTimeoutMs, and tell onFailed once', async () => {
    const failed: Error[] = []
    const log = await EntityLog.open({ ...base('one'), appendTimeoutMs: 50, onFailed: (err) => { failed.push(err) } })
    set.down.add('b')
    set.down.add('c')
    const err = await log.append(posts(1, 1)).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ReplicasUnavailableError')
    expect((err as Error).message).to.match(/no answer in time/)
    expect(failed).to.have.length(1)
    expect(log.failed).to.equal(failed[0])
    log.close()
  })

  it('should fence the former holders too, and read their logs, without writing to them', async () => {
    // d held the journal under an older replica set
    const old = await EntityLog.open({ ...base('old'), replicas: ['b', 'c', 'd'] })
    await old.append(posts(1, 3))
    old.close()
    set.down.add('b')
    const log = await EntityLog.open({ ...base('new'), formerHolders: ['d'] })
    expect(log.head).to.equal(3)
    expect(log.replicas).to.deep.equal(['a', 'b', 'c'])
    expect((await set.cores.get('d')?.state('room/opts'))?.promisedBy).to.equal('new')
    log.close()
  })

  it('should say at debug why a fence round did not take the entity', async () => {
    const said: string[] = []
    const first = await EntityLog.open(base('first'))
    await first.append(posts(1, 2))
    first.close()
    set.down.add('a')
    set.down.add('b')
    const err = await EntityLog.open({ ...base('second'), log: { debug: (_o, msg) => { said.push(msg) } } }).then(() => null, (e: unknown) => e)
    expect(err).to.have.property('name', 'ReplicasUnavailableError')
    expect(said.some((m) => /fence of epoch \d+ did not take it/.test(m))).to.equal(true)
    // the log itself says nothing at all without a logger, and takes the entity once they answer
    set.down.clear()
    // a later millisecond than the second's fence: epochs are clock readings, and an activation that
    // fenced the same epoch on c (the second, which reached c before it failed) holds it there
    const failedAt = Math.floor(set.env.now())
    while (Math.floor(set.env.now()) <= failedAt) await new Promise((resolve) => setImmediate(resolve))
    const third = await EntityLog.open(base('third'))
    expect(third.head).to.equal(2)
    third.close()
  })
})
