import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import fc from 'fast-check'
import { createLibp2p } from 'libp2p'
import { Packr } from 'msgpackr'
import { clusterKeyProtector } from '../../node/mesh/cluster-key-protector.ts'
import { noiseCrypto } from '../../node/mesh/noise-crypto.ts'
import { checkMigrationMsg } from '../../node/migration/index.ts'
import { checkRestoreHoldMsg } from '../../node/backup/index.ts'
import { checkRoles } from '../../node/mesh/index.ts'
import { ACTOR_PROTOCOL, ENVELOPE } from '../../protocols/p2p/index.ts'
import { roomMessage, userDirectoryMessage } from '../helpers/entity-messages.ts'
import { chatClient } from '../helpers/node-process.ts'
import { waitFor } from '../helpers/wait-for.ts'
import { streamBytes } from './frame-fuzz.ts'
import { FuzzNode } from './fuzz-node.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'
import { peerMessage } from './peer-message-fuzz.ts'

/** Packs what the garbage peer sends (a bigint past 64 bits goes as a float). */
const packr = new Packr({ useRecords: false, largeBigIntToFloat: true })
/** How long one stream of garbage may take to open and be written. */
const STREAM_MS = 3_000
/** Bytes written in one go, at most: a peer's write is cut so; the frames are not. */
const MAX_WRITE = 16 * 1024

/**
 * Actor requests a member may send that do real work when well-formed (drain the node, change its
 * roles, hold an entity, move one): a member holding the key is trusted to send them (docs/security.md),
 * so the garbage peer sends only the ones that fail their checks.
 */
function harmless (path: string, msg: unknown): boolean {
  const refused = (check: (m: unknown) => unknown): boolean => { try { check(msg) } catch { return true } return false }
  if (path === '/migration') return refused(checkMigrationMsg)
  if (path === '/role-manager') return (msg as { type?: unknown } | null)?.type !== 'set' || refused((m) => checkRoles((m as { roles?: unknown }).roles))
  if (path === '/backup-restore') return refused(checkRestoreHoldMsg)
  return true
}

function frame (envelopes: readonly unknown[]): Uint8Array {
  const body = packr.pack(envelopes)
  const head: number[] = []
  let n = body.byteLength
  while (n >= 0x80) { head.push((n & 0x7f) | 0x80); n = Math.floor(n / 128) }
  head.push(n)
  return Buffer.concat([Uint8Array.from(head), body])
}

/** What one stream carries: bytes for one of the node's protocols. */
function garbage (protocols: readonly string[], paths: readonly string[]): fc.Arbitrary<{ protocol: string, bytes: Uint8Array }> {
  const actor = (bytes: fc.Arbitrary<Uint8Array>): fc.Arbitrary<{ protocol: string, bytes: Uint8Array }> => bytes.map((b) => ({ protocol: ACTOR_PROTOCOL, bytes: b }))
  const replyTo = fc.constantFrom({ askId: 'g1', node: '' }, { askId: 'g2', node: 'nobody' })
  // well-formed frames whose messages are garbage: for the entities (rooms, the user directory, types
  // that do not exist) and for every actor of the node
  const entityEnvelope = fc.tuple(
    fc.constantFrom('room', 'users', 'rooms', 'agent', 'audit', 'backups', 'nope'),
    fc.constantFrom('spew', 'all', 'cluster', 'fuzzer', '$bad', ''),
    fc.oneof(roomMessage(), userDirectoryMessage(), peerMessage()),
    fc.constantFrom(0, 1), fc.constantFrom('', '12D3KooWNobody'))
    .map(([type, key, msg, hops, origin]) => [ENVELOPE.ENTITY, type, key, msg, hops, hops === 0 ? '' : origin === '' ? 'x' : origin])
  const actorEnvelope = fc.tuple(fc.constantFrom(...paths, '/nobody'), peerMessage(), replyTo)
    .map(([path, msg, to]) => [ENVELOPE.ACTOR, path, typeof msg === 'object' && msg !== null && !Array.isArray(msg) && !(msg instanceof Uint8Array) ? { ...msg, replyTo: to } : msg])
    .filter(([, path, msg]) => harmless(path as string, msg))
  const replies = fc.oneof(
    fc.tuple(fc.constant(ENVELOPE.REPLY), fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 2 })),
    fc.tuple(fc.constant(ENVELOPE.FAILURE), fc.string({ maxLength: 8 }), fc.record({ name: fc.constantFrom('Error', 'InvalidMessageError', '__proto__'), message: fc.string({ maxLength: 20 }), kind: fc.constant('invalid') })),
    fc.tuple(fc.constant(ENVELOPE.OWNER), fc.constantFrom('room', 'agent'), fc.constantFrom('lobby', 'spew'), fc.constantFrom('12D3KooWNobody', '')))
  return fc.oneof(
    { weight: 3, arbitrary: actor(streamBytes()) },
    { weight: 4, arbitrary: actor(fc.array(fc.oneof(entityEnvelope, actorEnvelope, replies), { minLength: 1, maxLength: 8 }).map(frame)) },
    // many frames at once, one cut short, or one over the frame limit announced
    { weight: 1, arbitrary: actor(fc.tuple(fc.array(fc.array(entityEnvelope, { maxLength: 4 }).map(frame), { maxLength: 20 }), fc.boolean()).map(([fs, cut]) => {
      const all = Buffer.concat(fs)
      return cut ? all.subarray(0, Math.max(0, all.byteLength - 3)) : all
    })) },
    { weight: 2, arbitrary: fc.record({ protocol: fc.constantFrom(...protocols), bytes: fc.uint8Array({ maxLength: 300 }) }) })
}

