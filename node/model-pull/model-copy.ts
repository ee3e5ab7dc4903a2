import { randomUUID } from 'node:crypto'
import { mkdir, open, rename, rm, statfs } from 'node:fs/promises'
import { join } from 'node:path'
import type { ActorSystem, Behavior, ReplyTo } from '../../actors/index.ts'
import { isReplyTo } from '../../actors/index.ts'
import { shown } from '../../protocols/index.ts'
import { systemPath } from '../../protocols/p2p/index.ts'
import { MODEL_NAME_PATTERN, readGgufInfo, validateModel } from '../../runtimes/index.ts'
import type { ModelRegistry } from '../../runtimes/index.ts'
import { InvalidPeerRequestError } from '../mesh/index.ts'
import { IncomingFiles, PeriodicService, ServiceFailures } from '../services/index.ts'
import type { ServiceLog } from '../services/index.ts'
import { COPY_ASK_MS, COPY_CHUNK_BYTES, COPY_IDLE_MS, FREE_MARGIN_BYTES, MAX_INCOMING_COPIES, PARTIAL_DIR } from './constants.ts'
import { ModelPullError } from './errors.ts'
import type { FileDigests } from './file-digests.ts'

/** Where every ai member's model receiver lives. */
export const MODEL_COPY_PATH = systemPath('model-copy', 1)

/** Largest model a copy takes: 1 TiB. */
const MAX_MODEL_BYTES = 2 ** 40

/** Whether the receiver has the model already, or the transfer to send its bytes to. */
export type CopyOfferAnswer = { readonly have: true } | { readonly transfer: string }

export type ModelCopyMsg =
  /** The member that pulled a model → another ai member: take this model? `replace`: a model of
   * that name that is another file is replaced (else the offer is refused). */
  | { readonly type: 'copy-offer', readonly name: string, readonly sizeBytes: number, readonly sha256: string, readonly replace: boolean, readonly replyTo: ReplyTo<CopyOfferAnswer> }
  /** The next bytes of an accepted copy (replies 'ok'). */
  | { readonly type: 'copy-chunk', readonly transfer: string, readonly offset: number, readonly bytes: Uint8Array, readonly replyTo: ReplyTo<'ok'> }
  /** Every byte was sent: check them, validate the GGUF, and put the model in place (replies 'ok'). */
  | { readonly type: 'copy-commit', readonly transfer: string, readonly replyTo: ReplyTo<'ok'> }

/** What an incoming copy was offered with. */
interface Offered { readonly name: string, readonly sizeBytes: number, readonly sha256: string }

export interface ModelCopiesOptions {
  readonly system: ActorSystem
  readonly registry: Pick<ModelRegistry, 'dir' | 'scan' | 'get'>
  /** Whether a model is loaded here (a loaded model is not replaced under its requests). */
  readonly loaded: (name: string) => boolean
  readonly digests: FileDigests
  readonly log: ServiceLog
  /** Bytes sent and received, for metrics. */
  readonly onBytes?: (direction: 'sent' | 'received', bytes: number) => void
  readonly failures?: ServiceFailures
}

/**
 * Copies a model from the member that pulled it to the other ai members, over the mesh and not from
 * the internet again: the sender offers the model (name, size, SHA-256), streams its bytes in
 * chunks, and the receiver checks every byte against the SHA-256, validates the GGUF as every model
 * is, and only then puts it in its models dir; a model it has already (the same SHA-256) is not
 * sent again.
 */
export class ModelCopies {
  readonly #opts: ModelCopiesOptions
  readonly #incoming: IncomingFiles<Offered>
  readonly #failures: ServiceFailures
  #sweep: PeriodicService | undefined

  constructor (opts: ModelCopiesOptions) {
    this.#opts = opts
    this.#failures = opts.failures ?? new ServiceFailures()
    this.#incoming = new IncomingFiles({ what: 'copy', error: (message, kind) => new ModelPullError(message, kind), log: opts.log })
  }

