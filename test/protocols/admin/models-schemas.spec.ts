import { expect } from 'chai'
import { modelNameParam, modelSchema } from '../../../protocols/admin/models-schemas.ts'
import { MODEL_NAME_PATTERN } from '../../../runtimes/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('models schemas', () => {
  it('should fit a model ready or invalid, loaded here or elsewhere', () => {
    const check = validatorOf(modelSchema)
    expect(check({ name: 'tiny', sizeBytes: 10, runtime: 'llama.cpp', status: 'ready', loaded: ['p'], memoryBytes: 5, backend: 'cpu', active: 0, queued: 0, lastUsedAt: 1 }).ok).to.equal(true)
    expect(check({ name: 'bad', sizeBytes: 10, status: 'invalid', error: 'not a GGUF file', loaded: [] }).ok).to.equal(true)
    expect(check({ name: 'x', sizeBytes: 1, status: 'loading', loaded: [] }).errors).to.deep.equal(['/status must be equal to one of the allowed values'])
  })

  it('should take a model name as the registry names its files', () => {
    expect(modelNameParam.pattern).to.equal(MODEL_NAME_PATTERN.source)
    expect(validatorOf(modelNameParam)('plexi-tiny-f16').ok).to.equal(true)
    expect(validatorOf(modelNameParam)('../etc').ok).to.equal(false)
  })
})
