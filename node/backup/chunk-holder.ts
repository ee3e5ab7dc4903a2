import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { shown } from '../../protocols/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { isChunkId } from './backup-key.ts'
import type { ChunkStore } from './chunk-store.ts'
import { CHUNK_OVERHEAD_BYTES, HOLDER_ASK_MS, MAX_CHECK_CHUNKS, MAX_HOLDER_IDS, MAX_PUT_BYTES } from './constants.ts'
import { BackupHolderError } from './errors.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every backup-role node keeps other nodes' sealed chunks. */
export const CHUNK_HOLDER_PATH = systemPath('backup-chunks', 1)

export interface PutChunk {
  readonly id: string
  readonly digest: string
  readonly sealed: Uint8Array
}

/** What a holder is asked; it has no key: it stores, serves and proves ciphertext. */
export type ChunkHolderMsg =
  /** Stores the chunks it lacks (each checked against its digest), durable before the reply. */
  | { readonly type: 'chunk-put', readonly chunks: readonly PutChunk[], readonly replyTo: ReplyTo<{ stored: number, had: number }> }
  /** Which of the ids it holds. */
  | { readonly type: 'chunk-has', readonly ids: readonly string[], readonly replyTo: ReplyTo<boolean[]> }
  /** The sealed bytes, checked against their digest (null: not held). */
  | { readonly type: 'chunk-get', readonly id: string, readonly replyTo: ReplyTo<Uint8Array | null> }
  /** SHA-256(nonce ‖ sealed) of its copy: proof that it still holds it whole (null: not held). */
  | { readonly type: 'chunk-challenge', readonly id: string, readonly nonce: Uint8Array, readonly replyTo: ReplyTo<string | null> }
  /** Re-reads each copy and checks it against the digest it should have (the manifest's):
   * 'ok', 'missing' or 'damaged' for each, in order. The holder's word: `verify` without --full. */
  | { readonly type: 'chunk-check', readonly chunks: ReadonlyArray<{ readonly id: string, readonly digest: string }>, readonly replyTo: ReplyTo<ChunkCheck[]> }
  /** Forgets the chunks (a pruned backup's); replies how many it held. */
  | { readonly type: 'chunk-remove', readonly ids: readonly string[], readonly replyTo: ReplyTo<number> }
  /** The ids it holds after `after`, in order, at most `limit`. */
  | { readonly type: 'chunk-list', readonly after: string, readonly limit: number, readonly replyTo: ReplyTo<string[]> }

export type ChunkCheck = 'ok' | 'missing' | 'damaged'

const HEX64 = /^[0-9a-f]{64}$/

/**
 * Checks a message from another node field by field (InvalidPeerRequestError otherwise): known
 * type, chunk ids and digests well formed, sizes and counts within the limits.
 */
