import { isDeepStrictEqual } from 'node:util'
import * as grpc from '@grpc/grpc-js'
import fc from 'fast-check'
import { loadNodeServices } from '../../protocols/grpc/index.ts'
import { agentClient, chatClient } from '../helpers/node-process.ts'
import { clippedText } from './clipped-text.ts'
import { FuzzNode } from './fuzz-node.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'

/** Statuses that say the server broke, not that the request was refused. */
const BROKEN = new Set([grpc.status.INTERNAL, grpc.status.UNKNOWN, grpc.status.DATA_LOSS, grpc.status.UNIMPLEMENTED])
/** Statuses after which the call may still have done its work (the client stopped waiting). */
const UNDECIDED = new Set([grpc.status.OK, grpc.status.DEADLINE_EXCEEDED, grpc.status.CANCELLED])
/** How long a unary call may take: long, so that one that changes state has done so when it ends.
 * One the client gave up on was never answered (the node says DEADLINE_EXCEEDED itself, with its
 * own message, when a room does not answer in time). */
const UNARY_MS = 10_000
/** What the node logs when an error path threw where nothing caught it (cli/commands/node-commands.ts). */
const UNCAUGHT = /^(unhandled promise rejection|uncaught exception)/
/** How long a stream is followed (an Ask runs real inference; a Subscribe never ends by itself):
 * neither changes what stateOf reads. */
const STREAM_MS = 500

interface Method { readonly path: string, readonly stream: boolean, readonly serialize: (value: unknown) => Buffer }

function methods (): Method[] {
  const { chat, agent } = loadNodeServices()
  return [...Object.values(chat), ...Object.values(agent)].map((m) => ({ path: m.path, stream: m.responseStream, serialize: m.requestSerialize as (value: unknown) => Buffer }))
}

/** Protocol buffers fields of any number and wire type, with any values: decodes or not, as it falls. */
function protobufFields (): fc.Arbitrary<Uint8Array> {
  const varint = (n: bigint): number[] => {
    const out: number[] = []
    let v = BigInt.asUintN(64, n)
    while (v >= 0x80n) { out.push(Number(v & 0x7fn) | 0x80); v >>= 7n }
    out.push(Number(v))
    return out
  }
  const text = fc.oneof(fc.constantFrom('', 'lobby', 'fuzzer', 'Bad Room', 'x'.repeat(300), 'tiny', '\u0000', '\ud800'), fc.string({ maxLength: 30 }), clippedText({ lone: true }))
  const field = fc.tuple(fc.integer({ min: 1, max: 12 }), fc.oneof(
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map((v) => ({ wire: 0, bytes: varint(v) })),
    fc.oneof(text.map((s) => [...Buffer.from(s)]), fc.uint8Array({ maxLength: 40 }).map((b) => [...b])).map((b) => ({ wire: 2, bytes: [...varint(BigInt(b.length)), ...b] })),
    fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => ({ wire: 1, bytes: [...b] })),
    fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => ({ wire: 5, bytes: [...b] })),
    // a length that runs past the end, or a wire type protobuf does not have
    fc.record({ wire: fc.constantFrom(2, 3, 4, 6, 7), bytes: fc.uint8Array({ maxLength: 6 }).map((b) => [...b]) })))
  return fc.array(field, { maxLength: 6 }).map((fields) => Uint8Array.from(fields.flatMap(([n, { wire, bytes }]) => [...varint(BigInt((n << 3) | wire)), ...bytes])))
}

/** A request object near the .proto's: the fields of every request, each of a plausible or wrong value. */
function requestObject (): fc.Arbitrary<Record<string, unknown>> {
  const s = fc.oneof(
    fc.constantFrom('', 'lobby', 'fuzzer', 'someone', 'Bad Room', 'x'.repeat(200), 'tiny', 'é'.repeat(70), '@agent hi'),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    clippedText({ lone: true }))
  const n = fc.oneof(fc.constantFrom(0, 1, 2, 1000, 1001, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER), fc.nat(), fc.double({ noNaN: true, min: -5, max: 5 }))
  return fc.record({
    room: s, text: s, clientId: s, after: n, limit: n, user: s, persona: s, model: s,
    temperature: n, topP: n, topK: n, maxTokens: n
  }, { requiredKeys: [] })
}

/** What a refused call must leave as it was: the users, the rooms, a room's history, the user's agent settings. */
async function stateOf (node: FuzzNode): Promise<unknown> {
  const chat = chatClient(node.node.grpc, node.token)
  const agent = agentClient(node.node.grpc, node.token)
  try {
    return {
      users: await node.api('/users'),
      rooms: await chat.call('ListRooms', {}),
      lobby: await chat.call('History', { room: 'lobby', after: 0, limit: 1000 }),
      settings: await agent.call('GetSettings', {})
    }
  } finally {
    chat.close()
    agent.close()
  }
}

