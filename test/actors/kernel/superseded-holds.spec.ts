import { expect } from 'chai'
import { constants, isSuperseded } from '../../../actors/index.ts'
import type { Journal } from '../../../actors/index.ts'
import { SupersededHolds } from '../../../actors/kernel/superseded-holds.ts'
import { accountType, deposit, useEntityNode } from '../../helpers/kernel-entities.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('SupersededHolds', () => {
  const node = useEntityNode()

  it('should stop, never restart in place, an entity whose journal a newer owner fenced, say so once, and leave it alone until the view changes', async () => {
    const fences: Array<(err: Error) => void> = []
    const fenceable = (real: Journal): Journal => ({
      open: async (id: string, handedOver?: unknown) => {
        const j = await real.open(id, handedOver)
        const onFailed = j.onFailed.bind(j)
        j.onFailed = (listener) => {
          fences.push(listener)
          onFailed(listener)
        }
        return j
      }
    })
    const lines: Array<{ level: string, msg: string, err: boolean }> = []
    const logAt = (level: string) => (obj: object, msg?: string): void => { lines.push({ level, msg: msg ?? '', err: 'err' in obj }) }
    const system = await node.open([accountType()], { wrap: fenceable, logger: { debug: logAt('debug'), info: logAt('info'), warn: logAt('warn'), error: logAt('error') } })
    // a mesh whose view makes this node the owner of everything
    const port = system.attachRemoting({ ownerOf: () => system.node, toEntity: () => 'stopped', toActor: () => 'stopped', reply: () => {} })
    expect(await deposit(system, 'pia', 4)).to.equal(4)
    expect(fences).to.have.length(1)
    // what replication raises when the replicas promised a newer epoch to another node
    const stale = Object.assign(new Error('account/pia: epoch 1 is stale, its replicas promised epoch 2 to a newer owner'), { name: 'StaleEpochError', kind: 'unavailable', superseded: true })
    fences[0]?.(stale)
    await waitFor(() => system.entities('account').length === 0, 'the superseded activation stops')
    expect(system.stats.restarts).to.equal(0)
    expect(system.stats.entitiesSuperseded).to.equal(1)
    expect(fences).to.have.length(1, 'no activation took the journal again')
    const said = lines.filter((l) => l.msg.includes('account/pia'))
    expect(said.map((l) => l.level)).to.deep.equal(['info'])
    expect(said[0]?.msg).to.include('a newer owner took it')
    expect(said[0]?.err).to.equal(false, 'no stack')
    // this node's own message does not take it back while its view is unchanged: a retryable refusal
    const err = await deposit(system, 'pia', 1).then(() => null, (e: unknown) => e as Error)
    expect(err?.name).to.equal('EntitySupersededError')
    expect(isSuperseded(err)).to.equal(true)
    expect(fences).to.have.length(1)
    // once the view changes the entity follows it (here: this node, which recovers every write)
    port.viewChanged()
    expect(await deposit(system, 'pia', 1)).to.equal(5)
    expect(fences).to.have.length(2)
  })

  it('should let a peer\'s message end a hold, and a view change end them all', () => {
    const holds = new SupersededHolds()
    holds.took('room/a')
    holds.took('room/b')
    expect(holds.refuse('room/a', false)?.name).to.equal('EntitySupersededError')
    expect(holds.refuse('room/a', true), 'a peer names this node the owner').to.equal(undefined)
    expect(holds.refuse('room/a', false), 'the hold is gone').to.equal(undefined)
    expect(isSuperseded(holds.refuse('room/b', false))).to.equal(true)
    holds.release('room/b')
    expect(holds.refuse('room/b', false)).to.equal(undefined)
    holds.took('room/c')
    holds.clear()
    expect([holds.size, holds.refuse('room/c', false)]).to.deep.equal([0, undefined])
  })

  it('should hold at most SUPERSEDED_TRACKED_MAX entities, not holding more while none has expired', () => {
    const holds = new SupersededHolds()
    for (let i = 0; i < constants.SUPERSEDED_TRACKED_MAX + 5; i++) holds.took(`room/r${i}`)
    expect(holds.size).to.equal(constants.SUPERSEDED_TRACKED_MAX)
    expect(holds.refuse(`room/r${constants.SUPERSEDED_TRACKED_MAX}`, false), 'one over the bound: not held').to.equal(undefined)
    expect(holds.refuse('room/r0', false)?.name).to.equal('EntitySupersededError')
  })
})
