import type { ActorSystem } from '../../actors/index.ts'
import { formatHostPort } from '../../config/index.ts'
import type { HostPort } from '../../config/index.ts'
import type { Member } from '../../protocols/index.ts'
import type { ModelManager } from '../../runtimes/index.ts'
import { VERSION } from '../constants.ts'
import { LOAD_SAMPLE_MS } from './constants.ts'
import type { NodeRoles } from '../mesh/index.ts'
import type { MembershipPort } from './membership-port.ts'
import type { NodeState } from './node-state.ts'

/** Where clients reach this node: known once each server listens (the member record says what is
 * known so far). */
export interface Reach {
  grpc: HostPort
  admin: HostPort
  p2p: string[]
  /** The origin browsers reach the user listener at (web-advertise, or its address); absent: none. */
  web?: string
}

export interface NodeSelfOptions {
  readonly peerId: string
  readonly roles: NodeRoles
  readonly state: NodeState
  readonly reach: Reach
  readonly capacity: number
  readonly startedAt: number
  readonly system: ActorSystem
  readonly manager: ModelManager
  readonly membership: MembershipPort
}

/**
 * This node as a member: what its record says (roles, status from its readiness, addresses,
 * load, whether it settled, the llama.cpp models it has loaded, the plugins and servers it runs), and whether it was
 * decommissioned (its last records say it left for good).
 */
export class NodeSelf {
  readonly #opts: NodeSelfOptions
  #left = false
  #sources: () => { plugins: Array<{ name: string, version: string }>, servers: string[] } = () => ({ plugins: [], servers: [] })
  #rosterVersion: () => number | undefined = () => undefined
  /** The last load counted, and when (LOAD_SAMPLE_MS). */
  #load: { at: number, load: Member['load'] } | undefined

  constructor (opts: NodeSelfOptions) {
    this.#opts = opts
  }

  /** Whether this node was decommissioned. */
  get left (): boolean { return this.#left }

  /** Marks this node decommissioned (its records say so from now on). */
  markLeft (): void {
    this.#left = true
  }

  /** What the record says runs here of plugins and registered servers (the plugins part binds it). */
  bindSources (sources: () => { plugins: Array<{ name: string, version: string }>, servers: string[] }): void {
    this.#sources = sources
  }

  /** What the record says of the latest roster version applied here (the roster part binds it). */
  bindRosterVersion (latest: () => number | undefined): void {
    this.#rosterVersion = latest
  }

  /** The plugins and servers running here, each field only when some are. */
  #runningSources (): Pick<Member, 'plugins' | 'servers'> {
    const { plugins, servers } = this.#sources()
    return { ...(plugins.length > 0 && { plugins }), ...(servers.length > 0 && { servers }) }
  }

  member (): Member {
    const { peerId, roles, state, reach, capacity, startedAt, system, manager, membership } = this.#opts
    return {
      peerId,
      roles: [...roles.current],
      status: state.now === 'ready' ? 'up' : state.now === 'starting' ? 'joining' : 'draining',
      addresses: { grpc: formatHostPort(reach.grpc), admin: formatHostPort(reach.admin), p2p: reach.p2p, ...(reach.web !== undefined && { web: reach.web }) },
      load: this.#loadNow(system),
      capacity,
      startedAt,
      version: VERSION,
      settled: membership.settled(),
      models: manager.loaded().filter((m) => m.kind === 'llama.cpp').map((m) => m.model),
      ...this.#runningSources(),
      ...this.#rosterVersionField()
    }
  }

  #rosterVersionField (): Pick<Member, 'rosterVersion'> {
    const version = this.#rosterVersion()
    return version === undefined ? {} : { rosterVersion: version }
  }

  #loadNow (system: ActorSystem): Member['load'] {
    const now = performance.now()
    if (this.#load === undefined || now - this.#load.at >= LOAD_SAMPLE_MS) this.#load = { at: now, load: { ...system.load(), rssBytes: process.memoryUsage.rss() } }
    return this.#load.load
  }
}
