import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { AGENT_NODE_HEADER, loadAgentService } from '../../../protocols/grpc/index.ts'
import { GrpcServices } from '../../helpers/grpc-services.ts'

type Call = (req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall

describe('tellAgentNode (real gRPC, a real agent and LevelDB)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  let client: grpc.Client & Record<string, Call>
  /** What the agentNode dependency answers for each user (no entry: this node owns the agent). */
  const elsewhere = new Map<string, string>()
  const asked: string[] = []

  beforeEach(async () => {
    s = await GrpcServices.start({}, { agentNode: (user) => { asked.push(user); return elsewhere.get(user) } })
    client = new (loadAgentService().Client)(s.address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, Call>
  })
  afterEach(async () => {
    client.close()
    await s.stop()
  })

  /** One call's error and the AGENT_NODE_HEADER values of its response headers. */
  async function call (method: string, request: unknown, token: string): Promise<{ err: grpc.ServiceError | null, named: unknown[] }> {
    const md = new grpc.Metadata()
    md.set('authorization', `Bearer ${token}`)
    let named: unknown[] = []
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      const c = (client[method] as Call).call(client, request, md, { deadline: Date.now() + 10_000 }, resolve)
      c.on('metadata', (headers: grpc.Metadata) => { named = headers.get(AGENT_NODE_HEADER) })
    })
    return { err, named }
  }

  it('should answer every unary Agent call and name the agent\'s node in its headers when another node owns it', async () => {
    elsewhere.set('ann', '10.0.0.7:7400')
    for (const [method, request] of [['GetSettings', { user: '' }], ['History', { user: '', limit: 0 }], ['Configure', { user: '', persona: 'p' }], ['Reset', { user: '' }]] as const) {
      const { err, named } = await call(method, request, s.annToken)
      expect(err?.details, method).to.equal(undefined)
      expect(named, method).to.deep.equal(['10.0.0.7:7400'])
    }
  })

  it('should name no node when this node owns the agent, and none before the caller is known', async () => {
    elsewhere.clear()
    asked.length = 0
    expect(await call('GetSettings', { user: '' }, s.bobToken)).to.deep.equal({ err: null, named: [] })
    expect(asked).to.deep.equal(['bob'])
    elsewhere.set('ann', '10.0.0.7:7400')
    const refused = await call('GetSettings', { user: '' }, 'plxu_wrong')
    expect(refused.err?.code).to.equal(grpc.status.UNAUTHENTICATED)
    expect(refused.named).to.deep.equal([])
    const denied = await call('GetSettings', { user: 'ann' }, s.bobToken)
    expect(denied.err?.code).to.equal(grpc.status.PERMISSION_DENIED)
    expect(denied.named, 'nothing said of another user\'s agent').to.deep.equal([])
  })
})
