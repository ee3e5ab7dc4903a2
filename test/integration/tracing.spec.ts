/**
 * Traces across nodes on real processes (issue 41, item 5): three node processes export spans to
 * a real OTLP/HTTP receiver this test starts, every trace sampled (--trace-sample 1). One chat post
 * is one trace, named by the client's own traceparent, whose spans come from every node it touched
 * with correct parent links: the gRPC call on the node it reached, the post on the room's owner,
 * the append to each replica and its write there, the delivery on the subscriber's gateway. The
 * log lines written inside it carry its ids. An agent's turn is a trace with its phases.
 */
import { randomBytes } from 'node:crypto'
import * as grpc from '@grpc/grpc-js'
import { expect } from 'chai'
import { loadChatService } from '../../protocols/grpc/index.ts'
import { agentClient, agentTurn, chatClient } from '../helpers/node-process.ts'
import { OtlpReceiver } from '../helpers/otlp-receiver.ts'
import type { ReceivedSpan } from '../helpers/otlp-receiver.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

/** A post through `address` with the client's own trace context in its metadata. */
async function tracedPost (address: string, token: string, room: string, text: string, traceparent: string): Promise<{ seq: number }> {
  const { Client } = loadChatService()
  const client = new Client(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & { Post: (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: { seq: number }) => void) => void }
  const metadata = new grpc.Metadata()
  metadata.set('authorization', `Bearer ${token}`)
  metadata.set('traceparent', traceparent)
  metadata.set('tracestate', 'plexi-test=1')
  try {
    return await new Promise((resolve, reject) => {
      client.Post({ room, text }, metadata, { deadline: Date.now() + 30_000 }, (err, res) => { if (err !== null) reject(err); else resolve(res) })
    })
  } finally {
    client.close()
  }
}

/** The span's chain of ancestors within its trace, nearest first (it stops where a parent is
 * missing). */
function ancestors (spans: readonly ReceivedSpan[], span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]))
  const chain: ReceivedSpan[] = []
  for (let p = byId.get(span.parentSpanId); p !== undefined && chain.length < 64; p = byId.get(p.parentSpanId)) chain.push(p)
  return chain
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex')

