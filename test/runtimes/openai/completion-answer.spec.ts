import { expect } from 'chai'
import { CompletionAnswer } from '../../../runtimes/openai/completion-answer.ts'
import { rejection } from '../../helpers/thrown.ts'

const URL_ = 'http://127.0.0.1:1/v1/chat/completions'

/** A streamed response whose body comes in `chunks` (one read each). */
function streamed (...chunks: string[]): Response {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start (controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    }
  })
  return new Response(body, { headers: { 'content-type': 'text/event-stream' } })
}

const delta = (content: string, finish: string | null = null): string => `data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: finish }] })}\n\n`

describe('CompletionAnswer', () => {
  it('should gather the content deltas, hand each to the sink, and take the finish reason and usage', async () => {
    const pieces: string[] = []
    const answer = new CompletionAnswer((text) => { pieces.push(text) })
    const usage = `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 2 } })}\n\n`
    // cut mid-event: the parser joins the halves
    const events = delta('Hel') + delta('lo', 'stop') + usage + 'data: [DONE]\n\n'
    const done = await answer.read(streamed(events.slice(0, 20), events.slice(20)), URL_, new AbortController().signal, 'm')
    expect(done).to.equal(true)
    expect(pieces).to.deep.equal(['Hel', 'lo'])
    expect(answer).to.deep.include({ text: 'Hello', chunks: 2, finish: 'stop', usage: { promptTokens: 9, completionTokens: 2 } })
    expect(answer.firstTokenAt).to.be.a('number')
  })

  it('should say the stream ended without [DONE], and skip named events that are not messages', async () => {
    const answer = new CompletionAnswer(() => {})
    const done = await answer.read(streamed('event: ping\ndata: {}\n\n' + delta('x')), URL_, new AbortController().signal, 'm')
    expect(done).to.equal(false)
    expect(answer.text).to.equal('x')
  })

  it('should stop reading, saying so, once the signal aborts', async () => {
    const controller = new AbortController()
    const answer = new CompletionAnswer(() => { controller.abort() })
    const done = await answer.read(streamed(delta('a') + delta('b') + 'data: [DONE]\n\n'), URL_, controller.signal, 'm')
    expect(done).to.equal(false)
    expect(answer.text).to.equal('a')
  })

  it('should fail with RemoteInferenceError 502 on an error event, an event that is not JSON, and a body-less answer', async () => {
    const read = (response: Response) => new CompletionAnswer(() => {}).read(response, URL_, new AbortController().signal, 'm')
    const event = await rejection(() => read(streamed('event: error\ndata: {"error":{"message":"model crashed"}}\n\n')))
    expect(event).to.deep.include({ name: 'RemoteInferenceError', status: 502 })
    expect(event.message).to.equal(`model crashed (POST ${URL_}: error event in the stream)`)
    const notJson = await rejection(() => read(streamed('data: {nope\n\n')))
    expect(notJson.message).to.match(/an event is not JSON: \{nope/)
    const empty = await rejection(() => read(new Response(null, { status: 200 })))
    expect(empty.message).to.equal(`POST ${URL_} answered 200 without a body`)
  })

  it('should take an error sent mid-stream as a chunk, with its numeric code as the status', () => {
    const answer = new CompletionAnswer(() => {})
    let err: (Error & { status?: number }) | undefined
    try {
      answer.take(JSON.stringify({ error: { message: 'too many tokens', code: 400 } }), URL_)
    } catch (e) {
      err = e as Error
    }
    expect(err).to.deep.include({ name: 'RemoteInferenceError', status: 400 })
    expect(() => { answer.take('7', URL_) }).to.throw(/an event is not a JSON object/)
  })
})
