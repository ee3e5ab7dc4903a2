import { expect } from 'chai'
import { responseText } from '../../../runtimes/openai/response-text.ts'
import { rejection } from '../../helpers/thrown.ts'

/** A response whose body comes in `chunks`, telling `pulled` how many it was asked for. */
function chunked (chunks: readonly Uint8Array[], pulled: { count: number }): Response {
  let next = 0
  return new Response(new ReadableStream<Uint8Array>({
    pull (controller) {
      pulled.count++
      const chunk = chunks[next++]
      if (chunk === undefined) controller.close()
      else controller.enqueue(chunk)
    }
  }))
}

describe('responseText', () => {
  it('should read the whole body as UTF-8, a character cut between chunks included', async () => {
    const bytes = new TextEncoder().encode('héllo wörld')
    const pulled = { count: 0 }
    expect(await responseText(chunked([bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)], pulled), 100)).to.equal('héllo wörld')
    expect(await responseText(new Response(null), 100)).to.equal('')
  })

  it('should refuse a body over the limit with a RangeError and read no further', async () => {
    const pulled = { count: 0 }
    const chunk = new Uint8Array(600).fill(0x61)
    const err = await rejection(() => responseText(chunked([chunk, chunk, chunk, chunk], pulled), 1000))
    expect(err).to.be.instanceOf(RangeError)
    expect(err.message).to.equal('the body is larger than 1000 bytes')
    expect(pulled.count, 'the rest is left unread').to.be.below(4)
  })
})
