import { ClusterSearch, SEARCH_ASK_MS, SEARCH_PATH, SearchIndex, searchMetrics, spawnSearchActor } from '../search/index.ts'
import type { SearchActorMsg, SearchObservers } from '../search/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * This node's search index (node/search): on a storage node (or a node alone) with `search` on. It
 * starts watching the replica store before anything writes to it (right after the store and the
 * jobs), so that an index closed cleanly misses no change; a file it cannot trust is rebuilt as a
 * `reindex` job. It stops after every part that writes to the store.
 */
export const searchIndexPart: PartSpec<NodeComponents> = {
  id: 'search-index',
  needs: ['config', 'log', 'preflight', 'roles', 'replicas', 'jobs'],
  gives: ['searchIndex', 'searchObservers'],
  start: async (c: C) => {
    const config = c.get('config')
    const keeps = config.search && (c.get('roles').has('storage') || c.get('preflight').clusterKey === undefined)
    // the observers are bound once the metrics are made (the search part): until then, none
    const observers: { current: SearchObservers | undefined } = { current: undefined }
    const index = keeps
      ? await SearchIndex.open({
        dir: config.dataDir,
        storage: c.get('replicas'),
        jobs: c.get('jobs'),
        log: c.get('log').child({ component: 'search' }),
        onLag: (ms) => { observers.current?.lag(ms) }
      })
      : undefined
    c.provide('searchIndex', index, 'search-index')
    c.provide('searchObservers', observers, 'search-index')
    return { stop: async () => { await index?.close() } }
  }
}

/** Searches from this node (ClusterSearch: fanned out to live replicas holding every partition),
 * `/search` answering other members' parts, and the plexi_search_* metrics. */
export const searchPart: PartSpec<NodeComponents> = {
  id: 'search',
  needs: ['preflight', 'system', 'journal', 'membership', 'metrics', 'searchIndex', 'searchObservers'],
  gives: ['search'],
  start: (c: C) => {
    const system = c.get('system')
    const journal = c.get('journal')
    const membership = c.get('membership')
    const index = c.get('searchIndex')
    const local = (): SearchIndex | undefined => index
    const observers = c.get('searchObservers')
    spawnSearchActor(system, journal.partitions, local)
    const search = new ClusterSearch({
      self: c.get('preflight').identity.peerId,
      partitions: journal.partitions,
      replicasOf: (p) => journal.placement(p).replicas,
      isLive: (peer) => membership.live().has(peer),
      local,
      ask: async (node, msg) => await system.actorAt<SearchActorMsg>({ node, path: SEARCH_PATH })
        .ask<unknown>((replyTo) => ({ type: 'search', ...msg, replyTo }), { timeout: SEARCH_ASK_MS }),
      onSearch: (ms, mode) => { observers.current?.query(ms, mode) }
    })
    observers.current = searchMetrics(c.get('metrics').registry, { cluster: search, index: local })
    c.provide('search', search, 'search')
    return { stop: () => undefined }
  }
}
