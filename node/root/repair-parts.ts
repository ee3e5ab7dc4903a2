import { AntiEntropy, HAND_OFF_CHECK_MS, PartitionHandOff, REPLICATION_PATH, Scrubber, TAKE_OVER_ASK_MS, checkTakeOverResult, meshPeer } from '../replication/index.ts'
import { antiEntropyMetrics, catchUpMetrics, scrubMetrics } from '../metrics/index.ts'
import type { ReplicationMsg } from '../replication/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** Replicas compare Merkle roots with each other and fill what they missed (a node alone has no
 * one to compare with: its interval is 0, it runs only when an admin asks). */
export const antiEntropyPart: PartSpec<NodeComponents> = {
  id: 'anti-entropy',
  needs: ['config', 'log', 'preflight', 'system', 'journal', 'membership', 'repairs', 'serviceFailures'],
  gives: ['antiEntropy'],
  start: (c: C) => {
    const config = c.get('config')
    const journal = c.get('journal')
    const system = c.get('system')
    const membership = c.get('membership')
    const alone = c.get('preflight').clusterKey === undefined
    const ae = new AntiEntropy({
      self: c.get('preflight').identity.peerId,
      journal,
      peer: (node, partition) => meshPeer(system, node, partition, journal.partitions),
      live: () => membership.live(),
      intervalMs: alone ? 0 : config.antiEntropyInterval,
      maxRecords: config.antiEntropyRecords,
      maxBytes: config.antiEntropyMib * 1_048_576,
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'anti-entropy' })
    })
    ae.start()
    c.get('repairs').antiEntropy = ae
    c.provide('antiEntropy', ae, 'anti-entropy')
    return { stop: () => ae.stop() }
  }
}

/** Every stored value re-read at a bounded rate; damaged records put back from a healthy replica
 * (a read that finds one damaged says so at once). */
export const scrubPart: PartSpec<NodeComponents> = {
  id: 'scrub',
  needs: ['config', 'log', 'preflight', 'journal', 'membership', 'metrics', 'repairs', 'antiEntropy', 'serviceFailures'],
  gives: ['scrubber'],
  start: (c: C) => {
    const config = c.get('config')
    const journal = c.get('journal')
    const membership = c.get('membership')
    const scrub = new Scrubber({
      self: c.get('preflight').identity.peerId,
      journal,
      live: () => membership.live(),
      bytesPerSecond: config.scrubRate * 1_048_576,
      intervalMs: config.scrubInterval,
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'scrub' })
    })
    journal.storage.onDamaged = (key) => { scrub.damaged(key) }
    scrub.start()
    const registry = c.get('metrics').registry
    // anti-entropy's repaired records count scrub's too, so both are registered once scrub exists
    antiEntropyMetrics(registry, c.get('antiEntropy'), () => scrub.stats.repaired)
    scrubMetrics(registry, scrub)
    c.get('repairs').scrubber = scrub
    c.provide('scrubber', scrub, 'scrub')
    return {
      stop: () => {
        journal.storage.onDamaged = undefined
        return scrub.stop()
      }
    }
  }
}

/** A storage node that loses the role (a decommission) hands its partitions off to their new
 * replicas, which take them over from it. */
export const handOffPart: PartSpec<NodeComponents> = {
  id: 'partition-hand-off',
  needs: ['log', 'preflight', 'system', 'journal', 'roster', 'membership', 'repairs', 'serviceFailures'],
  gives: ['handOff'],
  start: (c: C) => {
    const { identity, clusterKey } = c.get('preflight')
    const system = c.get('system')
    const roster = c.get('roster')
    const membership = c.get('membership')
    const h = new PartitionHandOff({
      self: identity.peerId,
      journal: c.get('journal'),
      leaving: () => clusterKey !== undefined && roster.isLeaving(identity.peerId),
      live: () => membership.live(),
      takeOver: async (node, partition) => checkTakeOverResult(await system.actorAt<ReplicationMsg>({ node, path: REPLICATION_PATH })
        .ask<unknown>((replyTo) => ({ type: 'take-over', partition, from: identity.peerId, replyTo }), { timeout: TAKE_OVER_ASK_MS })),
      intervalMs: HAND_OFF_CHECK_MS,
      failures: c.get('serviceFailures'),
      log: c.get('log').child({ component: 'hand-off' })
    })
    h.start()
    c.get('repairs').handOff = h
    c.provide('handOff', h, 'partition-hand-off')
    return { stop: () => h.stop() }
  }
}

/** The learners' catch-up and the replacement of storage nodes down too long (opened with the
 * store; its loop runs from here, once anti-entropy can pull). */
export const catchUpPart: PartSpec<NodeComponents> = {
  id: 'catch-up',
  needs: ['catchUp', 'metrics', 'repairs'],
  gives: [],
  start: (c: C) => {
    const catchUp = c.get('catchUp')
    c.get('repairs').catchUp = catchUp
    catchUp.start()
    catchUpMetrics(c.get('metrics').registry, catchUp)
    return { stop: () => catchUp.stop() }
  }
}
