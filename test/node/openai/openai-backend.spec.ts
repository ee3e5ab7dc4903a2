import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'chai'
import { ModelRegistry, writeTinyModel } from '../../../runtimes/index.ts'
import type { ChatTurn, GenerateResult, SamplingParams } from '../../../runtimes/index.ts'
import type { InferenceService } from '../../../node/inference/index.ts'
import { AGENT_MODEL_ID, openAiBackend } from '../../../node/openai/index.ts'
import { GrpcServices } from '../../helpers/grpc-services.ts'
import { rejection } from '../../helpers/thrown.ts'

/** The node's inference service as far as the backend calls it: raw completions, recorded. */
class RecordedInference {
  readonly calls: Array<{ user: string, model: string, messages: readonly ChatTurn[], params: SamplingParams }> = []
  async complete (user: string, model: string, messages: readonly ChatTurn[], params: SamplingParams, onToken: (text: string) => void): Promise<GenerateResult> {
    this.calls.push({ user, model, messages, params })
    onToken('raw')
    return { text: 'raw', stopReason: 'eos', promptTokens: 1, completionTokens: 1, droppedTurns: 0, ttftMs: 0, durationMs: 0 }
  }
}

describe('openAiBackend (real user accounts, agent and model registry)', function () {
  this.timeout(30_000)
  let s: GrpcServices
  let registry: ModelRegistry
  let inference: RecordedInference
  let backend: ReturnType<typeof openAiBackend>
  const params: SamplingParams = { maxTokens: 8, temperature: 0, topP: 1, topK: 0 }
  const signal = new AbortController().signal

  beforeEach(async () => {
    s = await GrpcServices.start()
    const dir = join(s.dataDir, 'models')
    await mkdir(dir, { recursive: true })
    await writeTinyModel(join(dir, 'tiny.gguf'))
    await writeFile(join(dir, 'broken.gguf'), 'not a model')
    registry = new ModelRegistry(dir)
    inference = new RecordedInference()
    backend = openAiBackend({ users: s.users, registry, inference: inference as unknown as InferenceService, asker: s.asker, startedAt: 1_700_000_000 })
  })
  afterEach(async () => { await s.stop() })

  it('should know a user by token, and list the user\'s agent and every ready model, when asked', async () => {
    expect(await backend.authenticate(s.annToken)).to.equal('ann')
    expect(await backend.authenticate('plxu_wrong')).to.equal(undefined)
    expect(await backend.models('ann')).to.deep.equal([{ id: AGENT_MODEL_ID, created: 1_700_000_000 }, { id: 'tiny', created: 1_700_000_000 }])
  })

  it('should complete a raw model\'s messages as sent through the inference service, when the model is not the agent', async () => {
    const tokens: string[] = []
    const result = await backend.complete('ann', { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], params }, (t) => { tokens.push(t) }, signal)
    expect(result.text).to.equal('raw')
    expect(tokens).to.deep.equal(['raw'])
    expect(inference.calls).to.deep.equal([{ user: 'ann', model: 'tiny', messages: [{ role: 'user', content: 'hi' }], params }])
  })

  it('should ask the user\'s own agent the last user message and stream its answer, when the model is the agent', async () => {
    const tokens: string[] = []
    const messages: ChatTurn[] = [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'ignored' }, { role: 'user', content: 'the question' }]
    const result = await backend.complete('ann', { model: AGENT_MODEL_ID, messages, params }, (t) => { tokens.push(t) }, signal)
    expect(result).to.deep.include({ text: 'scripted answer here', stopReason: 'eos', promptTokens: 3, completionTokens: 3 })
    expect(tokens.join('')).to.equal('scripted answer here')
    expect(s.inference.prompts.at(-1)?.messages.at(-1)?.content).to.equal('the question')
    expect(inference.calls).to.deep.equal([])
  })

  it('should refuse the agent with no user message to ask, when the messages hold none', async () => {
    const err = await rejection(async () => await backend.complete('ann', { model: AGENT_MODEL_ID, messages: [{ role: 'system', content: 'be brief' }], params }, () => undefined, signal))
    expect(err.name).to.equal('InvalidRequestError')
    expect(err.message).to.match(/^messages: model "agent" needs a user message/)
  })
})
