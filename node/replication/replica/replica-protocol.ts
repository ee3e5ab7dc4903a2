import { MAX_ENTITY_ID_LENGTH, MAX_LEASE_WAIT_MS, READ_PAGE_RECORDS, APPEND_BATCH_RECORDS, SEALED_APPEND_BYTES, SEALED_APPEND_RECORDS, SUMMARY_SEGMENTS } from '../constants.ts'
import { SEAL_HEADER_BYTES, SEAL_SHA256 } from '../../storage/index.ts'
import { sealedRecords, storedRecordEpoch, unframeStored } from './stored-records.ts'
import { InvalidReplicaReplyError, InvalidReplicaRequestError } from '../errors.ts'
import { shown } from '../../../protocols/index.ts'
import type { LogSummary } from '../journal/log-summary.ts'

/** One record of an entity's log as replicas keep it: the event and the epoch that wrote it. */
export interface StoredRecord {
  readonly seq: number
  readonly epoch: number
  readonly event: unknown
  /** The record's revision (absent: 0). A rewrite (EntityJournal.rewrite) replaces a record with
   * another event of the same seq and epoch and a higher revision: the higher one wins everywhere
   * (docs/replication.md, "Rewrites and trims"). Revisions are ordered by `revEpoch`, then `rev`. */
  readonly rev?: number
  /** The epoch of the owner that made this revision (absent: the record's epoch): a stale owner's
   * rewrite that reached a replica before the newer owner's is older than any of the newer's. */
  readonly revEpoch?: number
}

/** Whether `a` is a later revision of a record than `b` (same seq and epoch). */
export function laterRevision (a: StoredRecord, b: StoredRecord): boolean {
  const ea = a.revEpoch ?? a.epoch
  const eb = b.revEpoch ?? b.epoch
  return ea !== eb ? ea > eb : (a.rev ?? 0) > (b.rev ?? 0)
}

export interface StoredSnapshot {
  readonly seq: number
  readonly state: unknown
}

/**
 * What an owner asks of a replica (docs/replication.md). `activation` names one activation of the
 * entity (unique per start), so that a fence asked again by the same one is answered yes. `version`
 * (on the ops of VERSIONED_OPS): the configuration version of the entity's partition the owner
 * took it under (docs/replication.md, "Roster versions"); absent: none (version 0).
 */