/** A libp2p node holding the cluster key, as a member's would be configured, that dials nobody by itself. */
async function garbagePeer (clusterKey: string): Promise<Libp2p> {
  return await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise({ crypto: noiseCrypto })],
    streamMuxers: [yamux()],
    connectionProtector: clusterKeyProtector({ psk: new TextEncoder().encode(clusterKey) }),
    services: { identify: identify() }
  })
}

/** One stream of `protocol` to `peer` with `bytes` written on it; any failure of ours or the node's closing it is fine. */
async function spew (peer: Libp2p, target: string, protocol: string, bytes: Uint8Array): Promise<void> {
  const signal = AbortSignal.timeout(STREAM_MS)
  try {
    const stream = await peer.dialProtocol(multiaddr(target), protocol, { signal })
    for (let at = 0; at < bytes.byteLength; at += MAX_WRITE) {
      if (!stream.send(bytes.subarray(at, at + MAX_WRITE))) await stream.onDrain({ signal })
    }
    await stream.close({ signal })
  } catch {
    // refused, reset or timed out: what a node may do to a peer that sends garbage
  }
}

function metric (text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
  return line === undefined ? 0 : Number(line.split(' ').at(-1))
}

/** The room's history through gRPC. */
async function history (node: FuzzNode, room: string): Promise<Array<{ seq: number, text: string }>> {
  const chat = chatClient(node.node.grpc, node.token)
  try {
    const got = await chat.call<{ messages?: Array<{ seq: number, text: string }> }>('History', { room, after: 0, limit: 1000 })
    return (got.messages ?? []).map((m) => ({ seq: Number(m.seq), text: m.text }))
  } finally {
    chat.close()
  }
}

/**
 * A member gone bad (it holds the cluster key) dials a real node process and, `numRuns` times,
 * opens one of the node's protocols and writes garbage: random bytes, frame headers over the
 * limit, truncated frames, frames of garbage envelopes, and well-formed frames of garbage messages
 * for its entities and every one of its actors. Meanwhile a user posts to a room. Then the node
 * must be alive and serving: every post acknowledged before and during the spew is in the room's
 * history at its seq, a new post is acknowledged, no actor restarted, frames were refused (the
 * garbage reached the decoder), and its memory is bounded (< 300 MiB more). Each run is also a
 * property run: the node still answers after it (its /livez, its gRPC).
 */
