import { randomUUID } from 'node:crypto'
import type { Spans } from '../tracing/index.ts'
import { open, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { clip, shown } from '../../protocols/index.ts'
import { kvStatePaths, modelSha256, parseMeta } from '../../runtimes/index.ts'
import type { KvStateMeta, ModelManager, ModelRegistry } from '../../runtimes/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { IncomingFiles, PeriodicService, ServiceFailures } from '../services/index.ts'
import { INCOMING_IDLE_MS, KV_ASK_MS, KV_CHUNK_BYTES, MAX_INCOMING, MAX_KV_NAME } from './constants.ts'
import { KvCacheTransferError } from './errors.ts'
import { kvCacheDir } from './inference-plan.ts'
import { systemPath } from '../../protocols/p2p/index.ts'

/** Where every node's KV cache receiver lives. */
export const KV_CACHE_PATH = systemPath('kv-cache', 1)

export type KvCacheMsg =
  /** Old owner → new owner: take this conversation's saved state for `model`? */
  | { readonly type: 'kv-offer', readonly model: string, readonly cacheKey: string, readonly meta: KvStateMeta, readonly replyTo: ReplyTo<string> }
  /** The next bytes of an accepted transfer (replies 'ok'). */
  | { readonly type: 'kv-chunk', readonly transfer: string, readonly offset: number, readonly bytes: Uint8Array, readonly replyTo: ReplyTo<'ok'> }
  /** Every byte was sent: check them and keep the state (replies 'ok'). */
  | { readonly type: 'kv-commit', readonly transfer: string, readonly replyTo: ReplyTo<'ok'> }
  /** An erasure: remove the conversation's saved states for every model on this node (replies how
   * many were removed). */
  | { readonly type: 'kv-forget', readonly cacheKey: string, readonly replyTo: ReplyTo<number> }

/** What an incoming transfer was offered with. */
interface Offered {
  readonly model: string
  readonly cacheKey: string
  readonly meta: KvStateMeta
  readonly dir: string
}

export interface KvCacheTransferOptions {
  readonly system: ActorSystem
  readonly manager: ModelManager
  readonly registry: ModelRegistry
  readonly dataDir: string
  /** config kv-cache-disk in bytes: 0 takes no state (and sends none). */
  readonly budgetBytes: number
  readonly log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void, debug (obj: object, msg: string): void }
  /** Bytes sent and received, for metrics. */
  readonly onTransfer?: (direction: 'sent' | 'received', bytes: number) => void
  /** Where the sweep of idle transfers counts its failures (one per node, shared by every
   * service). @default a counter of its own */
  readonly failures?: ServiceFailures
  /** A push inside a recorded trace (a move's) is a span, `kv-cache.transfer`. @default none */
  readonly spans?: Spans
}

/**
 * Moves an agent's KV cache with the agent: before an agent's hand-off, its old owner saves the
 * conversation's cache and streams it to the new owner in chunks (`push`), which checks every
 * byte against the state's SHA-256 and keeps it where its llama.cpp workers restore saved states;
 * the agent's first turn there then evaluates only its new tokens. It runs before the hand-off and
 * outside its pause; anything that goes wrong only costs that turn a whole evaluation.
 */
export class KvCacheTransfer {
  readonly #opts: KvCacheTransferOptions
  readonly #incoming: IncomingFiles<Offered>
  /** Drops incoming transfers idle for INCOMING_IDLE_MS (started with the receiver). */
  #sweep: PeriodicService | undefined
  readonly #failures: ServiceFailures

  constructor (opts: KvCacheTransferOptions) {
    this.#opts = opts
    this.#failures = opts.failures ?? new ServiceFailures()
    this.#incoming = new IncomingFiles({ what: 'transfer', error: (message) => new KvCacheTransferError(message), log: opts.log })
  }