  /** Sends the model in `file` to member `to`: 'had' when it had it already, else 'copied' once it
   * checked and kept it. `onBytes` is told the bytes sent so far. Rejects with what went wrong. */
  async copyTo (to: string, model: { name: string, file: string, sizeBytes: number, sha256: string, replace: boolean }, signal: AbortSignal, onBytes?: (sent: number) => void): Promise<'had' | 'copied'> {
    const peer = this.#opts.system.actorAt<ModelCopyMsg>({ node: to, path: MODEL_COPY_PATH })
    const ask = { timeout: COPY_ASK_MS }
    const answer = await peer.ask<CopyOfferAnswer>((replyTo) => ({ type: 'copy-offer', name: model.name, sizeBytes: model.sizeBytes, sha256: model.sha256, replace: model.replace, replyTo }), ask)
    if ('have' in answer) return 'had'
    const { transfer } = answer
    const file = await open(model.file, 'r')
    try {
      const buffer = Buffer.alloc(COPY_CHUNK_BYTES)
      for (let offset = 0; offset < model.sizeBytes;) {
        signal.throwIfAborted()
        const { bytesRead } = await file.read(buffer, 0, Math.min(COPY_CHUNK_BYTES, model.sizeBytes - offset), offset)
        if (bytesRead === 0) throw new ModelPullError(`the model's file ended at ${offset} of ${model.sizeBytes} bytes`)
        const bytes = Uint8Array.prototype.slice.call(buffer, 0, bytesRead)
        await peer.ask<'ok'>((replyTo) => ({ type: 'copy-chunk', transfer, offset, bytes, replyTo }), ask)
        offset += bytesRead
        this.#opts.onBytes?.('sent', bytesRead)
        onBytes?.(offset)
      }
    } finally {
      await file.close()
    }
    await peer.ask<'ok'>((replyTo) => ({ type: 'copy-commit', transfer, replyTo }), ask)
    return 'copied'
  }

