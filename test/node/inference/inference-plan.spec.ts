import { expect } from 'chai'
import { loadConfig } from '../../../config/index.ts'
import { planInference } from '../../../node/inference/inference-plan.ts'

describe('planInference', () => {
  const config = async (flags: Record<string, unknown> = {}) => (await loadConfig({ flags: { role: 'ai', ...flags }, env: {}, cwd: '/tmp' })).config
  const GIB = 1_073_741_824

  it('should keep workers x contexts x threads within the cores when left to defaults', async () => {
    for (const cores of [1, 2, 4, 8, 16, 64]) {
      const plan = planInference(await config(), cores, 8 * GIB)
      expect(plan.contexts, `${cores} cores`).to.equal(Math.max(1, Math.min(4, cores)))
      expect(plan.workers * plan.contexts * plan.threads, `${cores} cores`).to.be.at.most(Math.max(cores, plan.contexts))
      expect(plan.threads).to.be.at.least(1)
    }
  })

  it('should take what the operator set, and half the memory as the models budget by default', async () => {
    expect(planInference(await config({ 'inference-contexts': '3', 'inference-threads': '2', 'inference-workers': '2' }), 16, 8 * GIB))
      .to.deep.equal({ workers: 2, contexts: 3, threads: 2, cachedSequences: 3, memoryBudgetBytes: 4 * GIB })
    expect(planInference(await config({ 'models-memory': '512' }), 2, 8 * GIB).memoryBudgetBytes).to.equal(512 * 1_048_576)
  })

  it('should keep as many conversations\' KV caches in memory as asked, and never fewer than the contexts', async () => {
    expect(planInference(await config({ 'inference-contexts': '2', 'inference-cached-sequences': '8' }), 2, 8 * GIB).cachedSequences).to.equal(8)
    expect(planInference(await config({ 'inference-contexts': '4', 'inference-cached-sequences': '1' }), 2, 8 * GIB).cachedSequences).to.equal(4)
    expect(planInference(await config({ 'inference-contexts': '2' }), 2, 8 * GIB).cachedSequences).to.equal(2)
  })
})