export async function fuzzGarbagePeer (node: FuzzNode, options: FuzzOptions): Promise<fc.RunDetails<unknown>> {
  const peer = await garbagePeer(node.clusterKey)
  const chat = chatClient(node.node.grpc, node.token)
  try {
    const metricsOf = async (): Promise<string> => await (await fetch(`http://${node.node.admin}/metrics`, { signal: AbortSignal.timeout(10_000) })).text()
    const before = await metricsOf()
    await peer.dial(multiaddr(node.p2p), { signal: AbortSignal.timeout(10_000) })
    // the node's protocols, as identify tells them; the actor protocol at least
    const remote = multiaddr(node.p2p).getComponents().find((c) => c.name === 'p2p')?.value as string
    let protocols: string[] = [ACTOR_PROTOCOL]
    await waitFor(async () => {
      const known = await peer.peerStore.get((await peer.getConnections()).find((c) => c.remotePeer.toString() === remote)?.remotePeer ?? peer.peerId).then((p) => p.protocols, (): string[] => [])
      if (known.includes(ACTOR_PROTOCOL)) protocols = known
      return known.includes(ACTOR_PROTOCOL)
    }, 'the node\'s protocols (identify)', { timeout: 10_000, interval: 50 }).catch(() => undefined)
    const paths = (await node.api<Array<{ path?: string }>>('/actors?all=true&limit=1000')).map((a) => a.path).filter((p): p is string => typeof p === 'string' && p.startsWith('/'))
    const acked: Array<{ seq: number, text: string }> = []
    const post = async (text: string): Promise<void> => {
      const ack = await chat.call<{ seq: number | string }>('Post', { room: 'lobby', text })
      acked.push({ seq: Number(ack.seq), text })
    }
    await post('before the garbage')
    let run = 0
    const details = await fc.check(fc.asyncProperty(garbage(protocols, paths), async ({ protocol, bytes }) => {
      run++
      await spew(peer, node.p2p, protocol, bytes)
      if (run % 10 === 0) await post(`during the garbage ${run}`)
      if (node.node.hasExited) throw new Error('the node exited')
    }), parameters(options))
    if (details.failed) return details
    // and after it: alive, serving, intact, nothing restarted, memory bounded
    const check = async (): Promise<void> => {
      if (node.node.hasExited) throw new Error(`the node exited: ${JSON.stringify(await node.node.exited)}`)
      if ((await fetch(`http://${node.node.admin}/livez`)).status !== 200) throw new Error('/livez is not 200')
      await post('after the garbage')
      const kept = await history(node, 'lobby')
      for (const a of acked) {
        if (!kept.some((m) => m.seq === a.seq && m.text === a.text)) throw new Error(`acknowledged post ${a.seq} (${a.text}) is not in the history`)
      }
      const after = await metricsOf()
      const restarts = metric(after, 'plexi_actor_restarts_total') - metric(before, 'plexi_actor_restarts_total')
      if (restarts !== 0) throw new Error(`${restarts} actor restarts`)
      if (options.numRuns >= 20 && metric(after, 'plexi_mesh_frames_refused_total') === 0) throw new Error('no frame was refused: the garbage did not reach the decoder')
      const grew = metric(after, 'plexi_process_resident_memory_bytes') - metric(before, 'plexi_process_resident_memory_bytes')
      if (grew > 300 * 1024 * 1024) throw new Error(`the node's memory grew by ${Math.round(grew / 1024 / 1024)} MiB`)
    }
    // not one input's fault but the whole run's: thrown, with the seed that replays the run
    await check().catch((err: unknown) => { throw new Error(`after ${details.numRuns} streams of garbage (seed ${details.seed}): ${(err as Error).message}`, { cause: err }) })
    return details
  } finally {
    chat.close()
    await peer.stop()
  }
}

/** fuzzGarbagePeer on a node process of its own. */
export const garbagePeerFuzz: FuzzTarget = {
  name: 'garbage-peer',
  about: 'a member with the cluster key spews garbage on every protocol of a real node → alive, serving, histories intact, no restart',
  defaultRuns: 500,
  async run (options: FuzzOptions) {
    const node = new FuzzNode()
    try {
      await node.start()
      return await fuzzGarbagePeer(node, options)
    } finally {
      await node.close()
    }
  }
}
