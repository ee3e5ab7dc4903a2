import fc from 'fast-check'
import { Packr } from 'msgpackr'
import { checkAuditMsg, checkBackupCatalogMsg, checkRoomDirectoryMsg, checkRoomFeed, checkRoomMsg, checkUserDirectoryMsg } from '../../actors/entities/index.ts'
import { agentGateway } from '../../node/inference/agent-gateway.ts'
import { checkAgentMsg } from '../../actors/entities/user-agent-protocol.ts'
import { checkChunkHolderMsg, checkManifest, checkRestoreHoldMsg } from '../../node/backup/index.ts'
import { checkInferenceMsg, checkKvCacheMsg } from '../../node/inference/index.ts'
import { checkJob, checkJobList } from '../../node/jobs/index.ts'
import { checkModelCopyMsg } from '../../node/model-pull/index.ts'
import { checkRoles } from '../../node/mesh/index.ts'
import { decodeMemberRecord } from '../../node/mesh/membership.ts'
import { checkMemberList } from '../../node/mesh/node-inspector.ts'
import { WireErrors } from '../../node/mesh/wire-errors.ts'
import { checkLeaveStatus, checkMigrationMsg, checkMoveResult } from '../../node/migration/index.ts'
import { checkCatchUp, checkEntityPage, checkLogTicket, checkPartitionRequest, checkReplicaBatch, checkReplicaBatchReply, checkReplicaReply, checkReplicaRequest, checkTakeOverResult, partitionOf } from '../../node/replication/index.ts'
import type { BatchItem, ReplicaRequest } from '../../node/replication/index.ts'
import { isErrorData, kindOf } from '../../protocols/index.ts'
import { agentMessage, roomDirectoryMessage, roomMessage, userDirectoryMessage } from '../helpers/entity-messages.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'

/** Packs what a peer might send (a bigint past 64 bits goes as a float: msgpack has no such integer). */
const packr = new Packr({ useRecords: false, largeBigIntToFloat: true })

/** Every `type` and `op` the peer protocols have, so that generated messages reach past the first check. */
const TYPES = [
  'post', 'join', 'leave', 'history', 'room-message', 'agent-partial', 'attach', 'detach', 'close-all', 'info', 'subscribe', 'unsubscribe', 'agent-stream', 'agent-replied', 'register', 'list',
  'add', 'remove', 'get', 'authenticate', 'changes', 'ask', 'cancel', 'settings', 'configure', 'reset', 'generation-ended',
  'append', 'page', 'head', 'verify', 'adopt', 'claim', 'migrate', 'chunk-put', 'chunk-has', 'chunk-get', 'chunk-challenge',
  'chunk-check', 'chunk-remove', 'chunk-list', 'hold', 'unhold', 'kv-offer', 'kv-chunk', 'kv-commit', 'copy-offer', 'copy-chunk', 'copy-commit', 'generate', 'inference-text',
  'replica', 'partition', 'actors', 'entity', 'members', 'jobs', 'cancel-job', 'set', 'record', 'backup-started', 'backup-ended',
  'fence', 'read', 'summary', 'save-snapshot', 'load-snapshot', 'tree', 'bucket', 'spans', 'entities', 'drain', 'decommission'
] as const
/** Field names the peer protocols read. */
const FIELDS = [
  'user', 'text', 'clientId', 'message', 'partial', 'room', 'inReplyTo', 'reason', 'after', 'limit', 'gateway', 'requestId', 'event', 'error', 'name', 'by', 'ts', 'tokenHash', 'sink',
  'change', 'outcome', 'entityType', 'key', 'handOff', 'paused', 'to', 'trigger', 'mode', 'follow', 'chunks', 'ids', 'id', 'nonce',
  'entity', 'model', 'cacheKey', 'meta', 'transfer', 'offset', 'bytes', 'request', 'relay', 'kind', 'roles', 'op', 'epoch',
  'activation', 'prevSeq', 'records', 'from', 'seq', 'snapshot', 'replace', 'level', 'count', 'bucket', 'span', 'state',
  'snapshotSeq', 'volatile', 'buffered', 'journal', 'digest', 'sealed', 'input', 'messages', 'params', 'role', 'content', 'peerId',
  'node', 'path', 'askId', 'status', 'total', 'done', 'failed', 'left', 'target', 'head', 'committed', 'replicas', 'segments', 'sizeBytes', 'sha256'
] as const

