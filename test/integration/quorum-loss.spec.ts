/**
 * A lost write quorum, refused or explained, never misreported (issue 35, part 4), on real node
 * processes: the two-node cluster a new user starts (both nodes with every role, so each journal is
 * on both: R=2, W=2). A drain, a decommission or taking the storage role from one is refused with
 * the reason; forced, it is done and audited as forced; the node left then answers every write
 * UNAVAILABLE naming the lost quorum (gRPC and the CLI, which says the outcome is unknown and tries
 * again with the same client id), logs it once without a stack, and shows it in `admin cluster`.
 * Once the drained node is back, the same post is stored once.
 */
import { expect } from 'chai'
import * as grpc from '@grpc/grpc-js'
import { ProcessCluster } from '../helpers/process-cluster.ts'
import type { NodeSlot } from '../helpers/process-cluster.ts'
import { chatClient, runCli } from '../helpers/node-process.ts'
import { waitFor } from '../helpers/wait-for.ts'

interface Writes { available: boolean, needed: number, writeQuorum: number, replicas: number, storageNodes: number, storageUp: number, partitions: number, unavailablePartitions: number, down: string[] }
interface AuditRow { action: string, target: string, outcome: string, status: number, detail: string }

const LOST = 'writes unavailable: 1 of the 2 replicas a write needs is reachable'

