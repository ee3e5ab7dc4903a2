import { ConfigError } from '../../config/index.ts'
import { ModelManager, describeBackend, probeBackend } from '../../runtimes/index.ts'
import { modelMetrics } from '../metrics/index.ts'
import { InferenceService, KvCacheTransfer, UsageLimiter, WarmForwarding, createRuntime, planInference, spawnKvCacheActor, spawnWarmForwarding } from '../inference/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'
import { cudaRefusal } from './node-preflight.ts'

type C = PartComponents<NodeComponents>

/** The model manager: models loaded on demand within the memory budget; the other members learn
 * at once which models this node can answer for. */
export const modelsPart: PartSpec<NodeComponents> = {
  id: 'models',
  needs: ['config', 'log', 'models', 'metrics', 'membership', 'roles'],
  gives: ['manager', 'inferencePlan', 'inferenceBackend'],
  start: async (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const metrics = c.get('metrics')
    const membership = c.get('membership')
    const inferencePlan = planInference(config)
    // the backend, found now and logged (not at the first model load); gpu cuda where it does not
    // work stops the start, in one line naming the flag
    const inferenceBackend = c.get('roles').has('ai') ? await probeBackend(config.gpu) : undefined
    if (inferenceBackend !== undefined) {
      if (inferenceBackend.backend === 'none' && config.gpu === 'cuda') throw new ConfigError('gpu', cudaRefusal(inferenceBackend.reason ?? 'CUDA does not work here'))
      // (no llama.cpp at all under auto: the node still serves models of OpenAI-compatible servers)
      if (inferenceBackend.backend === 'none') log.warn({ backend: inferenceBackend }, `inference backend: none: llama.cpp models cannot run here (${inferenceBackend.reason ?? ''})`)
      else log.info({ backend: inferenceBackend }, `inference backend: ${describeBackend(inferenceBackend)}`)
    }
    c.provide('inferenceBackend', inferenceBackend, 'models')
    const manager = new ModelManager({
      registry: c.get('models'),
      createRuntime: (entry) => createRuntime(entry, config, inferencePlan, log.child({ component: 'llama' }), metrics.observeKvSaved),
      memoryBudgetBytes: inferencePlan.memoryBudgetBytes,
      maxQueue: config.inferenceQueue,
      log,
      onResult: metrics.observeInference,
      onLoadedChanged: () => { membership.announce() }
    })
    modelMetrics(metrics.registry, manager)
    c.provide('manager', manager, 'models')
    c.provide('inferencePlan', inferencePlan, 'models')
    return { stop: async () => { await manager.close() } }
  }
}

/**
 * Inference for agents: KV caches that travel with their agents, forwarding to a member that has
 * the model loaded when this node has not, and the per-user limits.
 */
export const inferencePart: PartSpec<NodeComponents> = {
  id: 'inference',
  needs: ['config', 'log', 'roles', 'preflight', 'system', 'manager', 'models', 'metrics', 'membership', 'inferencePlan', 'serviceFailures', 'tracing'],
  gives: ['kvCaches', 'inference'],
  start: (c: C) => {
    const config = c.get('config')
    const log = c.get('log')
    const system = c.get('system')
    const manager = c.get('manager')
    const metrics = c.get('metrics')
    const membership = c.get('membership')
    const self = c.get('preflight').identity.peerId
    const kvCaches = new KvCacheTransfer({
      system,
      manager,
      registry: c.get('models'),
      dataDir: config.dataDir,
      budgetBytes: config.kvCacheDisk * 1_048_576,
      onTransfer: metrics.observeKvTransfer,
      failures: c.get('serviceFailures'),
      log: log.child({ component: 'kv-cache' }),
      spans: c.get('tracing').spans
    })
    spawnKvCacheActor(system, kvCaches)
    const forwarding = new WarmForwarding({
      system,
      manager,
      warmMembers: () => membership.members()
        .filter((m) => m.peerId !== self && m.status === 'up' && m.roles.includes('ai') && (m.models?.length ?? 0) > 0)
        .map((m) => ({ peerId: m.peerId, models: m.models ?? [] })),
      live: (peer) => membership.isLive(peer),
      onForward: metrics.observeForwarded,
      log: log.child({ component: 'inference' })
    })
    spawnWarmForwarding(system, forwarding)
    const inference = new InferenceService({
      registry: c.get('models'),
      manager,
      forwarding,
      limiter: new UsageLimiter({ requestsPerMin: config.agentRequestsPerMin, tokensPerMin: config.agentTokensPerMin }),
      ...(config.defaultModel !== undefined && { defaultModel: config.defaultModel }),
      onError: (model) => { metrics.inferenceRequests.inc({ model, outcome: 'error' }) },
      spans: c.get('tracing').spans
    })
    const plan = c.get('inferencePlan')
    if (c.get('roles').has('ai')) log.info(plan, `inference: ${plan.workers} worker(s) per model x ${plan.contexts} context(s) x ${plan.threads} thread(s), gpu ${config.gpu}`)
    c.provide('kvCaches', kvCaches, 'inference')
    c.provide('inference', inference, 'inference')
    return { stop: () => undefined }
  }
}
