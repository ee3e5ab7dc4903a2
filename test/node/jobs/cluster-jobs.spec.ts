import { expect } from 'chai'
import { ClusterJobs, Jobs } from '../../../node/jobs/index.ts'
import type { Job, JobControl } from '../../../node/jobs/index.ts'
import { INSPECTOR_PATH } from '../../../node/mesh/index.ts'
import type { InspectorMsg, JobsView } from '../../../node/mesh/index.ts'
import { useTestCluster } from '../../helpers/test-cluster.ts'
import type { TestNode } from '../../helpers/test-cluster.ts'
import { deferred, waitFor } from '../../helpers/wait-for.ts'

/** A run that goes on until it is cancelled (then it stops as a well-behaved run does), or until
 * `finish` resolves it. */
function untilCancelled (): { run: (control: JobControl) => Promise<string>, finish: (message: string) => void } {
  const d = deferred<string>()
  return {
    run: async (control) => {
      control.progress({ total: 5, done: 2, message: 'working' })
      control.signal.addEventListener('abort', () => { d.reject(control.signal.reason) })
      return await d.promise
    },
    finish: (message) => { d.resolve(message) }
  }
}

/** Every member's jobs asked of its inspector over real libp2p on loopback: listed newest first,
 * one found wherever it runs, cancelled there; answers that are not jobs are left out. */
describe('ClusterJobs', function () {
  this.timeout(30_000)
  const net = useTestCluster()
  const debug: string[] = []
  const log = { debug: (_o: object, msg: string) => { debug.push(msg) } }

  async function three (): Promise<{ nodes: TestNode[], jobs: Map<string, Jobs>, view: (node: TestNode) => ClusterJobs }> {
    const jobs = new Map<string, Jobs>()
    const make = (peerId: string): Jobs => {
      const j = new Jobs({ node: peerId })
      jobs.set(peerId, j)
      return j
    }
    // c answers with what is not its jobs (a member of another version, or a broken one)
    const broken = { list: () => [{ id: 'not-a-job' }], get: () => undefined, cancel: () => undefined, settled: async () => undefined } as unknown as JobsView
    const a = await net.node(['chat'], [], { jobs: make })
    const multiaddr = [a.host.multiaddrs()[0] as string]
    const b = await net.node(['chat'], multiaddr, { jobs: make })
    const c = await net.node(['chat'], multiaddr, { jobs: () => broken })
    const nodes = [a, b, c]
    await waitFor(() => nodes.every((n) => n.host.members().filter((m) => m.status === 'up').length === 2), 'every node to see the others up', { timeout: 20_000, interval: 50 })
    const view = (node: TestNode): ClusterJobs => new ClusterJobs({ system: node.system, jobs: jobs.get(node.id) as Jobs, members: () => node.host.members(), log })
    return { nodes, jobs, view }
  }

  it('should list every member\'s jobs newest first, filter them, and name a member whose answer is not its jobs', async () => {
    const { nodes, jobs, view } = await three()
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    const onA = jobs.get(a.id) as Jobs
    const onB = jobs.get(b.id) as Jobs
    const finished = onA.start('repair', null, async () => 'compared')
    await onA.settled(finished.id, 5_000)
    const running = untilCancelled()
    // started a millisecond later at least: newest first is then b's drain
    await waitFor(() => Date.now() > Date.parse(finished.startedAt), 'the clock to move on')
    const drain = onB.start('drain', a.id, running.run)
    const listed = await view(a).list()
    expect(listed.jobs.map((j) => [j.id, j.node])).to.deep.equal([[drain.id, b.id], [finished.id, a.id]])
    expect(listed.jobs[0]).to.deep.include({ kind: 'drain', target: a.id, state: 'running', total: 5, done: 2, message: 'working' })
    expect(listed.unreachable).to.deep.equal([c.id])
    expect(debug.some((m) => m.includes(`member ${c.id} answered with something that is not its jobs`))).to.equal(true)
    // the same from b; and filtered
    expect((await view(b).list()).jobs.map((j) => j.id)).to.deep.equal([drain.id, finished.id])
    expect((await view(b).list({ kind: 'repair' })).jobs.map((j) => j.id)).to.deep.equal([finished.id])
    expect((await view(b).list({ state: 'running' })).jobs.map((j) => j.id)).to.deep.equal([drain.id])
    expect((await view(b).list({ kind: 'migrate', state: 'done' })).jobs).to.deep.equal([])
    running.finish('drained')
    await onB.settled(drain.id, 5_000)
  })

  it('should find one job on the member that runs it and cancel it there, and say so when no member has it', async () => {
    const { nodes, jobs, view } = await three()
    const [a, b] = nodes as [TestNode, TestNode, TestNode]
    const onB = jobs.get(b.id) as Jobs
    const running = untilCancelled()
    const migrate = onB.start('migrate', 'room/general', running.run)
    expect(await view(a).get(migrate.id)).to.deep.include({ id: migrate.id, node: b.id, state: 'running' })
    // cancelled on b, answered once it stopped
    const cancelled: Job = await view(a).cancel(migrate.id)
    expect(cancelled).to.deep.include({ id: migrate.id, node: b.id, state: 'cancelled', message: 'cancelled after 2 of 5', error: null })
    expect(onB.get(migrate.id)?.state).to.equal('cancelled')
    // a finished job is answered unchanged
    expect(await view(a).cancel(migrate.id)).to.deep.equal(cancelled)
    // a local one too
    const own = (jobs.get(a.id) as Jobs).start('rebalance', null, untilCancelled().run)
    expect(await view(a).cancel(own.id)).to.deep.include({ state: 'cancelled', node: a.id })
    for (const id of ['drain-42-zzzz', migrate.id.replace(/^migrate-1-/, 'migrate-2-')]) {
      for (const ask of [async () => await view(a).get(id), async () => await view(a).cancel(id)]) {
        const err = await ask().then(() => undefined, (e: unknown) => e)
        expect(err, id).to.have.property('name', 'UnknownJobError')
        expect((err as Error).message).to.match(new RegExp(`^no job ${id} on any member \\(a node keeps its jobs in memory`))
      }
    }
  })

  it('should refuse malformed job requests at the inspector and keep answering', async () => {
    const { nodes, jobs } = await three()
    const [a, b] = nodes as [TestNode, TestNode, TestNode]
    const inspector = a.system.actorAt<InspectorMsg>({ node: b.id, path: INSPECTOR_PATH })
    for (const bad of [{ type: 'cancel-job' }, { type: 'cancel-job', id: 'x' }, { type: 'jobs', id: 7 }, { type: 'cancel-job', id: 'drain-1-toolong' }]) {
      const err = await inspector.ask<unknown>((replyTo) => ({ ...bad, replyTo } as unknown as InspectorMsg), { timeout: 5_000 }).then(() => undefined, (e: unknown) => e)
      expect(err, JSON.stringify(bad)).to.have.property('name', 'InvalidPeerRequestError')
    }
    const job = (jobs.get(b.id) as Jobs).start('repair', null, async () => 'ok')
    const answer = await inspector.ask<Job[]>((replyTo) => ({ type: 'jobs', id: job.id, replyTo }), { timeout: 5_000 })
    expect(answer.map((j) => j.id)).to.deep.equal([job.id])
    expect(await inspector.ask<Job | null>((replyTo) => ({ type: 'cancel-job', id: 'repair-9-zzzz', replyTo }), { timeout: 5_000 })).to.equal(null)
  })
})
