import { expect } from 'chai'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { LlamaControlMessage, LlamaStreamMessage, LlamaTask, LlamaTaskResult, LlamaWorkerData } from '../../../runtimes/llama/llama-protocol.ts'

/** `value` as the other thread receives it (the structured clone postMessage and Piscina make). */
function across<T> (value: T): T {
  const { port1, port2 } = new MessageChannel()
  try {
    port1.postMessage(value)
    return receiveMessageOnPort(port2)?.message as T
  } finally {
    port1.close()
  }
}

describe('llama-protocol', () => {
  it('should carry the worker data and every task and result across a thread unchanged: plain data only', () => {
    const data: LlamaWorkerData = { name: 'm', file: '/models/m.gguf', gpu: 'off', batching: 'auto', contexts: 2, threads: 1, contextSize: 512, cachedSequences: 3, kvState: { dir: '/kv', modelSha256: 'a'.repeat(64) } }
    const tasks: LlamaTask[] = [{ type: 'ready' }, { type: 'save-caches', cacheKeys: ['agent/a'] }, { type: 'save-caches' }]
    const results: LlamaTaskResult[] = [
      { type: 'loaded', threadId: 3, backend: 'cpu', contextSize: 512, build: 'b', batching: 'off' },
      {
        type: 'generated',
        result: { text: 'hi', stopReason: 'eos', promptTokens: 4, completionTokens: 2, droppedTurns: 0, ttftMs: 1.5, durationMs: 3, cache: { source: 'disk', reusedTokens: 3, restoredBytes: 100 } },
        saved: [{ cacheKey: 'agent/b', bytes: 10, tokens: 2 }],
        read: { cacheKey: 'agent/a', removed: false }
      },
      { type: 'caches-saved', saved: [], failures: ['agent/c: disk full'] },
      { type: 'failed', error: { name: 'PromptTooLongError', message: 'too long', kind: 'invalid' } }
    ]
    const messages: Array<LlamaStreamMessage | LlamaControlMessage> = [{ type: 'text-generated', text: 'é' }, { type: 'cancel' }]
    for (const value of [data, ...tasks, ...results, ...messages]) expect(across(value)).to.deep.equal(value)
  })

  it('should carry a generate task with its port transferred, the port still working on the other side', () => {
    const stream = new MessageChannel()
    const task: LlamaTask = { type: 'generate', input: { messages: [{ role: 'user', content: 'hi' }] }, params: { maxTokens: 2, temperature: 0, topP: 1, topK: 0 }, cacheKey: 'agent/a', preferSaved: true, port: stream.port2 }
    const { port1, port2 } = new MessageChannel()
    try {
      port1.postMessage(task, [stream.port2])
      const arrived = receiveMessageOnPort(port2)?.message as Extract<LlamaTask, { type: 'generate' }>
      expect({ ...arrived, port: undefined }).to.deep.equal({ ...task, port: undefined })
      arrived.port.postMessage({ type: 'text-generated', text: 'x' } satisfies LlamaStreamMessage)
      expect(receiveMessageOnPort(stream.port1)?.message).to.deep.equal({ type: 'text-generated', text: 'x' })
      arrived.port.close()
    } finally {
      port1.close()
      stream.port1.close()
    }
  })
})