  /** Saves the conversation's caches held here and sends each to `to`; resolves with the bytes
   * sent. Rejects (KvCacheTransferError) when the other node refused or did not answer. */
  async push (cacheKey: string, to: string): Promise<number> {
    if (this.#opts.budgetBytes === 0) return 0
    const spans = this.#opts.spans
    if (spans === undefined) return await this.#push(cacheKey, to)
    return await spans.span('kv-cache.transfer', { 'plexi.to': to }, async () => await this.#push(cacheKey, to), { role: 'producer' })
  }

  async #push (cacheKey: string, to: string): Promise<number> {
    const { manager, system, dataDir } = this.#opts
    let sent = 0
    for (const saved of await manager.saveCaches([cacheKey])) {
      const dir = kvCacheDir(dataDir, saved.model)
      const paths = kvStatePaths(dir, cacheKey)
      const meta = parseMeta(await readFile(paths.meta, 'utf8'))
      if (typeof meta === 'string') throw new KvCacheTransferError(`the state just saved is not whole: ${meta}`)
      const peer = system.actorAt<KvCacheMsg>({ node: to, path: KV_CACHE_PATH })
      const transfer = await peer.ask<string>((replyTo) => ({ type: 'kv-offer', model: saved.model, cacheKey, meta, replyTo }), { timeout: KV_ASK_MS })
      if (typeof transfer !== 'string') throw new KvCacheTransferError('the other node answered the offer with nonsense')
      const file = await open(paths.state, 'r')
      try {
        const buffer = Buffer.alloc(KV_CHUNK_BYTES)
        for (let offset = 0; offset < meta.bytes;) {
          const { bytesRead } = await file.read(buffer, 0, Math.min(KV_CHUNK_BYTES, meta.bytes - offset), offset)
          if (bytesRead === 0) throw new KvCacheTransferError(`the state file ended at ${offset} of ${meta.bytes} bytes`)
          const bytes = Uint8Array.prototype.slice.call(buffer, 0, bytesRead)
          await peer.ask<'ok'>((replyTo) => ({ type: 'kv-chunk', transfer, offset, bytes, replyTo }), { timeout: KV_ASK_MS })
          offset += bytesRead
        }
      } finally {
        await file.close()
      }
      await peer.ask<'ok'>((replyTo) => ({ type: 'kv-commit', transfer, replyTo }), { timeout: KV_ASK_MS })
      sent += meta.bytes
      this.#opts.onTransfer?.('sent', meta.bytes)
      this.#opts.log.debug({ cacheKey: clip(cacheKey, 100), model: saved.model, to, bytes: meta.bytes, tokens: meta.tokens }, 'KV cache sent')
    }
    return sent
  }

  /** The receiver other nodes' transfers talk to. */
  behavior (): Behavior<KvCacheMsg, undefined> {
    return {
      init: () => {
        if (this.#sweep === undefined) {
          this.#sweep = new PeriodicService({ name: 'kv-cache-sweep', intervalMs: INCOMING_IDLE_MS, run: async () => { await this.#incoming.dropIdle(INCOMING_IDLE_MS) }, failures: this.#failures, log: this.#opts.log })
          this.#sweep.start()
        }
        return undefined
      },
      receive: async (_state, sent, ctx) => {
        let msg: KvCacheMsg
        try {
          msg = checkKvCacheMsg(sent)
        } catch (err) {
          const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
          if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
          return undefined
        }
        try {
          switch (msg.type) {
            case 'kv-offer': ctx.reply(msg.replyTo, await this.#offer(msg)); break
            case 'kv-chunk': await this.#chunk(msg); ctx.reply(msg.replyTo, 'ok'); break
            case 'kv-commit': await this.#commit(msg.transfer); ctx.reply(msg.replyTo, 'ok'); break
            case 'kv-forget': ctx.reply(msg.replyTo, await this.forget(msg.cacheKey)); break
          }
        } catch (err) {
          ctx.fail(msg.replyTo, err)
        }
        return undefined
      },
      onStop: async () => { await this.close() }
    }
  }

  async close (): Promise<void> {
    const sweep = this.#sweep
    this.#sweep = undefined
    await sweep?.stop()
    await this.#incoming.dropAll()
  }

  async #offer (msg: Extract<KvCacheMsg, { type: 'kv-offer' }>): Promise<string> {
    const { registry, budgetBytes, dataDir } = this.#opts
    if (budgetBytes === 0) throw new KvCacheTransferError('this node keeps no KV caches on disk (kv-cache-disk 0)')
    if (msg.meta.bytes > budgetBytes) throw new KvCacheTransferError(`the state is ${msg.meta.bytes} bytes, more than this node keeps (${budgetBytes})`)
    if (this.#incoming.size >= MAX_INCOMING) throw new KvCacheTransferError(`this node already receives ${MAX_INCOMING} KV caches`)
    const entry = registry.get(msg.model)
    if (entry?.status !== 'ready' || entry.runtime !== 'llama.cpp') throw new KvCacheTransferError(`this node has no llama.cpp model ${clip(msg.model, 100)}`)
    const dir = kvCacheDir(dataDir, msg.model)
    // the state is only worth its bytes for the very same model file
    const mine = await modelSha256(dir, entry.file)
    if (mine !== msg.meta.modelSha256) throw new KvCacheTransferError(`model ${clip(msg.model, 100)} here is another file (sha256 ${mine.slice(0, 12)}…)`)
    return await this.#incoming.open(join(dir, `${randomUUID()}.incoming`), msg.meta.bytes, { model: msg.model, cacheKey: msg.cacheKey, meta: msg.meta, dir })
  }

  async #chunk (msg: Extract<KvCacheMsg, { type: 'kv-chunk' }>): Promise<void> {
    await this.#incoming.write(msg.transfer, msg.offset, msg.bytes)
  }

  async #commit (id: string): Promise<void> {
    const { file, meta: t, sha256 } = await this.#incoming.finish(id)
    try {
      if (sha256 !== t.meta.sha256) throw new KvCacheTransferError('the bytes do not hash to the state\'s SHA-256')
      const paths = kvStatePaths(t.dir, t.cacheKey)
      await rm(paths.meta, { force: true })
      await rename(file, paths.state)
      await writeFile(`${paths.meta}.tmp`, JSON.stringify(t.meta))
      await rename(`${paths.meta}.tmp`, paths.meta)
    } finally {
      await rm(file, { force: true })
    }
    this.#opts.manager.savedStateArrived(t.model, t.cacheKey, t.meta.bytes)
    this.#opts.onTransfer?.('received', t.meta.bytes)
    this.#opts.log.debug({ cacheKey: clip(t.cacheKey, 100), model: t.model, bytes: t.meta.bytes, tokens: t.meta.tokens }, 'KV cache received')
  }