export type ReplicaRequest =
  | { readonly op: 'fence', readonly entity: string, readonly epoch: number, readonly activation: string, readonly version?: number }
  | {
    readonly op: 'append'
    readonly entity: string
    readonly epoch: number
    readonly activation: string
    /** The record before the first one sent, as the owner's log has it (0, 0: the log's start). */
    readonly prevSeq: number
    readonly prevEpoch: number
    readonly records: readonly StoredRecord[]
    /** The owner's lease holder (docs/replication.md, "Leases"): an append taken grants it a lease. */
    readonly holder?: string
    readonly version?: number
  }
  /**
   * An append of records as the store keeps them, seals and all (`values`: each stored value as a
   * u32 length and its bytes, frameStored): a restore's bulk write of a backup that kept them, under
   * the same record keys (same partition count). Taken as an append is (the same fence, the same
   * log matching); the values are written as they are, their seals not computed again, each epoch
   * read from its first bytes.
   */
  | { readonly op: 'append-sealed', readonly entity: string, readonly epoch: number, readonly activation: string, readonly prevSeq: number, readonly prevEpoch: number, readonly values: Uint8Array, readonly version?: number }
  /** Drops what the replica holds past `after`, the owner's head (`afterEpoch`: the epoch of its
   * record there), fenced as an append is: an owner with nothing more to send tells a replica whose
   * log goes on past its own that the rest is not its (never acknowledged). Answered as an append
   * (`mismatch` where the replica's log parts from the owner's at `after`, at or above its floor). */
  | { readonly op: 'truncate', readonly entity: string, readonly epoch: number, readonly activation: string, readonly after: number, readonly afterEpoch: number, readonly version?: number }
  /** Renews (or, in an epoch above the promise, takes as an append would) the lease of `holder`,
   * an owner of `epoch`: answered stale when a newer activation holds the entity. */
  | { readonly op: 'lease', readonly entity: string, readonly epoch: number, readonly activation: string, readonly holder: string, readonly version?: number }
  /** The holder lets go of its lease (its log closed): a newer fence need not wait for it. */
  | { readonly op: 'release', readonly entity: string, readonly holder: string }
  | { readonly op: 'read', readonly entity: string, readonly from: number, readonly limit: number }
  | { readonly op: 'summary', readonly entity: string }
  /** `replace`: a restore rewrote the log, so the snapshot held (built from records now gone) gives
   * way to this one even at a lower or equal seq. */
  | { readonly op: 'save-snapshot', readonly entity: string, readonly epoch: number, readonly snapshot: StoredSnapshot, readonly replace?: true }
  | { readonly op: 'load-snapshot', readonly entity: string }
  /** Replaces held records of the same seq and epoch that have a lower revision (docs/replication.md,
   * "Rewrites and trims"); fenced as an append is. */
  | {
    readonly op: 'rewrite'
    readonly entity: string
    readonly epoch: number
    readonly activation: string
    readonly records: readonly StoredRecord[]
    /** The rewrite's generation (the entity's rewrites numbered by their owners, 1 up): a replica
     * that holds every record of it at its revision (or a later one) says so in `revised`. */
    readonly gen: number
    /** The generation this one follows, and its owner's epoch (log-summary.ts, Generation): a
     * replica says it holds this one whole (`revised`) only holding that one or a later one.
     * Absent (an older version's owner): `gen` − 1, as before. */
    readonly prevGen?: number
    readonly prevGenEpoch?: number
    readonly version?: number
  }
  /**
   * Drops every record below `before` and keeps `floor = before` (never lowered). `snapshot` (seq ≥
   * before − 1) is saved first when newer than the one held: a replica trims only holding one that
   * covers what goes. `prevEpoch`: the epoch of the owner's record `before − 1`, so that a replica
   * whose log does not reach it (or parts from the owner's before it) takes the owner's log up to it
   * as a whole (it then holds no record, its head `before − 1`). Fenced as an append is.
   */
  | {
    readonly op: 'trim'
    readonly entity: string
    readonly epoch: number
    readonly activation: string
    readonly before: number
    readonly prevEpoch: number
    readonly snapshot?: StoredSnapshot
    readonly version?: number
  }

/** A promise from a replica that is still catching up (a learner) says so: its log may lack
 * records acknowledged before it became a replica (docs/replication.md, "Replica moves"). */
export type FenceReply =
  | { readonly ok: true, readonly summary: LogSummary, readonly learner?: true }
  /** `leaseMs`: refused only because the replica keeps another owner's unexpired lease; ask again
   * after that many ms (the promise is not newer: `promised` is below the fence's epoch). */
  | { readonly ok: false, readonly promised: number, readonly leaseMs?: number, readonly version?: number }
export type AppendReply =
  | { readonly result: 'ok', readonly summary: LogSummary }
  /** The replica promised a newer epoch: the sender is a stale owner. */
  | StaleReply
  /** The replica has no record `prev` of that epoch: resend from where the logs part. */
  | { readonly result: 'mismatch', readonly summary: LogSummary }
/** A stale owner's answer. `version`: the replica knows a newer configuration version of the
 * partition than the request's (docs/replication.md, "Roster versions"): the owner's node learns it,
 * and the owner stops (or its take plans again under it). */
export type StaleReply = { readonly result: 'stale', readonly promised: number, readonly version?: number }
export type SaveSnapshotReply = { readonly result: 'ok' } | StaleReply
export type LeaseReply = { readonly result: 'ok' } | StaleReply
/** `ok`: its summary after the rewrite (records it did not hold, or held at another epoch or a rev
 * as high, were left as they were: `kept` says how many were replaced; `whole`: it holds every
 * record of the rewrite at that revision or a later one, or trimmed). */
export type RewriteReply =
  | { readonly result: 'ok', readonly summary: LogSummary, readonly kept: number, readonly whole: boolean }
  | StaleReply
/** `no-snapshot`: it holds no snapshot covering `before − 1` and none came with the request. */
export type TrimReply =
  | { readonly result: 'ok', readonly summary: LogSummary }
  | StaleReply
  | { readonly result: 'no-snapshot', readonly summary: LogSummary }