/** A value a field may hold: mostly one a check looks for (names, ids, edges of limits), else anything. */
const leaf = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom('', 'ann', 'general', 'room', 'room/general', 'agent/ann', '/migration', '/inference-relay', 'drain', 'admin',
    'user', 'assistant', 'drain-3-k7f2', 'a'.repeat(64), 'x'.repeat(33), 'x'.repeat(257), 'x'.repeat(513), '12D3KooWTest', 'ok', 'up'),
  fc.constantFrom(0, 1, 2, -1, 0.5, 1e21, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, Number.NaN, Infinity, -0),
  fc.constantFrom(true, false, null, undefined),
  fc.constantFrom({ askId: '1', node: 'peer' }, { node: 'peer', path: '/inference-relay' }),
  fc.uint8Array({ maxLength: 80 }),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  // what msgpack decodes that JSON never holds: 64-bit integers as bigint, and maps whose keys
  // shadow Object.prototype (String() of { toString: 1 } throws)
  fc.bigInt(),
  fc.constantFrom({ toString: 1 }, { valueOf: 1, toString: 1 }, { __proto__: null }, { constructor: 1 }),
  fc.anything({ maxDepth: 1, withBigInt: true }))

/** A message near one of the protocols': a known `type` or `op`, a reply address, and fields that may hold anything. */
export function peerMessage (): fc.Arbitrary<unknown> {
  const { value } = fc.letrec<{ value: unknown, record: Record<string, unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf(), fc.array(tie('value'), { maxLength: 4 }), tie('record')),
    record: fc.dictionary(fc.constantFrom(...FIELDS), tie('value'), { maxKeys: 6 })
  }))
  const message = fc.record({
    type: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...TYPES) }, { weight: 1, arbitrary: fc.oneof(fc.anything({ maxDepth: 0, withBigInt: true }), fc.constant({ toString: 1 })) }),
    op: fc.constantFrom(...TYPES),
    replyTo: fc.oneof(fc.constant({ askId: '1', node: 'peer' }), leaf()),
    fields: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 8 })
  }, { requiredKeys: ['fields'] }).map(({ fields, ...rest }) => ({ ...fields, ...rest }))
  return fc.oneof({ weight: 6, arbitrary: message }, { weight: 1, arbitrary: value })
}

/** Who says what about a value from another node: a request refused is of kind invalid; an answer
 * refused is a deliberate Error (never a TypeError of a check that read a field that was not there). */
type Check = readonly [name: string, check: (value: unknown) => unknown, refusal: 'request' | 'answer', generator?: fc.Arbitrary<unknown>]

const replicaRequests: ReplicaRequest[] = [
  { op: 'fence', entity: 'room/general', epoch: 2, activation: 'a1' },
  { op: 'read', entity: 'room/general', from: 1, limit: 10 },
  { op: 'summary', entity: 'room/general' },
  { op: 'load-snapshot', entity: 'room/general' }
]

/** A batch of lease requests as an owner's node sends it (partition 16 of them), fields drawn wide. */
const leaseBatch = (): fc.Arbitrary<unknown> => fc.record({
  type: fc.constantFrom('replica-batch', 'replica'),
  items: fc.array(fc.record({
    partition: fc.oneof(fc.integer({ min: -2, max: 18 }), fc.constant(partitionOf('agent/a', 16)), fc.string({ maxLength: 3 })),
    request: fc.oneof(
      fc.record({ op: fc.constantFrom('lease', 'release', 'fence', 'drop'), entity: fc.constantFrom('agent/a', 'agent/b', 'x', ''), epoch: fc.oneof(fc.integer(), fc.double()), activation: fc.string({ maxLength: 4 }), holder: fc.string({ maxLength: 4 }) }, { requiredKeys: ['op'] }),
      fc.anything())
  }, { requiredKeys: [] }), { maxLength: 6 })
}, { requiredKeys: ['type'] })
const batchItems: BatchItem[] = [
  { partition: partitionOf('agent/a', 16), request: { op: 'lease', entity: 'agent/a', epoch: 2, activation: 'a1', holder: 'a1' } },
  { partition: partitionOf('agent/a', 16), request: { op: 'release', entity: 'agent/a', holder: 'a1' } }
]