export function checkChunkHolderMsg (value: unknown): ChunkHolderMsg {
  const m = value as Record<string, unknown> | null
  const fail = (why: string): never => { throw new InvalidPeerRequestError(`backup chunk holder: ${why}`) }
  if (m === null || typeof m !== 'object' || !isReplyTo(m.replyTo)) fail('expected { type, ..., replyTo }')
  const ids = (v: unknown): string[] => {
    if (!Array.isArray(v) || v.length > MAX_HOLDER_IDS || !v.every(isChunkId)) fail(`ids: at most ${MAX_HOLDER_IDS} chunk ids`)
    return v as string[]
  }
  const msg = m as Record<string, unknown> & { replyTo: ReplyTo<never> }
  switch (msg.type) {
    case 'chunk-put': {
      if (!Array.isArray(msg.chunks) || msg.chunks.length === 0 || msg.chunks.length > MAX_HOLDER_IDS) fail(`chunks: 1 to ${MAX_HOLDER_IDS}`)
      let bytes = 0
      for (const c of msg.chunks as Array<Record<string, unknown> | null>) {
        if (c === null || typeof c !== 'object' || !isChunkId(c.id) || typeof c.digest !== 'string' || !HEX64.test(c.digest) ||
          !(c.sealed instanceof Uint8Array) || c.sealed.byteLength < CHUNK_OVERHEAD_BYTES || c.sealed.byteLength > MAX_PUT_BYTES) {
          fail('chunks: each { id, digest, sealed }')
        }
        bytes += (c?.sealed as Uint8Array).byteLength
      }
      if (bytes > MAX_PUT_BYTES) fail(`chunks: ${bytes} bytes in one put, at most ${MAX_PUT_BYTES}`)
      return { type: 'chunk-put', chunks: msg.chunks as PutChunk[], replyTo: msg.replyTo }
    }
    case 'chunk-has': return { type: 'chunk-has', ids: ids(msg.ids), replyTo: msg.replyTo }
    case 'chunk-check': {
      if (!Array.isArray(msg.chunks) || msg.chunks.length === 0 || msg.chunks.length > MAX_CHECK_CHUNKS) fail(`chunks: 1 to ${MAX_CHECK_CHUNKS}`)
      for (const c of msg.chunks as Array<Record<string, unknown> | null>) {
        if (c === null || typeof c !== 'object' || !isChunkId(c.id) || typeof c.digest !== 'string' || !HEX64.test(c.digest)) fail('chunks: each { id, digest }')
      }
      return { type: 'chunk-check', chunks: (msg.chunks as Array<{ id: string, digest: string }>).map((c) => ({ id: c.id, digest: c.digest })), replyTo: msg.replyTo }
    }
    case 'chunk-remove': return { type: 'chunk-remove', ids: ids(msg.ids), replyTo: msg.replyTo }
    case 'chunk-get':
      if (!isChunkId(msg.id)) fail('id: a chunk id')
      return { type: 'chunk-get', id: msg.id as string, replyTo: msg.replyTo }
    case 'chunk-challenge':
      if (!isChunkId(msg.id) || !(msg.nonce instanceof Uint8Array) || msg.nonce.byteLength < 16 || msg.nonce.byteLength > 64) fail('id and a nonce of 16-64 bytes')
      return { type: 'chunk-challenge', id: msg.id as string, nonce: msg.nonce as Uint8Array, replyTo: msg.replyTo }
    case 'chunk-list':
      if ((msg.after !== '' && !isChunkId(msg.after)) || !Number.isSafeInteger(msg.limit) || (msg.limit as number) < 1 || (msg.limit as number) > MAX_HOLDER_IDS) {
        fail(`after ('' or a chunk id) and limit 1-${MAX_HOLDER_IDS}`)
      }
      return { type: 'chunk-list', after: msg.after as string, limit: msg.limit as number, replyTo: msg.replyTo }
    default:
      return fail(`unknown type ${shown(msg.type, 40)}`)
  }
}

/**
 * A backup-role node's holder of sealed chunks: answers each request as its store finishes it
 * (puts group-commit in the store: one fsync serves the puts that arrive meanwhile). A malformed
 * request is refused and changes nothing.
 */
