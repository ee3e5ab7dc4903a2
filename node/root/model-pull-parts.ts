import { FileDigests, ModelCopies, ModelPulls, pullMetrics, spawnModelCopyActor } from '../model-pull/index.ts'
import type { PartComponents } from './components.ts'
import type { NodeComponents } from './node-components.ts'
import type { PartSpec } from './part-list.ts'

type C = PartComponents<NodeComponents>

/**
 * Model pulls (ai members): `plexi admin models pull` downloads a model here as a job, and copies it
 * to the other ai members up, whose model receiver (spawned here) checks and keeps it. A node
 * without the ai role neither pulls nor receives models (its pull route answers 404).
 */
export const modelPullPart: PartSpec<NodeComponents> = {
  id: 'model-pull',
  needs: ['config', 'log', 'roles', 'preflight', 'system', 'jobs', 'cluster', 'models', 'manager', 'metrics', 'serviceFailures'],
  gives: ['modelPulls'],
  start: (c: C) => {
    if (!c.get('roles').has('ai')) {
      c.provide('modelPulls', undefined, 'model-pull')
      return { stop: () => undefined }
    }
    const config = c.get('config')
    const registry = c.get('models')
    const manager = c.get('manager')
    const cluster = c.get('cluster')
    const self = c.get('preflight').identity.peerId
    const metrics = pullMetrics(c.get('metrics').registry)
    const digests = new FileDigests()
    const loaded = (name: string): boolean => manager.loaded().some((m) => m.model === name)
    const log = c.get('log').child({ component: 'model-pull' })
    const copies = new ModelCopies({ system: c.get('system'), registry, loaded, digests, log, onBytes: metrics.copied, failures: c.get('serviceFailures') })
    spawnModelCopyActor(c.get('system'), copies)
    const hubToken = process.env.HF_TOKEN
    c.provide('modelPulls', new ModelPulls({
      jobs: c.get('jobs'),
      registry,
      loaded,
      copies,
      digests,
      hub: config.modelHub,
      ...(hubToken !== undefined && hubToken.length > 0 && { hubToken }),
      aiMembers: () => cluster.members().filter((m) => m.peerId !== self && m.status === 'up' && m.roles.includes('ai')).map((m) => m.peerId).sort(),
      log,
      onDownloaded: metrics.downloaded,
      onPulled: metrics.pulled
    }), 'model-pull')
    return { stop: () => undefined }
  }
}
