import { expect } from 'chai'
import type * as grpc from '@grpc/grpc-js'
import { loadNodeServices } from '../../../../protocols/grpc/index.ts'

interface NodesList {
  readonly base: string
  readonly reconnecting: boolean
  readonly list: string[]
  ok (base: string): void
  failed (base: string, connection: boolean): boolean
  learn (nodes: Array<{ web: string, grpc?: string, self?: boolean }>): void
  watch (listener: () => void): () => void
}
/** The page's browser modules, loaded as they are served (plain ES modules). */
const { Nodes } = await import('../../../../node/web/ui/lib/nodes.js' as string) as { Nodes: new (origin: string, allowed?: string[]) => NodesList }
const { retryDelay } = await import('../../../../node/web/ui/lib/grpc-web.js' as string) as { retryDelay: (err: { moved?: boolean, retryAfterMs?: number }, failures: number) => number }
const { METHODS } = await import('../../../../node/web/ui/lib/chat-messages.js' as string) as { METHODS: Record<string, { path: string, response: Record<number, readonly unknown[]> }> }
const proto = await import('../../../../node/web/ui/lib/proto.js' as string) as { decode: (schema: Record<number, readonly unknown[]>, bytes: Uint8Array) => Record<string, unknown> }

const [A, B, C] = ['http://10.0.0.1:7404', 'http://10.0.0.2:7404', 'http://10.0.0.3:7404']

describe('the chat page\'s nodes (node/web/ui/lib/nodes.js)', () => {
  it('should decode the Nodes answer the node\'s protobuf writes', () => {
    const method = Object.values(loadNodeServices().chat).find((m: grpc.MethodDefinition<unknown, unknown>) => m.path === METHODS.nodes?.path) as grpc.MethodDefinition<unknown, unknown>
    const bytes = method.responseSerialize({ nodes: [{ web: A, grpc: '10.0.0.1:7400', self: true }, { web: '', grpc: '10.0.0.2:7400', self: false }] })
    expect(proto.decode(METHODS.nodes!.response, bytes)).to.deep.equal({ nodes: [{ web: A, grpc: '10.0.0.1:7400', self: true }, { web: '', grpc: '10.0.0.2:7400', self: false }] })
  })

  it('should move to the next node when the one called fails, say reconnecting until one answers, and keep only origins a browser reaches', () => {
    const nodes = new Nodes(A)
    nodes.learn([{ web: A }, { web: B }, { web: '' }, { web: 'javascript:alert(1)' }, { web: `${C}/path` }, { web: C }])
    expect(nodes.list).to.deep.equal([A, B, C])
    let changes = 0
    nodes.watch(() => { changes++ })
    expect(nodes.failed(A, true), 'B may answer at once').to.equal(true)
    expect([nodes.base, nodes.reconnecting]).to.deep.equal([B, true])
    // other calls that failed on A at the same time move nothing more, and count as that one failure
    for (let i = 0; i < 5; i++) expect(nodes.failed(A, true)).to.equal(true)
    expect(nodes.base).to.equal(B)
    nodes.ok(B)
    expect([nodes.base, nodes.reconnecting, changes]).to.deep.equal([B, false, 2])
  })

  it('should call only the origins its page\'s policy allows (its plexi-connect meta): a member heard of after the page loaded is left out', () => {
    const nodes = new Nodes(A, [A, B])
    nodes.learn([{ web: A }, { web: B }, { web: C }])
    expect(nodes.list).to.deep.equal([A, B])
    // its own origin is always its first node, though the meta names none
    const alone = new Nodes(A, [])
    alone.learn([{ web: B }, { web: A }])
    expect(alone.list).to.deep.equal([A])
  })

  it('should pass over a node whose connection failed, and say when every node failed in a row, so that the caller backs off', () => {
    const nodes = new Nodes(A)
    nodes.learn([{ web: A }, { web: B }, { web: C }])
    expect(nodes.failed(A, true)).to.equal(true)
    // B answers UNAVAILABLE (its room still being taken over): C next, then B again, never the dead A
    expect(nodes.failed(B, false)).to.equal(true)
    expect(nodes.base).to.equal(C)
    expect(nodes.failed(C, false)).to.equal(true)
    expect(nodes.base).to.equal(B)
    expect(nodes.failed(B, false), 'four failures in a row over three nodes').to.equal(false)
    expect(nodes.base).to.equal(C)
  })

  it('should stay on its one node, and back off, when it knows no other', () => {
    const nodes = new Nodes(A)
    expect(nodes.failed(A, true)).to.equal(false)
    expect([nodes.base, nodes.reconnecting]).to.deep.equal([A, true])
  })

  it('should wait little before a call on the node moved to, a doubling backoff on the same node, and the node\'s retry-after when it gave one', () => {
    expect([1, 2, 3, 6].map((n) => retryDelay({ moved: true }, n))).to.deep.equal([100, 200, 400, 1000])
    expect([1, 2, 3, 6].map((n) => retryDelay({ moved: false }, n))).to.deep.equal([500, 1000, 2000, 5000])
    expect(retryDelay({ moved: true, retryAfterMs: 1234 }, 1)).to.equal(1234)
  })
})
