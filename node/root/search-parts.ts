import type { NodeConfig } from '../../config/index.ts'
import type { ModelRegistry } from '../../runtimes/index.ts'
import { ClusterSearch, ModelEmbedder, SEARCH_ASK_MS, SEARCH_PATH, SEARCH_THREAD_IDLE_MS, SearchIndex, searchMetrics, spawnSearchActor } from '../search/index.ts'
import type { SearchActorMsg } from '../search/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/** The embedder of `search-embedding-model`, when this node has that model as a ready llama.cpp
 * GGUF (else undefined, and why). */
function embedderOf (config: NodeConfig, models: ModelRegistry): { embedder?: ModelEmbedder, why?: string } {
  const name = config.searchEmbeddingModel
  if (name === undefined) return {}
  const entry = models.get(name)
  if (entry === undefined || entry.status !== 'ready' || entry.runtime !== 'llama.cpp' || entry.facts === undefined) {
    return { why: `search-embedding-model ${name} is not a ready llama.cpp model of this node (${entry === undefined ? 'no model of that name' : entry.error ?? `its runtime is ${entry.runtime}`}): this node's index answers text search only` }
  }
  return { embedder: new ModelEmbedder(name, entry.facts.embeddingLength) }
}

/**
 * This node's search index (node/search): on a storage node (or a node alone) with `search` on. It
 * starts watching the replica store before anything writes to it (right after the store and the
 * jobs), so that an index closed cleanly misses no change; a file it cannot trust is rebuilt as a
 * `reindex` job. It stops after every part that writes to the store.
 */
export const searchIndexPart: PartSpec<NodeComponents> = {
  id: 'search-index',
  needs: ['config', 'log', 'preflight', 'roles', 'replicas', 'jobs', 'models'],
  gives: ['searchIndex', 'searchBindings'],
  start: async (c: C) => {
    const config = c.get('config')
    const log = c.get('log').child({ component: 'search' })
    const keeps = config.search && (c.get('roles').has('storage') || c.get('preflight').clusterKey === undefined)
    const { embedder, why } = keeps ? embedderOf(config, c.get('models')) : {}
    if (why !== undefined) log.warn({ model: config.searchEmbeddingModel }, why)
    const bindings: NodeComponents['searchBindings'] = { observers: undefined, embedder }
    // its thread opens the file in the background (the `search` part, later in the start, waits
    // for it): the start goes on meanwhile
    const index = keeps
      ? SearchIndex.start({
        dir: config.dataDir,
        storage: c.get('replicas'),
        embedder,
        jobs: c.get('jobs'),
        log,
        idleMs: SEARCH_THREAD_IDLE_MS,
        onLag: (ms) => { bindings.observers?.lag(ms) }
      })
      : undefined
    c.provide('searchIndex', index, 'search-index')
    c.provide('searchBindings', bindings, 'search-index')
    return {
      stop: async () => {
        embedder?.close()
        await index?.close()
      }
    }
  }
}

/** Searches from this node (ClusterSearch: fanned out to live replicas holding every partition),
 * `/search` answering other members' parts, the plexi_search_* metrics; the embedder bound to the
 * model manager. */
export const searchPart: PartSpec<NodeComponents> = {
  id: 'search',
  needs: ['preflight', 'system', 'journal', 'membership', 'metrics', 'manager', 'catchUp', 'searchIndex', 'searchBindings'],
  gives: ['search'],
  start: async (c: C) => {
    // the index's thread opened its file while the parts between started: the node is not up
    // before its searches can be answered from it
    await c.get('searchIndex')?.opened()
    const system = c.get('system')
    const journal = c.get('journal')
    const membership = c.get('membership')
    const index = c.get('searchIndex')
    const local = (): SearchIndex | undefined => index
    const bindings = c.get('searchBindings')
    const catchUp = c.get('catchUp')
    bindings.embedder?.bind(c.get('manager'))
    spawnSearchActor(system, journal.partitions, local)
    const search = new ClusterSearch({
      self: c.get('preflight').identity.peerId,
      partitions: journal.partitions,
      replicasOf: (p) => journal.placement(p).replicas,
      replicaTable: () => { const at = journal.placements(); return (p) => at(p).replicas },
      live: () => membership.live(),
      local,
      caughtUp: (p) => catchUp.caughtUp(p),
      ask: async (node, msg) => await system.actorAt<SearchActorMsg>({ node, path: SEARCH_PATH })
        .ask<unknown>((replyTo) => ({ type: 'search', ...msg, replyTo }), { timeout: SEARCH_ASK_MS }),
      askTouched: async (node, user) => await system.actorAt<SearchActorMsg>({ node, path: SEARCH_PATH })
        .ask<unknown>((replyTo) => ({ type: 'touched', user, replyTo }), { timeout: SEARCH_ASK_MS }),
      embedder: bindings.embedder,
      onSearch: (ms, mode) => { bindings.observers?.query(ms, mode) }
    })
    bindings.observers = searchMetrics(c.get('metrics').registry, { cluster: search, index: local })
    c.provide('search', search, 'search')
    return { stop: () => undefined }
  }
}