/** The reply type of each request. */
export type ReplyOf<R extends ReplicaRequest> =
  R extends { op: 'fence' } ? FenceReply
    : R extends { op: 'append' | 'truncate' | 'append-sealed' } ? AppendReply
      : R extends { op: 'read' } ? StoredRecord[]
        : R extends { op: 'summary' } ? LogSummary
          : R extends { op: 'save-snapshot' } ? SaveSnapshotReply
            : R extends { op: 'load-snapshot' } ? StoredSnapshot | null
              : R extends { op: 'lease' } ? LeaseReply
                : R extends { op: 'release' } ? { readonly result: 'ok' }
                  : R extends { op: 'rewrite' } ? RewriteReply
                    : R extends { op: 'trim' } ? TrimReply
                      : never

const OPS = new Set(['fence', 'append', 'append-sealed', 'truncate', 'read', 'summary', 'save-snapshot', 'load-snapshot', 'lease', 'release', 'rewrite', 'trim'])

/**
 * Checks a request that arrived from another node before it touches a replica: anything malformed
 * is refused with InvalidReplicaRequestError (the sender is told; nothing is stored).
 */
export function checkReplicaRequest (value: unknown): ReplicaRequest {
  const fail = (why: string): never => { throw new InvalidReplicaRequestError(`replica request: ${why}`) }
  const r = value as Record<string, unknown> | null
  if (r === null || typeof r !== 'object' || Array.isArray(r)) return fail('not an object')
  if (typeof r.op !== 'string' || !OPS.has(r.op)) fail(`unknown op ${shown(r.op, 40)}`)
  if (!isEntityId(r.entity)) fail(`entity must be "type/key" of at most ${MAX_ENTITY_ID_LENGTH} printable characters`)
  switch (r.op) {
    case 'fence':
      if (!isEpoch(r.epoch) || r.epoch < 1) fail('fence: epoch must be a positive safe integer')
      if (!isActivation(r.activation)) fail('fence: activation must be a short string')
      break
    case 'append': checkAppend(r, fail); break
    case 'append-sealed': checkAppendSealed(r, fail); break
    case 'truncate': checkTruncate(r, fail); break
    case 'lease':
      if (!isEpoch(r.epoch) || r.epoch < 1) fail('lease: epoch must be a positive safe integer')
      if (!isActivation(r.activation)) fail('lease: activation must be a short string')
      if (!isHolder(r.holder)) fail('lease: holder must be a short string')
      break
    case 'release':
      if (!isHolder(r.holder)) fail('release: holder must be a short string')
      break
    case 'read':
      if (!isSeq(r.from) || r.from < 1 || !isSeq(r.limit) || r.limit < 1 || r.limit > READ_PAGE_RECORDS) fail(`read: from >= 1 and limit 1-${READ_PAGE_RECORDS}`)
      break
    case 'save-snapshot': {
      if (!isEpoch(r.epoch) || r.epoch < 1) fail('save-snapshot: epoch must be a positive safe integer')
      const s = r.snapshot as Record<string, unknown> | null
      if (s === null || typeof s !== 'object' || !isSeq(s.seq) || s.seq < 1 || !('state' in s)) fail('save-snapshot: snapshot must be { seq >= 1, state }')
      if (r.replace !== undefined && r.replace !== true) fail('save-snapshot: replace must be true or absent')
      break
    }
    case 'rewrite': {
      if (!isEpoch(r.epoch) || r.epoch < 1) fail('rewrite: epoch must be a positive safe integer')
      if (!isActivation(r.activation)) fail('rewrite: activation must be a short string')
      if (!Array.isArray(r.records) || r.records.length === 0 || r.records.length > APPEND_BATCH_RECORDS) fail(`rewrite: records must be 1-${APPEND_BATCH_RECORDS}`)
      if (!isSeq(r.gen) || r.gen < 1) fail('rewrite: gen must be a positive safe integer')
      if ((r.prevGen !== undefined || r.prevGenEpoch !== undefined) && (!isSeq(r.prevGen) || !isEpoch(r.prevGenEpoch) || (r.prevGenEpoch as number) > (r.epoch as number) || ((r.prevGenEpoch as number) === r.epoch && (r.prevGen as number) >= (r.gen as number)))) {
        fail('rewrite: prevGen and prevGenEpoch must come together, safe integers >= 0, the epoch at most the request\'s, a generation of this epoch below gen')
      }
      let seq = 0
      for (const rec of r.records as unknown[]) {
        const x = rec as Record<string, unknown> | null
        if (x === null || typeof x !== 'object' || !('event' in x) || !isSeq(x.seq) || x.seq <= seq) fail('rewrite: records need seq (>= 1, going up), epoch, rev, event')
        if (!isEpoch(x?.epoch) || x?.epoch === 0 || (x?.epoch as number) > (r.epoch as number)) fail('rewrite: a record\'s epoch must be 1 to the request epoch')
        if (!isRev(x?.rev) || x?.rev === undefined || x.rev === 0) fail('rewrite: a record\'s rev must be a positive safe integer')
        if (x?.revEpoch !== r.epoch) fail('rewrite: a record\'s revEpoch must be the request epoch')
        seq = x?.seq as number
      }
      break
    }
    case 'trim': {
      if (!isEpoch(r.epoch) || r.epoch < 1) fail('trim: epoch must be a positive safe integer')
      if (!isActivation(r.activation)) fail('trim: activation must be a short string')
      if (!isSeq(r.before) || r.before < 2) fail('trim: before must be a safe integer >= 2')
      if (!isEpoch(r.prevEpoch) || r.prevEpoch < 1 || r.prevEpoch > (r.epoch as number)) fail('trim: prevEpoch must be 1 to the request epoch')
      if (r.snapshot !== undefined) {
        const s = r.snapshot as Record<string, unknown> | null
        if (s === null || typeof s !== 'object' || !isSeq(s.seq) || s.seq < (r.before as number) - 1 || !('state' in s)) fail('trim: snapshot must be { seq >= before - 1, state } when present')
      }
      break
    }
  }
  if (r.version !== undefined && (!VERSIONED_OPS.has(r.op as ReplicaRequest['op']) || !isVersion(r.version))) fail(`${r.op as string}: version must be a positive safe integer when present (on ${[...VERSIONED_OPS].join(', ')} only)`)
  return r as unknown as ReplicaRequest
}

