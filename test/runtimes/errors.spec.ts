import { expect } from 'chai'
import { errorData, isRefusal, kindOf } from '../../protocols/index.ts'
import {
  InferenceQueueFullError, InferenceUnavailableError, InferenceWorkerError, ModelMemoryError, PromptTooLongError, RemoteInferenceError, UnknownModelError, UnsupportedToolSchemaError, rebuildInferenceError
} from '../../runtimes/errors.ts'

describe('runtimes errors', () => {
  const every = [
    [new UnknownModelError('u'), 'not-found'],
    [new InferenceUnavailableError('u'), 'unavailable'],
    [new InferenceWorkerError('u'), 'unavailable'],
    [new InferenceQueueFullError('u', 1000), 'exhausted'],
    [new PromptTooLongError('u'), 'invalid'],
    [new UnsupportedToolSchemaError('u'), 'invalid'],
    [new ModelMemoryError('u'), 'exhausted'],
    [new RemoteInferenceError('u', 502), 'unavailable']
  ] as const

  it('should give each failure its own class, named after it, with its canonical kind', () => {
    for (const [err, kind] of every) {
      expect(err.name, kind).to.equal(err.constructor.name)
      expect(kindOf(err), err.name).to.equal(kind)
    }
    expect(new Set(every.map(([err]) => err.name)).size).to.equal(every.length)
    // a prompt too long or a full queue refuses the request; a dead worker is a failure of the server
    expect(isRefusal(new PromptTooLongError('x'))).to.equal(true)
    expect(isRefusal(new InferenceWorkerError('x'))).to.equal(false)
  })

  it('should rebuild each one from the data that crossed a worker, with its class and fields', () => {
    for (const [err] of every) {
      const rebuilt = rebuildInferenceError(errorData(err))
      expect(rebuilt, err.name).to.be.instanceOf(err.constructor)
      expect(rebuilt).to.include({ name: err.name, message: 'u' })
    }
    const remote = rebuildInferenceError(errorData(new RemoteInferenceError('busy', 429, 1500))) as RemoteInferenceError
    expect(remote).to.include({ status: 429, retryAfterMs: 1500 })
    expect((rebuildInferenceError(errorData(new InferenceQueueFullError('full', 250))) as InferenceQueueFullError).retryAfterMs).to.equal(250)
    expect(rebuildInferenceError(errorData(new RemoteInferenceError('x', 500))).stack).to.match(/at a llama\.cpp worker/)
    const unknown = rebuildInferenceError({ name: 'SomethingElse', message: 'odd', kind: 'internal' })
    expect(unknown.constructor).to.equal(Error)
    expect(unknown.name).to.equal('SomethingElse')
  })
})
