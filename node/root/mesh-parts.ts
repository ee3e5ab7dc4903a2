import { ConfigError } from '../../config/index.ts'
import { describe } from '../../protocols/index.ts'
import * as inferenceFolder from '../inference/index.ts'
import * as pluginsFolder from '../plugins/index.ts'
import { Cluster, MEMBER_SETTLE_MAX_MS, recordOf, startP2pHost } from '../mesh/index.ts'
import { meshMetrics } from '../metrics/index.ts'
import * as pluginRegistryFolder from '../plugin-registry/index.ts'
import * as replicationFolder from '../replication/index.ts'
import * as searchFolder from '../search/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import { listenRefusal, p2pAddress } from './listen-check.ts'
import { NodeSelf } from './node-self.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** This node as a member: what its record says. */
export const selfPart: PartSpec<NodeComponents> = {
  id: 'self',
  needs: ['preflight', 'roles', 'state', 'reach', 'startedAt', 'system', 'manager', 'membership'],
  gives: ['self'],
  start: (c: C) => {
    c.provide('self', new NodeSelf({
      peerId: c.get('preflight').identity.peerId,
      roles: c.get('roles'),
      state: c.get('state'),
      reach: c.get('reach'),
      capacity: c.get('preflight').capacity,
      startedAt: c.get('startedAt'),
      system: c.get('system'),
      manager: c.get('manager'),
      membership: c.get('membership')
    }), 'self')
    return { stop: () => undefined }
  }
}

/** The libp2p host, behind the cluster key (a node without one runs alone, with no p2p host). */
export const p2pPart: PartSpec<NodeComponents> = {
  id: 'p2p',
  needs: ['config', 'log', 'preflight', 'replicas', 'self', 'pins', 'reach', 'serviceFailures'],
  gives: ['p2p'],
  runs: (c: C) => {
    const alone = c.get('preflight').clusterKey === undefined
    if (alone) c.get('log').info('no cluster key (--cluster-key-file): this node runs alone, with no p2p listener')
    return !alone
  },
  start: async (c: C) => {
    const config = c.get('config')
    const { identity, clusterKey } = c.get('preflight')
    const self = c.get('self')
    const pins = c.get('pins')
    const p2p = await startP2pHost({
      privateKey: identity.privateKey,
      listen: config.p2pListen,
      join: config.join,
      clusterKey: clusterKey as Uint8Array,
      failureTimeout: config.failureTimeout,
      partitions: c.get('replicas').partitions,
      mdns: config.mdns,
      failures: c.get('serviceFailures'),
      self: () => ({ ...recordOf(self.member()), ...(pins.size > 0 && { pins: pins.record() }), ...(self.left ? { left: true } : {}) }),
      log: c.get('log').child({ component: 'p2p' })
    }).catch((err: unknown) => {
      // (libp2p's error spans lines, stack frames and advice for its own settings: one line here)
      const text = describe(err)
      const code = /\b(EADDRINUSE|EADDRNOTAVAIL|EACCES)\b/.exec(text)?.[1]
      const at = p2pAddress(config.p2pListen)
      if (code !== undefined && at !== undefined) throw new ConfigError('p2p-listen', listenRefusal(at, Object.assign(new Error(code), { code })))
      throw new Error(`cannot listen for p2p on ${config.p2pListen}: ${text.split('\n')[0] as string}`, { cause: err })
    })
    c.get('reach').p2p = p2p.multiaddrs()
    c.provide('p2p', p2p, 'p2p')
    return { stop: async () => { await p2p.stop() } }
  }
}

/**
 * The cluster: placement over the members' view, the actor transport and the system actors. A
 * node takes entities only once it is ready (it has a view of the cluster: a node still waiting
 * for its --join members would place entities on a view of itself alone). Binds the membership
 * port, which the parts before it read.
 */
export const meshPart: PartSpec<NodeComponents> = {
  id: 'mesh',
  needs: ['config', 'log', 'preflight', 'roles', 'state', 'system', 'journal', 'p2p', 'pins', 'moves', 'gateway', 'roster', 'rosterChanged', 'writeQuorum', 'jobs', 'metrics', 'membership', 'serviceFailures', 'tracing'],
  gives: ['cluster'],
  start: async (c: C) => {
    const config = c.get('config')
    const { identity, capacity } = c.get('preflight')
    const roles = c.get('roles')
    const state = c.get('state')
    const p2p = c.get('p2p')
    const moves = c.get('moves')
    const gateway = c.get('gateway')
    const roster = c.get('roster')
    const rosterChanged = c.get('rosterChanged')
    const writeQuorum = c.get('writeQuorum')
    const cluster = await Cluster.start({
      system: c.get('system'),
      heads: c.get('journal'),
      roles,
      capacity,
      p2p,
      serving: () => state.ready,
      // entities now other nodes' move there live (a drain moves them all)
      moveAway: () => moves.moveAway(state.ready ? 'rebalance' : 'drain'),
      pins: c.get('pins'),
      // subscriptions follow rooms to their new owners now, not at the next renewal
      onViewChange: () => { gateway.tell({ type: 'resubscribe' }) },
      onMembers: (members) => {
        // a storage node joined: open journals move to their partitions' new replicas
        let changed = roster.update([...members, { peerId: identity.peerId, roles: roles.current, capacity }])
        // a decommissioned member handed everything off: no longer a former holder to fence
        for (const m of members) if (m.left === true && m.peerId !== identity.peerId) changed = roster.forget(m.peerId) || changed
        if (changed) rosterChanged()
        writeQuorum.update(!changed)
      },
      refreshMs: Math.max(50, Math.floor(config.failureTimeout / 12)),
      // a member that joins or comes back takes entities once it stayed up a moment
      settleMs: Math.min(MEMBER_SETTLE_MAX_MS, config.failureTimeout),
      onSettled: () => { p2p?.announce() },
      jobs: c.get('jobs'),
      // errors of the folders above the mesh arrive from other nodes as their own classes
      errorModules: [inferenceFolder, replicationFolder, pluginRegistryFolder, pluginsFolder, searchFolder],
      failures: c.get('serviceFailures'),
      spans: c.get('tracing').spans,
      log: c.get('log').child({ component: 'mesh' })
    })
    meshMetrics(c.get('metrics').registry, { members: () => cluster.members(), transport: cluster.transport, membershipSent: () => p2p?.membershipSent(), dials: () => p2p?.dials() })
    c.get('membership').bind({ members: () => p2p?.members() ?? [], announce: () => { p2p?.announce() }, settled: () => cluster.settled })
    c.provide('cluster', cluster, 'mesh')
    return { stop: async () => { await cluster.stop() } }
  }
}

/** The write quorum's watch, started once the node is ready; stopped here, before the mesh. */
export const writeQuorumPart: PartSpec<NodeComponents> = {
  id: 'write-quorum',
  needs: ['writeQuorum'],
  gives: [],
  start: (c: C) => {
    const writeQuorum = c.get('writeQuorum')
    return { stop: () => writeQuorum.stop() }
  }
}