/** The requests an owner makes under the configuration version of its entity's partition
 * (docs/replication.md, "Roster versions"): a replica that knows a newer one refuses them. */
export const VERSIONED_OPS: ReadonlySet<ReplicaRequest['op']> = new Set(['fence', 'append', 'append-sealed', 'truncate', 'lease', 'rewrite', 'trim'])

/** The version a reply refused for (a replica that knows a newer one), or undefined. */
export function refusedVersion (reply: unknown): number | undefined {
  const v = (reply as { version?: unknown } | null)?.version
  return typeof v === 'number' ? v : undefined
}

function isVersion (v: unknown): v is number { return Number.isSafeInteger(v) && (v as number) >= 1 }

/** A stale owner's answer, checked (StaleReply). */
function isStale (v: Record<string, unknown> | null): boolean {
  return v !== null && v.result === 'stale' && isEpoch(v.promised) && (v.version === undefined || isVersion(v.version))
}

export function isEntityId (v: unknown): v is string {
  // eslint-disable-next-line no-control-regex
  return typeof v === 'string' && v.length <= MAX_ENTITY_ID_LENGTH && v.indexOf('/') > 0 && !/[\x00-\x1f]/.test(v)
}

function isSeq (v: unknown): v is number { return Number.isSafeInteger(v) && (v as number) >= 0 }
/** A record's revision: absent (0) or a safe integer >= 0. */
function isRev (v: unknown): boolean { return v === undefined || isSeq(v) }
function isEpoch (v: unknown): v is number { return Number.isSafeInteger(v) && (v as number) >= 0 }
function isActivation (v: unknown): v is string { return typeof v === 'string' && v.length > 0 && v.length <= 128 }
/** A lease holder: an activation, or an activation and a suffix for a log resumed from a hand-over. */
function isHolder (v: unknown): v is string { return typeof v === 'string' && v.length > 0 && v.length <= 160 }

/**
 * Checks a reply that came from another node's replica before the owner uses it: a member holding
 * the key that answers nonsense makes that replica count as broken for the activation, never
 * corrupts the owner's view of the log (InvalidReplicaReplyError).
 */
