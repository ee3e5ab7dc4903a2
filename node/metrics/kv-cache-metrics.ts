import { Counter } from 'prom-client'
import type { Registry } from 'prom-client'
import type { CacheUse } from '../../runtimes/index.ts'

/** Agents' KV caches: how each request found its conversation's cache, and what was saved and
 * moved; counted as it happens, through the observers the inference parts are given. */
export interface KvCacheMetrics {
  readonly kvCacheRequests: Counter<'model' | 'source'>
  readonly kvCacheReusedTokens: Counter<'model'>
  readonly kvCacheRestoredBytes: Counter<'model'>
  readonly kvCacheSavedBytes: Counter<'model'>
  readonly kvCacheRestoreFailures: Counter<'model'>
  readonly kvCacheMovedBytes: Counter<'direction'>
  /** For LlamaRuntimeOptions.onKvSaved. */
  readonly observeKvSaved: (model: string, bytes: number) => void
  /** For KvCacheTransferOptions.onTransfer. */
  readonly observeKvTransfer: (direction: 'sent' | 'received', bytes: number) => void
  /** How one request of `model` used its cache (from its GenerateResult). */
  readonly observeCacheUse: (model: string, cache: CacheUse) => void
}

export function kvCacheMetrics (registry: Registry): KvCacheMetrics {
  const registers = [registry]
  const kvCacheRequests = new Counter({
    name: 'plexi_kv_cache_requests_total',
    help: 'Agent requests by where their conversation\'s KV cache was: memory (still in a context), disk (restored from a saved state) or miss (evaluated from the start)',
    labelNames: ['model', 'source'],
    registers
  })
  const kvCacheReusedTokens = new Counter({ name: 'plexi_kv_cache_reused_tokens_total', help: 'Prompt tokens taken from a KV cache instead of being evaluated again', labelNames: ['model'], registers })
  const kvCacheRestoredBytes = new Counter({ name: 'plexi_kv_cache_restored_bytes_total', help: 'Bytes of saved KV state read back into a context', labelNames: ['model'], registers })
  const kvCacheSavedBytes = new Counter({ name: 'plexi_kv_cache_saved_bytes_total', help: 'Bytes of KV state saved to disk (conversations evicted from memory, or held when the model unloaded)', labelNames: ['model'], registers })
  const kvCacheMovedBytes = new Counter({
    name: 'plexi_kv_cache_moved_bytes_total',
    help: 'Bytes of agents\' KV caches sent ahead of an agent that moved to another node, or received for one that moved here',
    labelNames: ['direction'],
    registers
  })
  const kvCacheRestoreFailures = new Counter({
    name: 'plexi_kv_cache_restore_failures_total',
    help: 'Saved KV states refused (another model or llama.cpp build, damaged, or refused by llama.cpp); their prompts were evaluated again',
    labelNames: ['model'],
    registers
  })
  return {
    kvCacheRequests,
    kvCacheReusedTokens,
    kvCacheRestoredBytes,
    kvCacheSavedBytes,
    kvCacheRestoreFailures,
    kvCacheMovedBytes,
    observeKvSaved: (model, bytes) => { kvCacheSavedBytes.inc({ model }, bytes) },
    observeKvTransfer: (direction, bytes) => { kvCacheMovedBytes.inc({ direction }, bytes) },
    observeCacheUse: (model, cache) => {
      kvCacheRequests.inc({ model, source: cache.source })
      kvCacheReusedTokens.inc({ model }, cache.reusedTokens)
      kvCacheRestoredBytes.inc({ model }, cache.restoredBytes)
      if (cache.restoreFailure !== undefined) kvCacheRestoreFailures.inc({ model })
    }
  }
}