  /** Removes the conversation's saved states under every model's directory here, and any transfer
   * of it still arriving; resolves with how many states were removed. */
  async forget (cacheKey: string): Promise<number> {
    await this.#incoming.dropWhere((t) => t.cacheKey === cacheKey)
    const root = join(this.#opts.dataDir, 'kv-cache')
    const models = await readdir(root, { withFileTypes: true }).catch(() => [])
    let removed = 0
    for (const model of models) {
      if (!model.isDirectory()) continue
      const paths = kvStatePaths(join(root, model.name), cacheKey)
      const had = await stat(paths.state).then(() => true, () => false) || await stat(paths.meta).then(() => true, () => false)
      await rm(paths.meta, { force: true })
      await rm(paths.state, { force: true })
      if (had) removed++
    }
    return removed
  }
}

/** A transfer message as it came off the wire, checked field by field. */
export function checkKvCacheMsg (msg: unknown): KvCacheMsg {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) throw new InvalidPeerRequestError('a KV cache message is an object')
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a KV cache message needs a reply address')
  const name = (v: unknown): boolean => typeof v === 'string' && v.length > 0 && v.length <= MAX_KV_NAME
  switch (m.type) {
    case 'kv-offer': {
      if (!name(m.model) || !name(m.cacheKey)) throw new InvalidPeerRequestError('model and cacheKey: names of 1 to 512 characters')
      const meta = parseMeta(JSON.stringify(m.meta ?? null))
      if (typeof meta === 'string') throw new InvalidPeerRequestError(`meta: ${meta}`)
      return m as unknown as KvCacheMsg
    }
    case 'kv-chunk':
      if (!name(m.transfer)) throw new InvalidPeerRequestError('transfer: an id')
      if (!Number.isSafeInteger(m.offset) || (m.offset as number) < 0) throw new InvalidPeerRequestError('offset: an integer >= 0')
      if (!(m.bytes instanceof Uint8Array) || m.bytes.length === 0 || m.bytes.length > KV_CHUNK_BYTES) throw new InvalidPeerRequestError(`bytes: 1 to ${KV_CHUNK_BYTES} bytes`)
      return m as unknown as KvCacheMsg
    case 'kv-commit':
      if (!name(m.transfer)) throw new InvalidPeerRequestError('transfer: an id')
      return m as unknown as KvCacheMsg
    case 'kv-forget':
      if (!name(m.cacheKey)) throw new InvalidPeerRequestError('cacheKey: a name of 1 to 512 characters')
      return m as unknown as KvCacheMsg
    default:
      throw new InvalidPeerRequestError(`unknown KV cache message ${shown(m.type, 64)}`)
  }
}

/** Starts the KV cache receiver on `system`. */
export function spawnKvCacheActor (system: ActorSystem, transfer: KvCacheTransfer): void {
  system.spawn(transfer.behavior(), { name: KV_CACHE_PATH.slice(1), kind: 'kv-cache', mailbox: 1024 })
}
