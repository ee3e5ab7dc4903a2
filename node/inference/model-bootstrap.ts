import { join } from 'node:path'
import { ConfigError } from '../../config/index.ts'
import type { NodeConfig } from '../../config/index.ts'
import { ModelRegistry, tinyModelFileName, writeTinyModel } from '../../runtimes/index.ts'

/**
 * The node's models dir, scanned: every GGUF validated before it may be loaded. An ai node with no
 * usable model gets the project's test model (random weights: it answers with printable noise),
 * so that an agent answers out of the box. Unusable files are logged; a `default-model` that is
 * not there is a ConfigError.
 */
export async function bootstrapModels (config: NodeConfig, ai: boolean, log: { info (obj: object, msg: string): void, warn (obj: object, msg: string): void }): Promise<ModelRegistry> {
  const models = new ModelRegistry(config.modelsDir)
  if ((await models.scan()).every((m) => m.status !== 'ready') && ai) {
    const file = join(config.modelsDir, tinyModelFileName())
    await writeTinyModel(file)
    await models.scan()
    log.info({ file }, `no model in ${config.modelsDir}: generated the test model ${tinyModelFileName()} (random weights; put real GGUF models there)`)
  }
  for (const model of models.list().filter((m) => m.status === 'invalid')) {
    log.warn({ model: model.name }, `model ${model.name} is not usable and will not be loaded: ${model.error ?? ''}`)
  }
  if (config.defaultModel !== undefined && ai && models.get(config.defaultModel)?.status !== 'ready') {
    throw new ConfigError('default-model', `no usable model named ${config.defaultModel} in ${config.modelsDir} (models: ${models.list().filter((m) => m.status === 'ready').map((m) => m.name).join(', ') || 'none'})`)
  }
  return models
}
