import { expect } from 'chai'
import { once } from 'node:events'
import { receiveMessageOnPort } from 'node:worker_threads'
import { TokenStream } from '../../../runtimes/llama/token-stream.ts'
import { waitFor } from '../../helpers/wait-for.ts'

describe('TokenStream', () => {
  it('should hand the text posted on the worker\'s end to the sink, what is queued included once drained', async () => {
    const pieces: string[] = []
    const stream = new TokenStream((text) => { pieces.push(text) })
    try {
      stream.port.postMessage({ type: 'text-generated', text: 'a' })
      stream.port.postMessage({ type: 'text-generated', text: 'b' })
      stream.drain()
      expect(pieces).to.deep.equal(['a', 'b'])
      stream.port.postMessage({ type: 'text-generated', text: 'c' })
      await waitFor(() => pieces.length === 3, 'the third piece')
      expect(pieces).to.deep.equal(['a', 'b', 'c'])
      expect(stream.failure).to.equal(undefined)
    } finally {
      stream.close()
      stream.port.close()
    }
  })

  it('should ask the worker to stop and keep the sink\'s error when the sink throws, taking no more text', () => {
    const pieces: string[] = []
    const full = new Error('the caller cannot take more')
    const stream = new TokenStream((text) => {
      pieces.push(text)
      throw full
    })
    try {
      stream.port.postMessage({ type: 'text-generated', text: 'a' })
      stream.port.postMessage({ type: 'text-generated', text: 'b' })
      stream.drain()
      expect(pieces).to.deep.equal(['a'])
      expect(stream.failure?.err).to.equal(full)
      expect(receiveMessageOnPort(stream.port)?.message).to.deep.equal({ type: 'cancel' })
    } finally {
      stream.close()
      stream.port.close()
    }
  })

  it('should cancel and fail with a TypeError when the worker posts a message of an unknown type', () => {
    const stream = new TokenStream(() => {})
    try {
      stream.port.postMessage({ type: 'text-vanished' })
      stream.drain()
      expect(stream.failure?.err).to.be.instanceOf(TypeError)
      expect((stream.failure?.err as Error).message).to.equal('unexpected message from the llama worker: "text-vanished"')
      expect(receiveMessageOnPort(stream.port)?.message).to.deep.equal({ type: 'cancel' })
    } finally {
      stream.close()
      stream.port.close()
    }
  })

  it('should post a cancel on the worker\'s end when asked to', async () => {
    const stream = new TokenStream(() => {})
    try {
      stream.cancel()
      const [message] = await once(stream.port, 'message') as [unknown]
      expect(message).to.deep.equal({ type: 'cancel' })
    } finally {
      stream.close()
      stream.port.close()
    }
  })
})

