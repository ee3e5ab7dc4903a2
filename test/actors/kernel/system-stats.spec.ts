import { expect } from 'chai'
import { ActorSystem, SystemStats } from '../../../actors/index.ts'
import { counter, countOf } from '../../helpers/counter-behavior.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('SystemStats', () => {
  it('should count live actors by kind, forgetting a kind with none left', () => {
    const stats = new SystemStats()
    stats.actorStarted('room')
    stats.actorStarted('room')
    stats.actorStarted('actor')
    stats.actorStopped('room')
    expect([...stats.actorsByKind]).to.deep.equal([['room', 1], ['actor', 1]])
    stats.actorStopped('room')
    stats.actorStopped('never-started')
    expect([...stats.actorsByKind]).to.deep.equal([['actor', 1]])
  })

  it('should count what one system\'s actors do, and nothing of another system', async () => {
    const system = new ActorSystem()
    const other = new ActorSystem()
    try {
      const ref = system.spawn(counter)
      for (let i = 0; i < 3; i++) ref.tell({ type: 'inc', by: 1 })
      expect(await countOf(ref)).to.equal(3)
      await ref.ask<number>((replyTo) => ({ type: 'fail', replyTo })).catch(() => undefined)
      await waitFor(() => system.stats.restarts === 1, 'the restart')
      expect(system.stats).to.include({ messagesProcessed: 4, failures: 1, restarts: 1, deadLetters: 0 })
      expect(system.stats.actorsByKind.get('actor')).to.equal(1)
      expect(other.stats).to.include({ messagesProcessed: 0, failures: 0, restarts: 0 })
    } finally {
      await system.terminate()
      await other.terminate()
    }
  })
})