export function chunkHolder (store: ChunkStore): Behavior<ChunkHolderMsg, undefined> {
  return {
    init: () => undefined,
    receive (_state, sent, ctx) {
      let msg: ChunkHolderMsg
      try {
        msg = checkChunkHolderMsg(sent)
      } catch (err) {
        const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
        if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
        return undefined
      }
      const answer = async (): Promise<unknown> => {
        switch (msg.type) {
          case 'chunk-put': return await store.put(msg.chunks)
          case 'chunk-has': return store.has(msg.ids)
          case 'chunk-check': {
            const found: ChunkCheck[] = []
            for (const c of msg.chunks) found.push(await store.verify(c.id, c.digest))
            return found
          }
          case 'chunk-get': return (await store.get(msg.id)) ?? null
          case 'chunk-challenge': return (await store.challenge(msg.id, msg.nonce)) ?? null
          case 'chunk-remove': return await store.remove(msg.ids)
          case 'chunk-list': return store.list(msg.after === '' ? undefined : msg.after, msg.limit)
        }
      }
      answer().then((reply) => { ctx.reply(msg.replyTo as ReplyTo<unknown>, reply) }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
      return undefined
    }
  }
}

export function spawnChunkHolder (system: ActorSystem, store: ChunkStore): void {
  system.spawn(chunkHolder(store), { name: CHUNK_HOLDER_PATH.slice(1), kind: 'backup-chunk-holder', mailbox: 4_096 })
}

/** Another node's holder, every answer checked before use (BackupHolderError otherwise). */
export function holderAt (system: ActorSystem, node: string): ChunkHolderClient {
  const ask = async <T>(build: (replyTo: ReplyTo<T>) => ChunkHolderMsg): Promise<unknown> =>
    await system.actorAt<ChunkHolderMsg>({ node, path: CHUNK_HOLDER_PATH }).ask<T>(build as (replyTo: ReplyTo<T>) => ChunkHolderMsg, { timeout: HOLDER_ASK_MS })
  const fail = (why: string): never => { throw new BackupHolderError(`holder ${node}: ${why}`) }
  return {
    node,
    async put (chunks) {
      const r = await ask<{ stored: number, had: number }>((replyTo) => ({ type: 'chunk-put', chunks, replyTo })) as { stored?: unknown, had?: unknown } | null
      if (r === null || typeof r !== 'object' || !Number.isSafeInteger(r.stored) || !Number.isSafeInteger(r.had) || (r.stored as number) + (r.had as number) !== chunks.length) fail('a put answered with other counts than it was sent')
      return r as { stored: number, had: number }
    },
    async has (ids) {
      const r = await ask<boolean[]>((replyTo) => ({ type: 'chunk-has', ids, replyTo }))
      if (!Array.isArray(r) || r.length !== ids.length || !r.every((x) => typeof x === 'boolean')) fail(`expected ${ids.length} answers to has`)
      return r as boolean[]
    },
    async check (chunks) {
      const r = await ask<ChunkCheck[]>((replyTo) => ({ type: 'chunk-check', chunks, replyTo }))
      if (!Array.isArray(r) || r.length !== chunks.length || !r.every((x) => x === 'ok' || x === 'missing' || x === 'damaged')) fail(`expected ${chunks.length} answers to a check`)
      return r as ChunkCheck[]
    },
    async get (id) {
      const r = await ask<Uint8Array | null>((replyTo) => ({ type: 'chunk-get', id, replyTo }))
      if (r !== null && !(r instanceof Uint8Array)) fail(`chunk ${id}: expected bytes`)
      return r as Uint8Array | null
    },
    async challenge (id, nonce) {
      const r = await ask<string | null>((replyTo) => ({ type: 'chunk-challenge', id, nonce, replyTo }))
      if (r !== null && (typeof r !== 'string' || !HEX64.test(r))) fail(`chunk ${id}: expected a SHA-256 answer to the challenge`)
      return r as string | null
    },
    async remove (ids) {
      const r = await ask<number>((replyTo) => ({ type: 'chunk-remove', ids, replyTo }))
      if (!Number.isSafeInteger(r) || (r as number) < 0 || (r as number) > ids.length) fail('a remove answered with a count it was not sent')
      return r as number
    },
    async list (after, limit) {
      const r = await ask<string[]>((replyTo) => ({ type: 'chunk-list', after, limit, replyTo }))
      if (!Array.isArray(r) || r.length > limit || !r.every((id, i) => isChunkId(id) && id > (i === 0 ? after : r[i - 1] as string))) fail('a listing not in order after the last id')
      return r as string[]
    }
  }
}

export interface ChunkHolderClient {
  readonly node: string
  put (chunks: readonly PutChunk[]): Promise<{ stored: number, had: number }>
  has (ids: readonly string[]): Promise<boolean[]>
  check (chunks: ReadonlyArray<{ readonly id: string, readonly digest: string }>): Promise<ChunkCheck[]>
  get (id: string): Promise<Uint8Array | null>
  challenge (id: string, nonce: Uint8Array): Promise<string | null>
  remove (ids: readonly string[]): Promise<number>
  list (after: string, limit: number): Promise<string[]>
}
