import { createHash } from 'node:crypto'
import { assertNever } from '../../protocols/index.ts'
import type { EntityContext, EntityType } from '../kernel/index.ts'
import { PluginPackageError, PluginPackageMissingError } from './errors.ts'
import { PACKAGE_DIGEST_PATTERN } from './plugin-catalog-protocol.ts'
import { PLUGIN_PACKAGE, checkPluginPackageMsg } from './plugin-package-protocol.ts'
import type { PackageInfo, PluginPackageEvent, PluginPackageMsg, PluginPackageState } from './plugin-package-protocol.ts'

type PackageContext = EntityContext<PluginPackageMsg, PluginPackageState, PluginPackageEvent>

/**
 * A plugin package's bytes, `plugin-package/<digest>`: written in chunks, one journal record each,
 * then sealed once every chunk was read back and the whole matched its digest (the key); read
 * back chunk by chunk by every plugins-role member that runs it. The state holds where each
 * chunk's record is, never the bytes, so its snapshots stay small. Content addressed: the same
 * package installed twice is stored once.
 */
export const pluginPackage: EntityType<PluginPackageMsg, PluginPackageState, PluginPackageEvent> = {
  type: PLUGIN_PACKAGE.type,
  role: 'plugins',
  initialState: () => ({ size: 0, count: 0, chunks: [], sealed: false }),
  applyEvent (state, event, seq) {
    switch (event.type) {
      case 'chunk-stored': {
        // a put for another size than the chunks stored so far starts over (an earlier attempt
        // that said the wrong size must not stop the right one)
        const fresh = event.size !== state.size || event.count !== state.count
        const chunks = fresh ? new Array<number>(event.count).fill(0) : [...state.chunks]
        chunks[event.index] = seq
        return { size: event.size, count: event.count, chunks, sealed: false }
      }
      case 'package-sealed':
        return { ...state, sealed: true }
      default:
        return assertNever(event, 'plugin package event')
    }
  },
  check: checkPluginPackageMsg,
  async receive (ctx, msg) {
    if (!PACKAGE_DIGEST_PATTERN.test(ctx.key)) {
      return ctx.fail(msg.replyTo, new PluginPackageError(`${ctx.id}: a package's key is its SHA-256 digest (64 hex digits)`))
    }
    switch (msg.type) {
      case 'put': {
        if (!ctx.state.sealed) await ctx.persist({ type: 'chunk-stored', index: msg.index, count: msg.count, size: msg.size, bytes: msg.bytes })
        return ctx.reply(msg.replyTo, stored(ctx.state))
      }
      case 'seal':
        return await seal(ctx, msg)
      case 'read': {
        const seq = ctx.state.sealed ? ctx.state.chunks[msg.index] : undefined
        if (seq === undefined) return ctx.fail(msg.replyTo, missing(ctx, msg.index))
        return ctx.reply(msg.replyTo, await chunkAt(ctx, seq))
      }
      case 'info':
        return ctx.reply(msg.replyTo, infoOf(ctx))
      default:
        assertNever(msg, 'plugin package message')
    }
  }
}

function stored (state: PluginPackageState): number {
  return state.chunks.filter((seq) => seq > 0).length
}

function infoOf (ctx: PackageContext): PackageInfo {
  return { digest: ctx.key, size: ctx.state.size, count: ctx.state.count, stored: stored(ctx.state), sealed: ctx.state.sealed }
}

function missing (ctx: PackageContext, index: number): PluginPackageMissingError {
  if (!ctx.state.sealed) return new PluginPackageMissingError(`package ${ctx.key} is not stored whole (${stored(ctx.state)} of ${ctx.state.count} chunks, not sealed)`)
  return new PluginPackageMissingError(`package ${ctx.key} has ${ctx.state.count} chunks, not ${index + 1}`)
}

/** The bytes of the chunk journaled at `seq`. */
async function chunkAt (ctx: PackageContext, seq: number): Promise<Uint8Array> {
  const [record] = await ctx.events(seq, 1)
  if (record === undefined || record.seq !== seq || record.event.type !== 'chunk-stored') throw new PluginPackageMissingError(`package ${ctx.key}: its chunk at record ${seq} cannot be read`)
  return record.event.bytes
}

/** Reads every chunk back, hashes the whole, and seals it when it matches its key and size. */
async function seal (ctx: PackageContext, msg: Extract<PluginPackageMsg, { type: 'seal' }>): Promise<void> {
  const state = ctx.state
  if (state.sealed && state.size === msg.size) return ctx.reply(msg.replyTo, infoOf(ctx))
  if (state.size !== msg.size || state.count !== msg.count || stored(state) !== state.count) {
    return ctx.fail(msg.replyTo, new PluginPackageError(`package ${ctx.key}: ${stored(state)} of ${msg.count} chunks of ${msg.size} bytes are stored: store every chunk before sealing it`))
  }
  const hash = createHash('sha256')
  let size = 0
  for (const seq of state.chunks) {
    const bytes = await chunkAt(ctx, seq)
    size += bytes.byteLength
    hash.update(bytes)
  }
  const digest = hash.digest('hex')
  if (digest !== ctx.key || size !== msg.size) {
    return ctx.fail(msg.replyTo, new PluginPackageError(`package ${ctx.key}: its ${size} bytes read back hash to ${digest}, not to its key: store its chunks again`))
  }
  await ctx.persist({ type: 'package-sealed' })
  ctx.reply(msg.replyTo, infoOf(ctx))
}
