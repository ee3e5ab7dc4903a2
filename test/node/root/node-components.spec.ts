import { expect } from 'chai'
import { NODE_BASE, NODE_PARTS } from '../../../node/root/index.ts'
import type { NodeBase, NodeGiven } from '../../../node/root/index.ts'

/** Every name of NodeBase and NodeGiven: the typecheck fails here when one is added or removed
 * without the other lists following. */
const BASE_NAMES: Record<keyof NodeBase, true> = { config: true, log: true, logTail: true, preflight: true, roles: true, state: true, startedAt: true, reach: true, pins: true, membership: true, kernel: true, moves: true, shutdown: true, repairs: true, serviceFailures: true, toolsPort: true, roomPluginsPort: true, traceLog: true }
const GIVEN_NAMES: Record<keyof NodeGiven, true> = {
  store: true, replicas: true, rosterHistory: true, erasure: true, modelPulls: true, retention: true, roster: true, models: true, metrics: true, jobs: true, tracing: true, searchIndex: true, searchBindings: true, search: true, journal: true, writeQuorum: true, rosterChanged: true, partitionVersions: true, system: true, catchUp: true, rosterVersions: true, settler: true, inferencePlan: true, inferenceBackend: true, manager: true, kvCaches: true, inference: true, directoryView: true, users: true, toolPolicy: true, roomPlugins: true, gateway: true, asker: true, self: true, p2p: true, cluster: true, pluginHost: true, tools: true, clusterPlugins: true, mcpServers: true, mcpServerStatus: true, pluginCalls: true, pluginRegistry: true, pluginReconciler: true, migrator: true, moveJobs: true, leave: true, antiEntropy: true, scrubber: true, handOff: true, chunkStore: true, backups: true, holderRepair: true, stats: true, audit: true, clients: true, proxies: true, exporter: true, admin: true, grpc: true, clientServices: true, web: true, openai: true
}

describe('NodeComponents', () => {
  it('should be known before the parts start exactly as NODE_BASE lists', () => {
    expect([...NODE_BASE].sort()).to.deep.equal(Object.keys(BASE_NAMES).sort())
  })

  it('should have every other component given by exactly one part', () => {
    const given = NODE_PARTS.flatMap((p) => p.gives)
    expect([...given].sort()).to.deep.equal(Object.keys(GIVEN_NAMES).sort())
  })
})
