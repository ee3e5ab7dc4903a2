import { expect } from 'chai'
import { MailboxFullError, SystemStats } from '../../../actors/index.ts'
import type { DeliveryResult } from '../../../actors/index.ts'
import { EntityRef } from '../../../actors/kernel/entity-ref.ts'
import { MessageRef } from '../../../actors/kernel/message-ref.ts'
import { PendingAsks } from '../../../actors/kernel/pending-asks.ts'

describe('MessageRef', () => {
  /** A ref whose target answers each delivery with the next result given. */
  function refTo (results: DeliveryResult[]): { ref: MessageRef<string>, stats: SystemStats, delivered: string[] } {
    const stats = new SystemStats()
    const delivered: string[] = []
    const ref = new EntityRef<string>('room', 'r', (msg) => {
      delivered.push(msg)
      return results.shift() ?? 'ok'
    }, 4, new PendingAsks('n', stats), stats)
    return { ref, stats, delivered }
  }

  it('should say whether a tell was taken, counting a full target as dropped and a refusal as a dead letter', () => {
    const { ref, stats, delivered } = refTo(['ok', 'full', 'stopped', new RangeError('no owner')])
    expect(['a', 'b', 'c', 'd'].map((m) => ref.tell(m))).to.deep.equal([true, false, false, false])
    expect(delivered).to.deep.equal(['a', 'b', 'c', 'd'])
    expect([stats.tellsDropped, stats.deadLetters]).to.deep.equal([1, 1])
  })

  it('should reject an ask with what the target says, and lead the kernel back to the target', async () => {
    const { ref } = refTo(['full'])
    const err = await ref.ask<number>((replyTo) => `question ${replyTo.askId}`).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(MailboxFullError)
    expect((err as MailboxFullError).capacity).to.equal(4)
    expect(MessageRef.targetOf(ref).path).to.equal('room/r')
  })
})
