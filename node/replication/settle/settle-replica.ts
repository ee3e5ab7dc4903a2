import type { ActorSystem, Behavior } from '../../../actors/index.ts'
import { CATCH_UP_ROUNDS } from '../constants.ts'
import { earlierSetNodes } from '../journal/quorum.ts'
import type { ReplicatedJournal } from '../journal/replicated-journal.ts'
import { answeringActor } from '../roster-journal/answering-actor.ts'
import { earlierWriteQuorum } from '../roster/partition-configs.ts'
import type { EarlierSet } from '../roster/partition-configs.ts'
import type { TakeOverResult } from '../roster/pull-until-clean.ts'
import { pullUntilClean } from '../roster/pull-until-clean.ts'
import { SETTLE_PATH, SettleNotReadyError, checkSettleMsg } from './settle-protocol.ts'
import type { SettleMsg } from './settle-protocol.ts'

/** The partitions' configurations as this node follows roster versions (PartitionConfigs). */
export interface SettleConfigs {
  readonly version: number | undefined
  of (partition: number): number | undefined
  earlierOf (partition: number): readonly EarlierSet[] | undefined
}

export interface SettleReplicaOptions {
  readonly self: string
  readonly journal: ReplicatedJournal
  /** This node's configurations (undefined: it follows no roster versions). */
  readonly configs: () => SettleConfigs | undefined
  /** The roster version this node follows (its configurations name it when known). */
  readonly followed: () => number | undefined
  /** Pulls from `from` everything it holds of `partition` that this node misses (anti-entropy's take-over). */
  readonly pull: (partition: number, from: string) => Promise<TakeOverResult>
  /** The members up in this node's view. */
  readonly live: () => ReadonlySet<string>
  /** Every storage node the roster names (one an earlier set names and it does not was forgotten). */
  readonly known: () => ReadonlySet<string>
  /** Known nodes replaced (lost for good): read by no one, and what they alone held is lost. */
  readonly replaced: (peerId: string) => boolean
  /** config write-quorum (undefined: a majority of each set). */
  readonly configuredWriteQuorum: number | undefined
}

/**
 * A storage node's side of settling a hand-off (docs/replication.md, "When a hand-off is settled"):
 * it stores a partition's newer configuration version when asked (step a), and, as a replica of
 * the partition's set, pulls the partition from its earlier sets (step b), each once at a time.
 */
export class SettleReplica {
  readonly #opts: SettleReplicaOptions
  /** Pulls in progress, by partition and version: a request asked again joins the one running. */
  readonly #pulling = new Map<string, Promise<true>>()

  constructor (opts: SettleReplicaOptions) {
    this.#opts = opts
  }

  /** Step (a) here: the version stored for the partition once this resolves. A version past the
   * roster version this node applied is refused (SettleNotReadyError: asked again once it caught
   * up): no request stores a version the roster has not made here. */
  async raise (partition: number, version: number): Promise<number> {
    const followed = this.#opts.followed() ?? 0
    if (version > followed) throw new SettleNotReadyError(`partition ${partition}: configuration version ${version} is past the roster version this node applied (${followed}); asked again later`)
    return await this.#opts.journal.core(partition).versions.raiseTo(partition, version)
  }

  /** Step (b) here: resolves once this node pulled the partition clean from all but fewer than each
   * earlier set's write quorum (itself counted when in the set); SettleNotReadyError when its roster
   * is not at the configuration named or too few of a set answered. */
  async pull (partition: number, version: number): Promise<true> {
    const key = `${partition}@${version}`
    const running = this.#pulling.get(key)
    if (running !== undefined) return await running
    const pulling = this.#pullOnce(partition, version).finally(() => { this.#pulling.delete(key) })
    this.#pulling.set(key, pulling)
    return await pulling
  }

  async #pullOnce (partition: number, version: number): Promise<true> {
    const { self, journal, live } = this.#opts
    const configs = this.#opts.configs()
    const earlier = configs?.earlierOf(partition)
    if (configs === undefined || configs.version !== this.#opts.followed() || configs.of(partition) !== version || earlier === undefined) {
      throw new SettleNotReadyError(`partition ${partition}: this node is not at its configuration version ${version} (it has ${configs?.of(partition) ?? 'none'}); asked again later`)
    }
    const clean = new Map<string, Promise<boolean>>()
    const pulledFrom = (node: string): Promise<boolean> => {
      const known = clean.get(node)
      if (known !== undefined) return known
      const pulling = !live().has(node)
        ? Promise.resolve(false)
        : pullUntilClean(journal, partition, `a settle's pull from ${node}`, async () => await this.#opts.pull(partition, node), CATCH_UP_ROUNDS).then((why) => why === undefined)
      clean.set(node, pulling)
      return pulling
    }
    const partitionW = journal.placement(partition).writeQuorum
    const known = this.#opts.known()
    for (const set of earlier) {
      const { nodes, lost } = earlierSetNodes(set.nodes, (n) => known.has(n), this.#opts.replaced)
      const pulled = await Promise.all(nodes.map(async (n) => n === self || await pulledFrom(n)))
      const unread = pulled.filter((ok) => !ok).length
      const w = earlierWriteQuorum(set, partitionW, this.#opts.configuredWriteQuorum)
      // (a record on the unread nodes and the lost ones alone may be acknowledged: none unread, or
      // fewer than W of them together)
      if (unread > 0 && unread + lost >= w) throw new SettleNotReadyError(`partition ${partition}: ${unread} of the ${nodes.length} nodes the roster still names of its set of configuration version ${set.version} could not be pulled clean (fewer than ${w} may be left); asked again later`)
    }
    return true
  }

  /** Answers a settle's requests from the keeper's node at SETTLE_PATH. */
  spawn (system: ActorSystem): void {
    system.spawn(this.#actor(), { name: SETTLE_PATH.slice(1), kind: 'settle', mailbox: 1_024 })
  }

  /** Serves one checked request (the actor's, and the keeper's node's own). */
  async serve (msg: Pick<SettleMsg, 'type' | 'partition' | 'version'>): Promise<unknown> {
    return msg.type === 'raise' ? { version: await this.raise(msg.partition, msg.version) } : { pulled: await this.pull(msg.partition, msg.version) }
  }

  #actor (): Behavior<SettleMsg, undefined> {
    const partitions = this.#opts.journal.partitions
    return answeringActor<SettleMsg, SettleMsg>((msg) => checkSettleMsg(msg, partitions), async (msg) => await this.serve(msg))
  }
}