/** One call of `method` with `bytes` as its serialized request: the status it ended with. */
function call (client: grpc.Client, method: Method, bytes: Buffer, metadata: grpc.Metadata): Promise<grpc.StatusObject> {
  const identity = (b: Buffer): Buffer => b
  const options = { deadline: Date.now() + (method.stream ? STREAM_MS : UNARY_MS) }
  return new Promise((resolve) => {
    if (!method.stream) {
      const c = client.makeUnaryRequest(method.path, identity, identity, bytes, metadata, options, () => undefined)
      c.on('status', resolve)
      return
    }
    const c = client.makeServerStreamRequest(method.path, identity, identity, bytes, metadata, options)
    c.on('data', () => undefined)
    c.on('error', () => undefined)
    c.on('status', resolve)
  })
}

/** Fuzzes the node's gRPC services: see grpcFuzz. */
export async function fuzzGrpc (node: FuzzNode, options: FuzzOptions): Promise<fc.RunDetails<unknown>> {
  const all = methods()
  const client = new grpc.Client(node.node.grpc, grpc.credentials.createInsecure())
  try {
    const chat = chatClient(node.node.grpc, node.token)
    await chat.call('Post', { room: 'lobby', text: 'before the fuzz' })
    chat.close()
    /** The state after the last call (a call that succeeded may have changed it). */
    let known = await stateOf(node)
    const input = fc.record({
      method: fc.nat({ max: all.length - 1 }),
      request: fc.oneof(
        { weight: 2, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        { weight: 3, arbitrary: protobufFields() },
        { weight: 4, arbitrary: requestObject() }),
      auth: fc.oneof({ weight: 6, arbitrary: fc.constant('token' as const) }, { weight: 1, arbitrary: fc.constantFrom(undefined, '', 'Bearer plxu_nope', 'plxu_' + 'a'.repeat(500), 'Basic xyz') })
    })
    return await fc.check(fc.asyncProperty(input, async ({ method: i, request, auth }) => {
      const method = all[i] as Method
      let bytes: Buffer
      if (request instanceof Uint8Array) bytes = Buffer.from(request)
      else {
        try { bytes = method.serialize(request) } catch { bytes = Buffer.from(JSON.stringify(request)) }
      }
      const metadata = new grpc.Metadata()
      if (auth === 'token') metadata.set('authorization', `Bearer ${node.token}`)
      else if (auth !== undefined) metadata.set('authorization', auth)
      const logged = node.node.logs.length
      const status = await call(client, method, bytes, metadata)
      if (BROKEN.has(status.code)) throw new Error(`${method.path} answered ${grpc.status[status.code]}: ${status.details}`)
      if (!method.stream && status.code === grpc.status.DEADLINE_EXCEEDED && status.details.startsWith('Deadline exceeded')) throw new Error(`${method.path} was never answered`)
      const uncaught = node.node.logs.slice(logged).find((l) => typeof l.msg === 'string' && UNCAUGHT.test(l.msg))
      if (uncaught !== undefined || node.node.hasExited) throw new Error(`${method.path}: the node ${node.node.hasExited ? 'exited' : `logged "${String(uncaught?.msg)}"`} (${JSON.stringify(uncaught?.err ?? null).slice(0, 300)})`)
      const after = await stateOf(node)
      if (!UNDECIDED.has(status.code) && !isDeepStrictEqual(known, after)) throw new Error(`${method.path} refused (${grpc.status[status.code]}: ${status.details}) but changed the node's state`)
      known = after
    }), parameters(options))
  } finally {
    client.close()
  }
}

/**
 * Every method of the chat and agent services on a real node process, called with arbitrary bytes
 * as its serialized request (so protobuf decoding is fuzzed with our checks), protobuf fields of
 * any number and type, and near-valid requests (their text any Unicode, and text a clip would cut
 * inside a character), with good, bad and missing tokens: every unary call is answered, the node
 * logs nothing uncaught, the status is never INTERNAL or UNKNOWN, and a refused call changes
 * nothing (users, rooms, a room's history, the user's agent settings).
 */
export const grpcFuzz: FuzzTarget = {
  name: 'grpc',
  about: 'every gRPC method on a real node, arbitrary request bytes and text → always answered, never INTERNAL/UNKNOWN; refused calls change nothing',
  defaultRuns: 1_000,
  async run (options: FuzzOptions) {
    const node = new FuzzNode()
    try {
      await node.start()
      return await fuzzGrpc(node, options)
    } finally {
      await node.close()
    }
  }
}