  /** The receiver the other members' copies talk to. */
  behavior (): Behavior<ModelCopyMsg, undefined> {
    return {
      init: () => {
        if (this.#sweep === undefined) {
          this.#sweep = new PeriodicService({ name: 'model-copy-sweep', intervalMs: COPY_IDLE_MS / 4, run: async () => { await this.#incoming.dropIdle(COPY_IDLE_MS) }, failures: this.#failures, log: this.#opts.log })
          this.#sweep.start()
        }
        return undefined
      },
      receive: async (_state, sent, ctx) => {
        let msg: ModelCopyMsg
        try {
          msg = checkModelCopyMsg(sent)
        } catch (err) {
          const replyTo = (sent as { replyTo?: unknown } | null)?.replyTo
          if (isReplyTo(replyTo)) ctx.fail(replyTo, err)
          return undefined
        }
        try {
          switch (msg.type) {
            case 'copy-offer': ctx.reply(msg.replyTo, await this.#offer(msg)); break
            case 'copy-chunk': await this.#chunk(msg); ctx.reply(msg.replyTo, 'ok'); break
            case 'copy-commit': await this.#commit(msg.transfer); ctx.reply(msg.replyTo, 'ok'); break
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

  async #offer (msg: Extract<ModelCopyMsg, { type: 'copy-offer' }>): Promise<CopyOfferAnswer> {
    const { registry } = this.#opts
    await registry.scan()
    const known = registry.get(msg.name)
    if (known !== undefined) {
      if (known.runtime !== 'llama.cpp') throw new ModelPullError(`${msg.name} is a model on an OpenAI-compatible server here (${msg.name}.json); remove that file to take the GGUF`, 'conflict')
      const mine = await this.#opts.digests.of(known.file)
      if (mine === msg.sha256) return { have: true }
      if (!msg.replace) throw new ModelPullError(`another file named ${msg.name}.gguf is here (sha256 ${mine?.slice(0, 12) ?? '?'}…); pull with --replace to replace it`, 'conflict')
      if (this.#opts.loaded(msg.name)) throw new ModelPullError(`${msg.name} is loaded here: unload it first (plexi admin models unload ${msg.name})`, 'conflict')
    }
    if (this.#incoming.metas().some((t) => t.name === msg.name)) throw new ModelPullError(`${msg.name} is being copied here already`, 'conflict')
    if (this.#incoming.size >= MAX_INCOMING_COPIES) throw new ModelPullError(`this member receives ${MAX_INCOMING_COPIES} models already`)
    const dir = join(registry.dir, PARTIAL_DIR)
    await mkdir(dir, { recursive: true })
    const fs = await statfs(dir)
    if (fs.bavail * fs.bsize < msg.sizeBytes + FREE_MARGIN_BYTES) throw new ModelPullError(`not enough disk here for ${(msg.sizeBytes / 1_048_576).toFixed(1)} MiB`, 'exhausted')
    const file = join(dir, `${msg.name}.gguf.copy-${randomUUID()}`)
    return { transfer: await this.#incoming.open(file, msg.sizeBytes, { name: msg.name, sizeBytes: msg.sizeBytes, sha256: msg.sha256 }) }
  }

  async #chunk (msg: Extract<ModelCopyMsg, { type: 'copy-chunk' }>): Promise<void> {
    await this.#incoming.write(msg.transfer, msg.offset, msg.bytes)
    this.#opts.onBytes?.('received', msg.bytes.length)
  }

  async #commit (id: string): Promise<void> {
    const { file, meta, sha256 } = await this.#incoming.finish(id)
    try {
      if (sha256 !== meta.sha256) throw new ModelPullError('the bytes do not hash to the model\'s SHA-256', 'invalid')
      try {
        validateModel(file, await readGgufInfo(file))
      } catch (err) {
        throw new ModelPullError(`not a model llama.cpp can load: ${(err as Error).message}`, 'invalid')
      }
      if (this.#opts.loaded(meta.name)) throw new ModelPullError(`${meta.name} was loaded here while it was copied: unload it first`, 'conflict')
      const target = join(this.#opts.registry.dir, `${meta.name}.gguf`)
      await rename(file, target)
      await this.#opts.digests.remember(target, sha256)
      await this.#opts.registry.scan()
    } finally {
      await rm(file, { force: true })
    }
    this.#opts.log.info({ model: meta.name, bytes: meta.sizeBytes, sha256 }, `model ${meta.name} copied here (${(meta.sizeBytes / 1_048_576).toFixed(1)} MiB, sha256 checked)`)
  }
}

/** A copy message as it came off the wire, checked field by field. */
export function checkModelCopyMsg (msg: unknown): ModelCopyMsg {
  const m = msg as Record<string, unknown> | null
  if (typeof m !== 'object' || m === null) throw new InvalidPeerRequestError('a model copy message is an object')
  if (!isReplyTo(m.replyTo)) throw new InvalidPeerRequestError('a model copy message needs a reply address')
  const transfer = (v: unknown): boolean => typeof v === 'string' && /^[0-9a-f-]{36}$/.test(v)
  switch (m.type) {
    case 'copy-offer':
      if (typeof m.name !== 'string' || !MODEL_NAME_PATTERN.test(m.name)) throw new InvalidPeerRequestError('name: a model name')
      if (!Number.isSafeInteger(m.sizeBytes) || (m.sizeBytes as number) < 1 || (m.sizeBytes as number) > MAX_MODEL_BYTES) throw new InvalidPeerRequestError('sizeBytes: 1 byte to 1 TiB')
      if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) throw new InvalidPeerRequestError('sha256: 64 hex digits')
      if (typeof m.replace !== 'boolean') throw new InvalidPeerRequestError('replace: a boolean')
      return m as unknown as ModelCopyMsg
    case 'copy-chunk':
      if (!transfer(m.transfer)) throw new InvalidPeerRequestError('transfer: an id')
      if (!Number.isSafeInteger(m.offset) || (m.offset as number) < 0) throw new InvalidPeerRequestError('offset: an integer >= 0')
      if (!(m.bytes instanceof Uint8Array) || m.bytes.length === 0 || m.bytes.length > COPY_CHUNK_BYTES) throw new InvalidPeerRequestError(`bytes: 1 to ${COPY_CHUNK_BYTES} bytes`)
      return m as unknown as ModelCopyMsg
    case 'copy-commit':
      if (!transfer(m.transfer)) throw new InvalidPeerRequestError('transfer: an id')
      return m as unknown as ModelCopyMsg
    default:
      throw new InvalidPeerRequestError(`unknown model copy message ${shown(m.type, 64)}`)
  }
}

/** Starts the model receiver on `system`. */
export function spawnModelCopyActor (system: ActorSystem, copies: ModelCopies): void {
  system.spawn(copies.behavior(), { name: MODEL_COPY_PATH.slice(1), kind: 'model-copy', mailbox: 256 })
}
