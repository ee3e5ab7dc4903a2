/**
 * Agent calls routed to the agent's node (protocols/grpc AGENT_NODE_HEADER, AgentRoutes), on three
 * real node processes over real gRPC: a call to a node that does not own the caller's agent is
 * answered there (forwarded over the mesh) and names the owner's gRPC address in its response
 * headers; a client that follows it calls the owner, which names nobody; when an admin moves the
 * agent, the old owner still answers and names the new one; when the owner dies, the client's
 * next call fails there, it goes back to the node it was given, and learns the agent's node again.
 */
import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { AGENT_NODE_HEADER, AgentRoutes, loadAgentService } from '../../protocols/grpc/index.ts'
import { runCli } from '../helpers/node-process.ts'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { waitFor } from '../helpers/wait-for.ts'

type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => grpc.ClientUnaryCall
type AgentClient = grpc.Client & Record<string, Call>

interface Answer { readonly res?: { persona?: string }, readonly err?: grpc.ServiceError, readonly named: string | undefined, readonly at: string }

/** One client per address, the user's token on every call. */
class Clients {
  readonly #made = new Map<string, AgentClient>()
  readonly #metadata = new grpc.Metadata()

  constructor (token: string) {
    this.#metadata.set('authorization', `Bearer ${token}`)
  }

  /** One unary call at `at`: its answer or error, and the node its headers named. */
  async call (at: string, method: string, request: unknown, routes?: AgentRoutes): Promise<Answer> {
    let client = this.#made.get(at)
    if (client === undefined) {
      client = new (loadAgentService().Client)(at, grpc.credentials.createInsecure()) as unknown as AgentClient
      this.#made.set(at, client)
    }
    const c = client
    let named: string | undefined
    const out = await new Promise<{ res?: { persona?: string }, err?: grpc.ServiceError }>((resolve) => {
      const call = (c[method] as Call).call(c, request, this.#metadata, { deadline: Date.now() + 20_000 }, (err, res) => {
        resolve(err === null ? { res: res as { persona?: string } } : { err })
      })
      call.on('metadata', (md: grpc.Metadata) => {
        named = md.get(AGENT_NODE_HEADER)[0] as string | undefined
        routes?.heard('u', at, md)
      })
    })
    if (out.err !== undefined) routes?.failed('u', at)
    return { ...out, named, at }
  }

  /** A call as a following client makes it: to where `routes` sends the user now. */
  async routed (routes: AgentRoutes, method: string, request: unknown): Promise<Answer> {
    return await this.call(routes.target('u'), method, request, routes)
  }

  close (): void {
    for (const c of this.#made.values()) c.close()
  }
}

describe('agent calls routed to the agent\'s node (real processes, real gRPC)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  let clients: Clients | undefined

  before(async () => {
    await cluster.start(['ai,chat,storage', 'ai,chat,storage', 'ai,chat,storage'])
  })

  after(async () => {
    clients?.close()
    await cluster.close()
  })

  it('should answer at a non-owner naming the owner, reach the owner by following it, and learn again after a move and after the owner dies', async () => {
    const [a, b, c] = cluster.slots as [NodeSlot, NodeSlot, NodeSlot]
    // a user whose agent placement gives to A; the client is given B
    const user = await cluster.keyOwnedBy(b, 'agent', 'ai', a, 'router')
    clients = new Clients(await cluster.addUser(user, b))
    const routes = new AgentRoutes(b.node.grpc)

    // B does not own the agent: it answers (the change is the agent's) and names A
    const configured = await clients.call(b.node.grpc, 'Configure', { persona: 'routed persona' }, routes)
    expect(configured.err?.details, 'Configure through B').to.equal(undefined)
    expect(configured.res?.persona).to.equal('routed persona')
    expect(configured.named, 'the node B names').to.equal(a.node.grpc)
    expect(routes.target('u'), 'where the client calls next').to.equal(a.node.grpc)

    // the client follows: A owns the agent, answers what B's call changed, and names nobody
    const atOwner = await clients.routed(routes, 'GetSettings', {})
    expect(atOwner.at).to.equal(a.node.grpc)
    expect(atOwner.err?.details, 'GetSettings at A').to.equal(undefined)
    expect(atOwner.res?.persona).to.equal('routed persona')
    expect(atOwner.named, 'the owner names no other node').to.equal(undefined)
    expect(routes.target('u')).to.equal(a.node.grpc)

    // an admin moves the agent to C: A still answers the client's next call, and names C
    const moved = await runCli(['admin', 'migrate', `agent/${user}`, '--to', c.peerId, '--json', '--admin-addr', a.node.admin, '--data-dir', a.node.dataDir], { timeout: 120_000 })
    expect(moved.code, moved.stderr).to.equal(0)
    expect((JSON.parse(moved.stdout.trim().split('\n').at(-1) as string) as { state: string }).state).to.equal('done')
    for (const s of [a, b, c]) await waitFor(async () => await cluster.api<{ node: string }>(s, `/actors/agent/${user}`).then((r) => r.node === c.peerId), `${s.peerId} to place agent/${user} on C`, { timeout: 20_000, interval: 100 })
    const afterMove = await clients.routed(routes, 'History', { limit: 5 })
    expect(afterMove.at).to.equal(a.node.grpc)
    expect(afterMove.err?.details, 'History at A after the move').to.equal(undefined)
    expect(afterMove.named, 'the node A names after the move').to.equal(c.node.grpc)
    const atNew = await clients.routed(routes, 'GetSettings', {})
    expect(atNew.at).to.equal(c.node.grpc)
    expect(atNew.err?.details, 'GetSettings at C').to.equal(undefined)
    expect(atNew.res?.persona, 'the agent moved with its settings').to.equal('routed persona')
    expect(atNew.named).to.equal(undefined)

    // C dies: the client's call there fails, it goes back to B, and learns the agent's node again
    await c.node.stop('SIGKILL', 20_000)
    const failed = await clients.routed(routes, 'GetSettings', {})
    expect(failed.at).to.equal(c.node.grpc)
    expect(failed.err?.code, 'a call to the dead owner').to.not.equal(undefined)
    expect(routes.target('u'), 'after a failure, the given node').to.equal(b.node.grpc)
    // B's view drops C within the failure timeout; until then B's own hop to C may fail too
    let back: Answer | undefined
    await waitFor(async () => {
      back = await clients?.routed(routes, 'GetSettings', {})
      return back?.err === undefined
    }, () => `a GetSettings answered after C died (last: ${back?.err?.details ?? ''} at ${back?.at ?? ''})`, { timeout: 60_000, interval: 200 })
    expect(back?.res?.persona, 'the agent recovered with its settings').to.equal('routed persona')
    const owner = await cluster.api<{ node: string }>(b, `/actors/agent/${user}`)
    const ownerSlot = [a, b].find((s) => s.peerId === owner.node)
    expect(ownerSlot, 'the agent\'s new owner is A or B').to.not.equal(undefined)
    // the client now calls the agent's node (B itself names nobody; A is named and followed)
    if (back?.at === b.node.grpc && ownerSlot === a) expect(back.named).to.equal(a.node.grpc)
    const last = await clients.routed(routes, 'GetSettings', {})
    expect(last.err?.details).to.equal(undefined)
    expect(last.at, 'where the client calls once it learnt again').to.equal((ownerSlot as NodeSlot).node.grpc)
    expect(last.named).to.equal(undefined)
  })
})
