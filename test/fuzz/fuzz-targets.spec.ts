import { expect } from 'chai'
import { checkInferenceMsg, checkKvCacheMsg } from '../../node/inference/index.ts'
import { checkModelCopyMsg } from '../../node/model-pull/index.ts'
import { checkRoles } from '../../node/mesh/index.ts'
import { decodeMemberRecord } from '../../node/mesh/membership.ts'
import { checkChunkHolderMsg } from '../../node/backup/index.ts'
import { checkMigrationMsg } from '../../node/migration/index.ts'
import { checkReplicaRequest } from '../../node/replication/index.ts'
import { assertNever, kindOf } from '../../protocols/index.ts'
import { Packr } from 'msgpackr'
import { adminFuzz } from './admin-fuzz.ts'
import { configFuzz } from './config-fuzz.ts'
import { entityFuzz } from './entity-fuzz.ts'
import { frameFuzz } from './frame-fuzz.ts'
import { expectPassed } from './fuzz-target.ts'
import type { FuzzTarget } from './fuzz-target.ts'
import { ggufFuzz } from './gguf-fuzz.ts'
import { openAiFuzz } from './openai-fuzz.ts'
import { peerMessageFuzz } from './peer-message-fuzz.ts'

/**
 * The in-process fuzz targets at a small budget and a fixed seed each (deterministic: a failure
 * here replays with the command it prints). `npm run fuzz` runs them, and the node-process ones,
 * for as long as asked, with random seeds.
 */
describe('fuzz targets', function () {
  this.timeout(120_000)
  const budget: Array<[FuzzTarget, number]> = [
    [frameFuzz, 3_000], [peerMessageFuzz, 3_000], [entityFuzz, 200], [adminFuzz, 500], [openAiFuzz, 1_000], [ggufFuzz, 300], [configFuzz, 400]
  ]
  for (const [target, numRuns] of budget) {
    it(`should hold its property for ${numRuns} inputs: ${target.name} (${target.about})`, async () => {
      expectPassed(target.name, await target.run({ numRuns, seed: 20261122 }))
    })
  }

  describe('what they found', () => {
    const packr = new Packr({ useRecords: false })
    /** What msgpack decodes that JSON never holds: a 64-bit integer as bigint, a map whose key is toString. */
    const wireOnly: unknown[] = [2n ** 63n, { toString: 1 }, Object.create(null) as unknown]

    it('should refuse a peer request whose type or op is a bigint or a map with a toString key with its own error, not a TypeError', () => {
      const checks: Array<(v: unknown) => unknown> = [
        (v) => checkReplicaRequest({ op: v, entity: 'room/a' }),
        (v) => checkMigrationMsg({ type: v, entityType: 'room', key: 'a', replyTo: { askId: '1', node: 'p' } }),
        (v) => checkKvCacheMsg({ type: v, replyTo: { askId: '1', node: 'p' } }),
        (v) => checkModelCopyMsg({ type: v, replyTo: { askId: '1', node: 'p' } }),
        (v) => checkInferenceMsg({ type: v, replyTo: { askId: '1', node: 'p' } }),
        (v) => checkChunkHolderMsg({ type: v, replyTo: { askId: '1', node: 'p' } }),
        (v) => checkRoles([v]),
        (v) => assertNever({ type: v } as never)
      ]
      for (const check of checks) {
        for (const value of wireOnly) {
          const err = (() => { try { check(value); return undefined } catch (e) { return e as Error } })()
          expect(err?.name, String(check)).to.not.equal('TypeError')
          expect(kindOf(err), String(check)).to.equal('invalid')
        }
      }
      expect(() => decodeMemberRecord(packr.pack({ peerId: 'p', status: 2n ** 63n }), 'p')).to.throw().with.property('name', 'InvalidMemberRecordError')
    })
  })
})