describe('quorum loss on real processes (two storage nodes, R=2 W=2)', function () {
  this.timeout(240_000)
  const cluster = new ProcessCluster()
  let a: NodeSlot
  let b: NodeSlot
  let token = ''
  /** Where node a's log stood when b was drained. */
  let mark = 0

  before(async () => {
    await cluster.start(['all', 'all'])
    ;[a, b] = cluster.slots as [NodeSlot, NodeSlot]
    token = await cluster.addUser('quinn', a)
    const client = chatClient(a.node.grpc, token)
    try {
      await client.call('Post', { room: 'q1', text: 'before', clientId: 'q-before' })
    } finally {
      client.close()
    }
  })
  after(async () => { await cluster.close() })

  const admin = (slot: NodeSlot): string[] => ['--admin-addr', slot.node.admin, '--admin-token', slot.node.adminToken]
  const send = async (room: string, text: string, clientId: string): Promise<{ code: number | null, stdout: string, stderr: string }> =>
    await runCli(['chat', 'send', '--addr', a.node.grpc, '--token', token, '--room', room, '--client-id', clientId, text], { timeout: 120_000 })

  it('should refuse a drain, a decommission and taking the storage role that would leave fewer storage nodes up than a write needs, saying why, and change nothing', async () => {
    const drain = await runCli(['admin', 'drain', b.peerId, ...admin(a)])
    expect(drain.code).to.equal(1)
    expect(drain.stderr).to.equal(`plexi: POST /api/v1/nodes/${b.peerId}/drain: 409 draining ${b.peerId} would stop writes on 256 of 256 partitions (1 of the 2 replicas a write needs would be up) until it is back. Start another storage node first, or drain it anyway with --force (HTTP: "force": true)\n`)
    const roles = await runCli(['admin', 'roles', 'set', b.peerId, 'chat,ai', ...admin(a)])
    expect(roles.code).to.equal(1)
    expect(roles.stderr).to.match(new RegExp(`^plexi: PUT /api/v1/nodes/${b.peerId}/roles: 409 taking the storage role from ${b.peerId} would leave 1 storage node up, and a write needs 2: .* or change its roles anyway with --force`))
    expect(roles.stderr.trim().split('\n')).to.have.length(1)
    const decommission = await fetch(`http://${a.node.admin}/api/v1/nodes/${b.peerId}/decommission`, {
      method: 'POST', headers: { authorization: `Bearer ${a.node.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ force: false })
    })
    expect(decommission.status).to.equal(409)
    expect(await decommission.json()).to.deep.include({ code: 'WRITE_QUORUM_LOSS' })
    // nothing changed: b is up with its roles, and writes are available
    const { members, writes } = await cluster.api<{ members: Array<{ peerId: string, status: string, roles: string[] }>, writes: Writes }>(a, '/cluster')
    expect(members.find((m) => m.peerId === b.peerId)).to.deep.include({ status: 'up', roles: ['chat', 'ai', 'storage', 'backup', 'plugins'] })
    expect(writes).to.deep.equal({ available: true, needed: 2, writeQuorum: 2, replicas: 2, storageNodes: 2, storageUp: 2, partitions: 256, unavailablePartitions: 0, down: [] })
    expect(b.node.hasExited).to.equal(false)
  })

  it('should drain with --force, and then answer writes UNAVAILABLE naming the lost quorum, never a deadline, logged once without a stack', async () => {
    mark = a.node.logs.length
    const drain = await runCli(['admin', 'drain', b.peerId, '--force', ...admin(a)])
    expect(drain.code, drain.stderr).to.equal(0)
    await b.node.exited
    await a.node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('writes unavailable on'), 'the quorum lost')

    // gRPC: a room that was active here and one that was not
    const client = chatClient(a.node.grpc, token)
    try {
      for (const room of ['q1', 'q-new']) {
        const err = await client.call('Post', { room, text: 'lost', clientId: `q-grpc-${room}` }).then(() => null, (e: unknown) => e as grpc.ServiceError)
        expect(err?.code, `${room}: ${err?.details}`).to.equal(grpc.status.UNAVAILABLE)
        expect(err?.details).to.include(LOST)
      }
    } finally {
      client.close()
    }

    // the CLI: an unknown outcome, tried again with the same client id, never "not sent" or "cannot reach"
    const sent = await send('q1', 'after the drain', 'q-cli-1')
    expect(sent.code).to.equal(1)
    const lines = sent.stderr.trim().split('\n')
    expect(lines.slice(0, -1)).to.deep.equal([
      'plexi: no acknowledgement (UNAVAILABLE); trying again in 250 ms with the same client id',
      'plexi: no acknowledgement (UNAVAILABLE); trying again in 1000 ms with the same client id',
      'plexi: no acknowledgement (UNAVAILABLE); trying again in 2000 ms with the same client id'
    ])
    expect(lines.at(-1)).to.match(/^plexi: outcome unknown: the post to q1 was not acknowledged after 4 tries \(UNAVAILABLE: .*\); it may still be stored\. Send it again with --client-id q-cli-1/)
    expect(lines.at(-1)).to.include(LOST)
    expect(sent.stderr).to.not.match(/not sent|cannot reach|DEADLINE_EXCEEDED/)

    // admin cluster says so, in its JSON (a field added) and its table
    const json = await runCli(['admin', 'cluster', '--json', ...admin(a)])
    const shown = JSON.parse(json.stdout) as { self: { peerId: string }, members: unknown[], writes: Writes }
    expect(Object.keys(shown)).to.deep.equal(['self', 'members', 'writes'])
    expect(shown.writes).to.deep.equal({ available: false, needed: 2, writeQuorum: 2, replicas: 2, storageNodes: 2, storageUp: 1, partitions: 256, unavailablePartitions: 256, down: [b.peerId] })
    const table = await runCli(['admin', 'cluster', ...admin(a)])
    expect(table.stdout.trim().split('\n').at(-1)).to.match(/^writes: UNAVAILABLE on 256 of 256 partitions \(1 of 2 storage nodes up; a write needs 2 of 2 replicas; down: 12D3Ko…\w+\): start the storage nodes that are down$/)

    // the log: one warning line for the change, and no stack for any write it refused
    const since = a.node.logs.slice(mark)
    const quorumLines = since.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('writes unavailable on'))
    expect(quorumLines.map((l) => [l.level, l.msg])).to.deep.equal([[40, `writes unavailable on 256 of 256 partitions: 1 of the 2 replicas a write needs is reachable (storage nodes down: ${b.peerId}); their entities answer UNAVAILABLE until enough are back`]])
    const stacks = since.filter((l) => (l.level as number) >= 40 && /ReplicasUnavailableError|writes unavailable/.test(JSON.stringify(l)) && JSON.stringify(l).includes('    at '))
    expect(stacks, 'warnings with a stack for the lost quorum').to.deep.equal([])
  })

  it('should take writes again once the drained node is back, the post tried again with its client id stored once, and the forced drain in the audit trail', async () => {
    b = await cluster.restart(1)
    await a.node.awaitLog((l) => typeof l.msg === 'string' && l.msg.startsWith('writes available again'), 'the quorum back', 60_000)
    await waitFor(async () => (await cluster.api<{ writes: Writes }>(a, '/cluster')).writes.available, 'writes available in a\'s view', { timeout: 30_000, interval: 100 })
    const first = await send('q1', 'after the drain', 'q-cli-1')
    expect(first.code, first.stderr).to.equal(0)
    const again = await send('q1', 'after the drain', 'q-cli-1')
    expect(again.stdout, 'the same acknowledgement for the same client id').to.equal(first.stdout)
    const history = await cluster.history(a, 'q1', token)
    expect(history.filter((m) => m.text === 'after the drain')).to.have.length(1)
    expect(history.map((m) => m.text)).to.not.include('lost')

    const { records } = await cluster.api<{ records: AuditRow[] }>(a, '/audit?after=0&limit=1000')
    const drains = records.filter((r) => r.target === `/api/v1/nodes/${b.peerId}/drain`)
    expect(drains.map((r) => [r.outcome, r.status])).to.deep.equal([['refused', 409], ['ok', 202]])
    expect(drains[1]?.detail).to.equal(`forced despite the write quorum: draining ${b.peerId} would stop writes on 256 of 256 partitions (1 of the 2 replicas a write needs would be up) until it is back; {"force":true}`)
    const roles = records.filter((r) => r.target === `/api/v1/nodes/${b.peerId}/roles`)
    expect(roles.map((r) => [r.outcome, r.status])).to.deep.equal([['refused', 409]])
  })
})