describe('traces across nodes (real OTLP receiver, three node processes)', function () {
  this.timeout(300_000)
  const receiver = new OtlpReceiver()
  let cluster: ProcessCluster
  let token = ''

  before(async () => {
    const endpoint = await receiver.start()
    cluster = new ProcessCluster({ args: ['--otlp-endpoint', endpoint, '--trace-sample', '1', '--log-level', 'debug'] })
    await cluster.start(['chat,storage', 'chat,storage', { roles: 'chat,storage,ai', args: ['--gpu', 'off', '--inference-threads', '1'] }])
    token = await cluster.addUser('tracer', cluster.slots[0])
  })

  after(async () => {
    await cluster?.close()
    await receiver.close()
  })

  describe('a chat post', () => {
    const traceId = hex(16)
    const clientSpan = hex(8)
    let trace: ReceivedSpan[] = []
    let entry: NodeSlot
    let owner: NodeSlot
    let gatewayNode: NodeSlot

    before(async () => {
      [entry, owner, gatewayNode] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
      const room = await cluster.keyOwnedBy(entry, 'room', 'chat', owner, 'traced')
      // a subscriber on the third node: the post's delivery there is part of its trace
      const watcher = chatClient(gatewayNode.node.grpc, token)
      const got: number[] = []
      const stream = watcher.subscribe(room, 0)
      let live = false
      stream.on('data', (e: { message?: { seq: number }, live?: unknown }) => {
        if (e.live != null) live = true
        if (e.message != null) got.push(e.message.seq)
      })
      stream.on('error', () => undefined)
      try {
        await waitFor(() => live, 'the subscription to be live', { timeout: 60_000, interval: 20 })
        const ack = await tracedPost(entry.node.grpc, token, room, 'where does my time go?', `00-${traceId}-${clientSpan}-01`)
        await waitFor(() => got.includes(ack.seq), 'the subscriber to get the post', { timeout: 30_000, interval: 20 })
      } finally {
        stream.cancel()
        watcher.close()
      }
      // every node exports within its batch delay: wait for the hops of the three
      const complete = (): boolean => {
        trace = receiver.trace(traceId)
        const appendNodes = new Set(trace.filter((s) => s.name === 'replica.append' && s.attributes['plexi.entity'] === `room/${room}`).map((s) => s.node))
        return appendNodes.size === 3 && trace.some((s) => s.name.endsWith('room-message') && s.node === gatewayNode.peerId) && trace.some((s) => s.name === 'plexi.chat.v1.Chat/Post')
      }
      await waitFor(complete, () => `the trace's spans from every node (have: ${receiver.trace(traceId).map((s) => `${s.name}@${s.node.slice(-6)}[${String(s.attributes['plexi.entity'] ?? '')} ${String(s.attributes['plexi.replica'] ?? '').slice(-6)} ${String(s.attributes['plexi.seq'] ?? '')}]`).join(', ')})`, { timeout: 60_000, interval: 50 })
    })

    it('should be one trace, the client\'s: the gRPC server span is a child of its traceparent', () => {
      const server = trace.filter((s) => s.name === 'plexi.chat.v1.Chat/Post')
      expect(server, 'Post server spans').to.have.lengthOf(1)
      expect(server[0]?.parentSpanId).to.equal(clientSpan)
      expect(server[0]?.kind, 'SERVER').to.equal(2)
      expect(server[0]?.node).to.equal(entry.peerId)
      expect(server[0]?.attributes['rpc.method']).to.equal('Post')
    })

    it('should link every span to a parent within the trace (only the server span\'s is the client\'s)', () => {
      const ids = new Set(trace.map((s) => s.spanId))
      const orphans = trace.filter((s) => !ids.has(s.parentSpanId) && s.parentSpanId !== clientSpan)
      expect(orphans.map((s) => `${s.name}@${s.node}`)).to.deep.equal([])
      expect(ids.size, 'span ids are unique').to.equal(trace.length)
    })

    it('should handle the post on the room\'s owner, under the gRPC call of the node it reached', () => {
      const post = trace.find((s) => s.name === 'room post')
      expect(post?.node, 'the owner handled it').to.equal(owner.peerId)
      expect(ancestors(trace, post as ReceivedSpan).map((s) => s.name)).to.include('plexi.chat.v1.Chat/Post')
    })

    it('should append to each replica from the owner, and write there, under the post', () => {
      const post = trace.find((s) => s.name === 'room post') as ReceivedSpan
      // (a room's first post also registers it in the rooms' directory, another entity's appends)
      const room = post.attributes['plexi.entity']
      const appends = trace.filter((s) => s.name === 'journal.append' && s.attributes['plexi.entity'] === room)
      expect(new Set(appends.map((s) => s.attributes['plexi.replica'])), 'replicas appended to').to.have.property('size', 3)
      for (const a of appends) {
        expect(a.node, 'appends are the owner\'s').to.equal(owner.peerId)
        expect(ancestors(trace, a).map((s) => s.spanId), `${a.name} under the post`).to.include(post.spanId)
      }
      for (const w of trace.filter((s) => s.name === 'replica.append' && s.attributes['plexi.entity'] === room)) {
        const chain = ancestors(trace, w)
        const append = chain.find((s) => s.name === 'journal.append')
        expect(append?.attributes['plexi.replica'], `the write on ${w.node} is under the owner's append to it`).to.equal(w.node)
        expect(chain.map((s) => s.spanId)).to.include(post.spanId)
      }
    })

    it('should deliver on the subscriber\'s gateway under the post', () => {
      const post = trace.find((s) => s.name === 'room post') as ReceivedSpan
      const delivery = trace.find((s) => s.name.endsWith('room-message') && s.node === gatewayNode.peerId) as ReceivedSpan
      expect(delivery.attributes['plexi.actor']).to.match(/chat-gateway/)
      expect(ancestors(trace, delivery).map((s) => s.spanId)).to.include(post.spanId)
    })

    it('should come from every node it touched', () => {
      expect(new Set(trace.map((s) => s.node))).to.deep.equal(new Set(cluster.slots.map((s) => s.peerId)))
    })

    it('should write the trace\'s ids in the log lines inside it', () => {
      const ids = new Set(trace.map((s) => s.spanId))
      const lines = cluster.slots.flatMap((s) => s.node.logs.filter((l) => l.traceId === traceId))
      expect(lines.length, 'log lines inside the trace').to.be.greaterThan(0)
      expect(lines.some((l) => typeof l.msg === 'string' && l.msg.startsWith('plexi.chat.v1.Chat/Post answered')), 'the call\'s own line').to.equal(true)
      for (const l of lines) expect(ids.has(String(l.spanId)), `a line's span is one of the trace's: ${String(l.msg)}`).to.equal(true)
    })
  })

  describe('an agent\'s turn', () => {
    let turn: ReceivedSpan[] = []
    before(async () => {
      const ai = cluster.slots[2] as NodeSlot
      const client = agentClient((cluster.slots[0] as NodeSlot).node.grpc, token)
      try {
        await agentTurn(client, 'hello there', 120_000)
      } finally {
        client.close()
      }
      await waitFor(() => {
        const span = receiver.spans.find((s) => s.name === 'agent.turn' && s.node === ai.peerId)
        turn = span === undefined ? [] : receiver.trace(span.traceId)
        return ['inference.queue', 'inference.prompt', 'inference.generate'].every((n) => turn.some((s) => s.name === n))
      }, 'the agent turn\'s spans', { timeout: 60_000, interval: 50 })
    })

    it('should be a trace from the Ask call through the agent to its turn\'s phases, on the ai node', () => {
      const ask = turn.find((s) => s.name === 'plexi.agent.v1.Agent/Ask')
      const agentTurnSpan = turn.find((s) => s.name === 'agent.turn') as ReceivedSpan
      expect(ask, 'the Ask server span').to.not.equal(undefined)
      expect(ancestors(turn, agentTurnSpan).map((s) => s.spanId)).to.include(ask?.spanId)
      for (const name of ['inference.queue', 'inference.prompt', 'inference.generate']) {
        const phase = turn.find((s) => s.name === name) as ReceivedSpan
        expect(phase.parentSpanId, `${name} is a phase of the turn`).to.equal(agentTurnSpan.spanId)
        expect(phase.endNs >= phase.startNs).to.equal(true)
      }
      const generate = turn.find((s) => s.name === 'inference.generate') as ReceivedSpan
      expect(Number(generate.attributes['gen_ai.usage.output_tokens'])).to.be.greaterThan(0)
    })
  })

  describe('a live move', () => {
    let move: ReceivedSpan | undefined
    let trace: ReceivedSpan[] = []
    let from: NodeSlot
    let to: NodeSlot
    before(async () => {
      [to, from] = cluster.slots as [NodeSlot, NodeSlot]
      const room = await cluster.keyOwnedBy(to, 'room', 'chat', from, 'moved')
      await chatClient(to.node.grpc, token).call('Post', { room, text: 'before the move' })
      await cluster.api(from, `/actors/room/${room}/migrate`, { method: 'POST', body: { to: to.peerId } })
      await waitFor(() => {
        move = receiver.spans.find((s) => s.name === 'entity.move' && s.attributes['plexi.entity'] === `room/${room}` && s.node === from.peerId)
        trace = move === undefined ? [] : receiver.trace(move.traceId)
        return trace.some((s) => s.node === to.peerId)
      }, 'the move\'s spans from both nodes', { timeout: 60_000, interval: 50 })
    })

    it('should be a trace from the old owner\'s move to the new owner\'s adoption', () => {
      expect(move?.node).to.equal(from.peerId)
      // (an admin's move pins the room to its new owner: the old owner's rebalance moves it)
      expect(move?.attributes).to.include({ 'plexi.to': to.peerId, 'plexi.outcome': 'moved' })
      const adopted = trace.find((s) => s.node === to.peerId && s.name.includes('adopt')) as ReceivedSpan
      expect(adopted, 'the new owner\'s adopt').to.not.equal(undefined)
      expect(ancestors(trace, adopted).map((s) => s.spanId)).to.include(move?.spanId)
    })
  })

  describe('a failover', () => {
    let recovered: ReceivedSpan | undefined
    let room = ''
    let killed: NodeSlot
    before(async () => {
      const [via, owner] = cluster.slots as [NodeSlot, NodeSlot]
      killed = owner
      room = await cluster.keyOwnedBy(via, 'room', 'chat', owner, 'failover')
      const client = chatClient(via.node.grpc, token)
      try {
        await client.call('Post', { room, text: 'before the crash' })
        const killedAt = Date.now()
        await owner.node.stop('SIGKILL', 20_000)
        // the room's next post activates it on a new owner, from its journal (retried while the
        // cluster notices the crash)
        await waitFor(async () => await client.call('Post', { room, text: 'after the crash' }).then(() => true, () => false), 'a post after the crash', { timeout: 60_000, interval: 200 })
        await waitFor(() => {
          recovered = receiver.spans.find((s) => s.name === 'entity.recover' && s.attributes['plexi.entity'] === `room/${room}` && s.node !== killed.peerId && Number(s.startNs / 1_000_000n) >= killedAt)
          return recovered !== undefined
        }, 'the recovery\'s span on the new owner', { timeout: 60_000, interval: 50 })
      } finally {
        client.close()
      }
    })

    it('should trace the entity\'s recovery on its new owner: a new epoch, the records it held', () => {
      expect(recovered?.attributes['plexi.recovered']).to.equal(true)
      expect(Number(recovered?.attributes['plexi.head'])).to.be.greaterThan(0)
      expect(Number(recovered?.attributes['plexi.epoch'])).to.be.greaterThan(0)
      expect(recovered?.status, 'not failed').to.not.equal(2)
    })
  })

  describe('the export', () => {
    it('should POST OTLP/HTTP JSON to /v1/traces only', () => {
      expect(receiver.spans.length, 'spans received').to.be.greaterThan(0)
      expect(receiver.refused, 'requests the receiver refused').to.equal(0)
      expect([...receiver.contentTypes], 'content types').to.deep.equal(['application/json'])
    })

    it('should count what each node exported in /metrics', async () => {
      for (const slot of cluster.running()) {
        const text = await cluster.metrics(slot)
        const exported = Number(/^plexi_trace_spans_exported_total (\d+)/m.exec(text)?.[1] ?? 0)
        expect(exported, `spans ${slot.peerId} exported`).to.be.greaterThan(0)
        expect(/^plexi_trace_spans_dropped_total 0$/m.test(text), 'none dropped').to.equal(true)
      }
    })
  })
})