const CHECKS: readonly Check[] = [
  ['room', checkRoomMsg, 'request', roomMessage()],
  ['room directory', checkRoomDirectoryMsg, 'request', roomDirectoryMessage()],
  ['user directory', checkUserDirectoryMsg, 'request', userDirectoryMessage()],
  ['agent', checkAgentMsg, 'request', agentMessage()],
  ['audit log', checkAuditMsg, 'request'],
  ['chat gateway (room feed)', checkRoomFeed, 'request'],
  ['agent gateway', (v) => agentGateway().checkPeer?.(v), 'request'],
  ['backup catalog', checkBackupCatalogMsg, 'request'],
  ['replica request', checkReplicaRequest, 'request'],
  ['partition request', (v) => checkPartitionRequest(v, 3, 16), 'request'],
  ['replica batch', (v) => checkReplicaBatch(v, 16), 'request', leaseBatch()],
  ['reply to a replica batch', (v) => checkReplicaBatchReply(batchItems, v), 'answer',
    fc.array(fc.oneof(fc.record({ reply: fc.oneof(fc.constant({ result: 'ok' }), fc.record({ result: fc.constantFrom('ok', 'stale', 'no'), promised: fc.oneof(fc.integer(), fc.string()) }), fc.anything()) }), fc.record({ error: fc.record({ name: fc.string(), message: fc.string(), kind: fc.constantFrom('invalid', 'nope') }) }), fc.anything()), { maxLength: 3 })],
  ['migration', checkMigrationMsg, 'request'],
  ['chunk holder', checkChunkHolderMsg, 'request'],
  ['restore hold', checkRestoreHoldMsg, 'request'],
  ['kv cache', checkKvCacheMsg, 'request'],
  ['model copy', checkModelCopyMsg, 'request'],
  ['inference', checkInferenceMsg, 'request'],
  ['roles', checkRoles, 'request'],
  ['member record', (v) => decodeMemberRecord(v instanceof Uint8Array ? v : packr.pack(v), 'peer'), 'request'],
  ['log ticket', checkLogTicket, 'answer'],
  ['member list', checkMemberList, 'answer'],
  ['move result', checkMoveResult, 'answer'],
  ['leave status', checkLeaveStatus, 'answer'],
  ['manifest', checkManifest, 'answer'],
  ['job', checkJob, 'answer'],
  ['job list', checkJobList, 'answer'],
  ['take-over result', checkTakeOverResult, 'answer'],
  ['catch-up status', checkCatchUp, 'answer'],
  ['entity page', (v) => checkEntityPage(v, '', 10, 3, 16, (why) => { throw new Error(why) }), 'answer'],
  ...replicaRequests.map((r): Check => [`reply to ${r.op}`, (v) => checkReplicaReply(r, v), 'answer']),
  // an error a peer sends back: well-formed error data always rebuilds into an Error
  ['wire error', (v) => { if (isErrorData(v)) { const e = new WireErrors().fromWire(v, 'peer'); if (!(e instanceof Error)) throw new TypeError('not an Error') } else throw new Error('not error data') }, 'answer',
    fc.record({ name: fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'InvalidMessageError', 'RateLimitedError', 'toString')), message: fc.string({ maxLength: 40 }), kind: fc.constantFrom('invalid', 'internal', 'nope'), fields: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('__proto__', 'constructor', 'stack', 'name', 'retryAfterMs')), fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.boolean()), { maxKeys: 4 }) }, { requiredKeys: ['name', 'message', 'kind'] })]
]

/** Built-in errors: a check that throws one of these crashed on its input instead of refusing it. */
const CRASHES = new Set(['TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'InternalError'])

/**
 * Every check of what arrives from another node, beyond the frame: entity messages, actor requests
 * (replicas, anti-entropy, migration, backup chunks and holds, KV caches, inference, roles, member
 * records) and the answers a node takes from its peers. Any value either passes or is refused with
 * an error of ours (kind invalid for a request), with a short message: never a crash of the check.
 */
export const peerMessageFuzz: FuzzTarget = {
  name: 'peer-messages',
  about: 'every entity message and actor request/answer from a peer → passes, or a typed refusal (kind invalid), never a crash',
  defaultRuns: 5_000,
  async run (options: FuzzOptions) {
    const input = fc.nat({ max: CHECKS.length - 1 }).chain((i) => {
      const [, , , own] = CHECKS[i] as Check
      return fc.tuple(fc.constant(i), own === undefined ? peerMessage() : fc.oneof(own, peerMessage()))
    })
    return await fc.check(fc.property(input, ([i, value]) => {
      const [name, check, refusal] = CHECKS[i] as Check
      try {
        check(value)
      } catch (err) {
        if (!(err instanceof Error)) throw new Error(`${name}: threw a non-Error ${String(err)}`)
        if (CRASHES.has(err.name) || err.constructor === TypeError) throw new Error(`${name}: crashed: ${err.name}: ${err.message}`, { cause: err })
        if (refusal === 'request' && kindOf(err) !== 'invalid') throw new Error(`${name}: refused with kind ${kindOf(err)} (${err.name}), not invalid`)
        if (err.message.length > 2_000) throw new Error(`${name}: a refusal of ${err.message.length} characters echoes its input`)
      }
    }), parameters(options))
  }
}