export function checkReplicaReply<R extends ReplicaRequest> (request: R, value: unknown): ReplyOf<R> {
  const fail = (why: string): never => { throw new InvalidReplicaReplyError(`reply to ${request.op} of ${request.entity}: ${why}`) }
  const v = value as Record<string, unknown> | null
  const obj = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x)
  switch (request.op) {
    case 'fence':
      if (!obj(v)) fail('not an object')
      if (v?.ok === true) {
        checkSummary(v.summary, fail)
        if (v.learner !== undefined && v.learner !== true) fail('learner must be true when present')
      } else if (v?.ok !== false || !isEpoch(v.promised)) fail('expected { ok: true, summary } or { ok: false, promised }')
      else if (v.version !== undefined && !isVersion(v.version)) fail('version must be a positive safe integer when present')
      else if (v.leaseMs !== undefined && (typeof v.leaseMs !== 'number' || !Number.isFinite(v.leaseMs) || v.leaseMs < 0 || v.leaseMs > MAX_LEASE_WAIT_MS)) fail(`leaseMs must be 0-${MAX_LEASE_WAIT_MS} when present`)
      break
    case 'lease':
      if (!obj(v) || (v?.result !== 'ok' && !isStale(v))) fail('expected { result: ok | stale }')
      break
    case 'release':
      if (!obj(v) || v?.result !== 'ok') fail('expected { result: ok }')
      break
    case 'append':
    case 'append-sealed':
    case 'truncate':
      if (!obj(v)) fail('not an object')
      if (v?.result === 'ok' || v?.result === 'mismatch') checkSummary(v.summary, fail)
      else if (!isStale(v)) fail('expected a result of ok, mismatch or stale')
      break
    case 'summary':
      checkSummary(v, fail)
      break
    case 'rewrite':
      if (!obj(v)) fail('not an object')
      if (v?.result === 'ok') {
        checkSummary(v.summary, fail)
        if (!isSeq(v.kept) || typeof v.whole !== 'boolean') fail('kept must be a count, whole a boolean')
      } else if (!isStale(v)) fail('expected a result of ok or stale')
      break
    case 'trim':
      if (!obj(v)) fail('not an object')
      if (v?.result === 'ok' || v?.result === 'no-snapshot') checkSummary(v.summary, fail)
      else if (!isStale(v)) fail('expected a result of ok, no-snapshot or stale')
      break
    case 'read': {
      if (!Array.isArray(value) || value.length > request.limit) fail(`expected at most ${request.limit} records`)
      ;(value as unknown[]).forEach((r, i) => {
        if (!obj(r) || r.seq !== request.from + i || !isEpoch(r.epoch) || !('event' in r) || !isRev(r.rev) || !isRev(r.revEpoch)) fail(`record ${i}: expected { seq: ${request.from + i}, epoch, event, rev?, revEpoch? }`)
      })
      break
    }
    case 'save-snapshot':
      if (!obj(v) || (v?.result !== 'ok' && !isStale(v))) fail('expected { result: ok | stale }')
      break
    case 'load-snapshot':
      if (value !== null && (!obj(v) || !isSeq(v?.seq) || (v?.seq as number) < 1 || !('state' in (v as object)))) fail('expected null or { seq, state }')
      break
  }
  return value as ReplyOf<R>
}

/** An append's fields (checkReplicaRequest): records consecutive from prevSeq + 1, epochs not
 * going down and not above the request's. */
function checkAppend (r: Record<string, unknown>, fail: (why: string) => never): void {
  if (!isEpoch(r.epoch) || r.epoch < 1) fail('append: epoch must be a positive safe integer')
  if (!isActivation(r.activation)) fail('append: activation must be a short string')
  if (r.holder !== undefined && !isHolder(r.holder)) fail('append: holder must be a short string when present')
  if (!isSeq(r.prevSeq) || !isEpoch(r.prevEpoch) || (r.prevSeq === 0) !== (r.prevEpoch === 0)) fail('append: prevSeq and prevEpoch must both be 0 or both positive')
  if (!Array.isArray(r.records) || r.records.length === 0 || r.records.length > APPEND_BATCH_RECORDS) fail(`append: records must be 1-${APPEND_BATCH_RECORDS}`)
  let seq = r.prevSeq as number
  let epoch = r.prevEpoch as number
  for (const rec of r.records as unknown[]) {
    const x = rec as Record<string, unknown> | null
    if (x === null || typeof x !== 'object' || !('event' in x)) fail('append: each record needs seq, epoch, event')
    if (!isRev(x?.rev) || !isRev(x?.revEpoch)) fail('append: a record\'s rev and revEpoch must be safe integers >= 0 when present')
    if (x?.seq !== ++seq) fail(`append: records must be consecutive from prevSeq + 1 (expected seq ${seq})`)
    if (!isEpoch(x?.epoch) || (x?.epoch as number) < epoch || (x?.epoch as number) > (r.epoch as number) || x?.epoch === 0) {
      fail('append: record epochs must not go down and not exceed the request epoch')
    }
    epoch = x?.epoch as number
  }
}

