import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import type { ActorAddress, ReplyOutcome, ReplyTo, RemotingPort } from '../../../actors/index.ts'
import { Jobs } from '../../../node/jobs/index.ts'
import { PeerUnreachableError } from '../../../node/mesh/errors.ts'
import { Placement } from '../../../node/mesh/placement.ts'
import { MigrationAdmin, Migrator, spawnMigrationActor } from '../../../node/migration/index.ts'
import type { LeaveStatus } from '../../../node/migration/index.ts'
import { waitFor } from '../../helpers/wait-for.ts'

const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined }

/**
 * An admin's drain job on n1 following the member it drains, n2: two actor systems in one process,
 * n2's /migration a real Migrator, the link between them a bridge that can go away (as the mesh's
 * does when the process exits: asks to it fail with PeerUnreachableError at once). The member view
 * the job reads is scripted: the states failure detection goes through.
 */
describe('MigrationAdmin: drain jobs follow the process they asked to leave; migrations wait for a member that has just come up', function () {
  this.timeout(20_000)
  let n1: ActorSystem
  let n2: ActorSystem
  let jobs: Jobs
  let admin: MigrationAdmin
  /** The process running as n2 now: what it was asked, and whether it is leaving. */
  let proc: { requested: string[], leaving: boolean }
  let reachable: boolean
  let polls: number
  let view: Array<{ peerId: string, status: string, incarnation: number }>
  /** What n1's view says of n2 as an owner of chat entities, and how a wait for it to settle ends. */
  let candidacy: 'candidate' | 'settling' | 'no'
  let settles: ((ok: boolean) => void) | undefined
  const status = (): LeaveStatus => ({ mode: 'drain', state: 'moving', total: 2, entities: 1, moves: { moved: 1 }, left: [] })

  beforeEach(() => {
    proc = { requested: [], leaving: false }
    reachable = true
    polls = 0
    view = [{ peerId: 'n2', status: 'up', incarnation: 1 }]
    n1 = new ActorSystem({ node: 'n1' })
    n2 = new ActorSystem({ node: 'n2' })
    let port1: RemotingPort | undefined
    let port2: RemotingPort | undefined
    const bridge = (from: () => RemotingPort | undefined, to: () => RemotingPort | undefined) => ({
      ownerOf: () => new Error('no entities here'),
      toEntity: () => 'stopped' as const,
      toActor: (address: ActorAddress, msg: unknown) => {
        if (from() === port1) polls++
        return reachable ? (to() as RemotingPort).deliverToActor(address.path, msg) : new PeerUnreachableError(address.node, 'its process exited')
      },
      reply: (replyTo: ReplyTo<unknown>, outcome: ReplyOutcome) => { if (reachable) (to() as RemotingPort).settle(replyTo.askId, outcome) }
    })
    port1 = n1.attachRemoting(bridge(() => port1, () => port2))
    port2 = n2.attachRemoting(bridge(() => port2, () => port1))
    const placement = new Placement('n2')
    placement.update([{ peerId: 'n2', roles: ['chat'], capacity: 1 }])
    spawnMigrationActor(n2, new Migrator({
      system: n2, port: port2, placement, live: () => true, busyMs: 1_000, graceMs: 100, concurrency: 1, log: quiet,
      leave: (mode) => {
        proc.requested.push(mode)
        proc.leaving = true
        view = view.map((m) => ({ ...m, status: 'draining' }))
        return status()
      },
      leaving: () => proc.leaving ? status() : undefined
    }))
    jobs = new Jobs({ node: 'n1' })
    candidacy = 'candidate'
    settles = undefined
    admin = new MigrationAdmin({
      system: n1, jobs, members: () => view, busyMs: 1_000, graceMs: 100,
      candidacy: () => candidacy,
      awaitCandidate: async () => await new Promise<boolean>((resolve) => { settles = resolve })
    })
  })

  afterEach(async () => {
    await n1.terminate()
    await n2.terminate()
  })

  it('should end done when the drained process exits, however long failure detection calls it suspect before down', async () => {
    const job = await admin.leave('n2', 'drain')
    expect(proc.requested).to.deep.equal(['drain'])
    await waitFor(() => polls >= 2, 'the job to look again', { timeout: 10_000, interval: 20 })
    // it exits: its link is gone, and the others call it suspect for a while
    reachable = false
    view = [{ peerId: 'n2', status: 'suspect', incarnation: 1 }]
    const missed = polls
    await waitFor(() => polls >= missed + 4, 'four looks that found it gone', { timeout: 10_000, interval: 20 })
    expect(jobs.get(job.id)?.state, 'still following it').to.equal('running')
    view = [{ peerId: 'n2', status: 'down', incarnation: 1 }]
    const ended = await jobs.settled(job.id, 10_000)
    expect(ended?.state, ended?.message).to.equal('done')
    expect(ended?.message).to.match(/n2 drained and exited; 2 entities moved \(1 moved, as last reported\)/)
  })

  it('should end done, and drain nothing again, when a supervisor restarted the process before the view heard it', async () => {
    const job = await admin.leave('n2', 'drain')
    await waitFor(() => polls >= 2, 'the job to look again', { timeout: 10_000, interval: 20 })
    // a new process on n2's identity answers; the view still has the old one draining
    const first = proc
    proc = { requested: [], leaving: false }
    const ended = await jobs.settled(job.id, 10_000)
    expect(ended?.state, ended?.message).to.equal('done')
    expect(proc.requested, 'the new process was not asked to leave').to.deep.equal([])
    expect(first.requested).to.deep.equal(['drain'])
  })

  it('should end done once the view hears a newer process of the member, without asking it anything', async () => {
    const job = await admin.leave('n2', 'drain')
    await waitFor(() => polls >= 2, 'the job to look again', { timeout: 10_000, interval: 20 })
    proc = { requested: [], leaving: false }
    view = [{ peerId: 'n2', status: 'up', incarnation: 2 }]
    const asked = polls
    const ended = await jobs.settled(job.id, 10_000)
    expect(ended?.state, ended?.message).to.equal('done')
    expect(polls, 'no look at the new process').to.equal(asked)
    expect(proc.requested).to.deep.equal([])
  })

  it('should fail when the process it asked stops answering while the view says it is up and not draining', async () => {
    const job = await admin.leave('n2', 'drain')
    await waitFor(() => polls >= 2, 'the job to look again', { timeout: 10_000, interval: 20 })
    reachable = false
    view = [{ peerId: 'n2', status: 'up', incarnation: 1 }]
    const ended = await jobs.settled(job.id, 15_000)
    expect(ended?.state).to.equal('failed')
    expect(ended?.message).to.match(/n2 stopped answering while it was not draining .*PeerUnreachableError/)
  })

  it('should refuse at once a migration to a member that does not take the entity\'s role, naming why', () => {
    candidacy = 'no'
    expect(() => admin.migrate('room', 'chat', 'general', 'n2')).to.throw(/room\/general cannot move here: n2 does not take chat entities \(it lacks the chat role, or it is draining\)/)
    expect(jobs.list()).to.deep.equal([])
  })

  it('should wait for a member that has just come up to settle, then ask it to take the entity', async () => {
    candidacy = 'settling'
    const job = admin.migrate('room', 'chat', 'general', 'n2')
    await waitFor(() => settles !== undefined, 'the job to wait for n2 to settle', { timeout: 5_000, interval: 10 })
    expect(jobs.get(job.id)?.message).to.match(/waiting for n2 to settle/)
    expect(jobs.get(job.id)?.state).to.equal('running')
    settles?.(true)
    // n2's migrator answers (it has no room type here: its refusal says so, so it was asked)
    const ended = await jobs.settled(job.id, 10_000)
    expect(ended?.state).to.equal('failed')
    expect(ended?.error ?? ended?.message).to.match(/there is no entity type room/)
  })

  it('should fail a migration to a member that never settles, saying so', async () => {
    candidacy = 'settling'
    const job = admin.migrate('room', 'chat', 'general', 'n2')
    await waitFor(() => settles !== undefined, 'the job to wait for n2 to settle', { timeout: 5_000, interval: 10 })
    settles?.(false)
    const ended = await jobs.settled(job.id, 10_000)
    expect(ended?.state).to.equal('failed')
    expect(ended?.error ?? ended?.message).to.match(/n2 did not become a chat member within 10000 ms/)
  })
})