/** An append-sealed as the append it is: its records as they were stored (SealedRecord, written
 * as they are); InvalidReplicaRequestError when its values are not sealed records. */
export function sealedAsAppend (request: Extract<ReplicaRequest, { op: 'append-sealed' }>): Extract<ReplicaRequest, { op: 'append' }> {
  const records = sealedRecords(request.prevSeq, request.values)
  if (records === undefined) throw new InvalidReplicaRequestError('replica request: append-sealed: values must frame sealed records')
  const { entity, epoch, activation, prevSeq, prevEpoch, version } = request
  return { op: 'append', entity, epoch, activation, prevSeq, prevEpoch, records, ...(version !== undefined && { version }) }
}

/** An append-sealed's fields (checkReplicaRequest): every value a sealed record, their epochs
 * not going down from prevEpoch and not above the request's. */
function checkAppendSealed (r: Record<string, unknown>, fail: (why: string) => never): void {
  if (!isEpoch(r.epoch) || r.epoch < 1) fail('append-sealed: epoch must be a positive safe integer')
  if (!isActivation(r.activation)) fail('append-sealed: activation must be a short string')
  if (!isSeq(r.prevSeq) || !isEpoch(r.prevEpoch) || (r.prevSeq === 0) !== (r.prevEpoch === 0)) fail('append-sealed: prevSeq and prevEpoch must both be 0 or both positive')
  if (!(r.values instanceof Uint8Array) || r.values.byteLength > SEALED_APPEND_BYTES + 4 * SEALED_APPEND_RECORDS) fail(`append-sealed: values must be bytes, at most ${SEALED_APPEND_BYTES} of records`)
  const values = unframeStored(r.values as Uint8Array)
  if (values === undefined || values.length === 0 || values.length > SEALED_APPEND_RECORDS) fail(`append-sealed: values must frame 1-${SEALED_APPEND_RECORDS} stored values`)
  let epoch = r.prevEpoch as number
  for (const value of values as Uint8Array[]) {
    const e = value[0] === SEAL_SHA256 && value.byteLength > SEAL_HEADER_BYTES ? storedRecordEpoch(value) : undefined
    if (e === undefined) fail('append-sealed: each value must be a sealed record')
    if ((e as number) < epoch || (e as number) > (r.epoch as number) || e === 0) fail('append-sealed: record epochs must not go down and not exceed the request epoch')
    epoch = e as number
  }
}

/** A truncate's fields (checkReplicaRequest). */
function checkTruncate (r: Record<string, unknown>, fail: (why: string) => never): void {
  if (!isEpoch(r.epoch) || r.epoch < 1) fail('truncate: epoch must be a positive safe integer')
  if (!isActivation(r.activation)) fail('truncate: activation must be a short string')
  if (!isSeq(r.after) || !isEpoch(r.afterEpoch) || (r.after === 0) !== (r.afterEpoch === 0) || (r.afterEpoch as number) > (r.epoch as number)) fail('truncate: after and afterEpoch must both be 0 or both positive, afterEpoch at most the epoch')
}

export function checkSummary (s: unknown, fail: (why: string) => never): void {
  const x = s as Record<string, unknown> | null
  if (x === null || typeof x !== 'object' || !isEpoch(x.promised) || !isSeq(x.head) || !isEpoch(x.headEpoch) || !isSeq(x.snapshotSeq) ||
    !Array.isArray(x.segments) || x.segments.length > SUMMARY_SEGMENTS ||
    !x.segments.every((g) => Array.isArray(g) && g.length === 2 && isEpoch(g[0]) && isSeq(g[1]) && (g[1] as number) >= 1) ||
    (x.floor !== undefined && (!isSeq(x.floor) || x.floor < 1 || x.floor > (x.head as number) + 1)) || (x.revised !== undefined && !isSeq(x.revised)) || (x.rewrites !== undefined && !isSeq(x.rewrites)) ||
    (x.revisedEpoch !== undefined && !isEpoch(x.revisedEpoch)) || (x.rewritesEpoch !== undefined && !isEpoch(x.rewritesEpoch))) {
    fail('summary: expected { promised, head, headEpoch, segments: [[epoch, firstSeq]], snapshotSeq, floor? (1 to head + 1), revised?, revisedEpoch?, rewrites?, rewritesEpoch? }')
  }
}
