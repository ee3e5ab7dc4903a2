import { expect } from 'chai'
import { once } from 'node:events'
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads'
import type { MessagePort } from 'node:worker_threads'
import type { LlamaStreamMessage } from '../../../runtimes/llama/llama-protocol.ts'
import { RequestPort } from '../../../runtimes/llama/request-port.ts'

/** What the runtime's end has received so far. */
function received (port: MessagePort): string[] {
  const texts: string[] = []
  for (let entry = receiveMessageOnPort(port); entry !== undefined; entry = receiveMessageOnPort(port)) texts.push((entry.message as LlamaStreamMessage).text)
  return texts
}

describe('RequestPort', () => {
  let channel: MessageChannel
  beforeEach(() => { channel = new MessageChannel() })
  afterEach(() => {
    channel.port1.close()
    channel.port2.close()
  })

  it('should post the first piece at once and join the pieces that follow it closely into one message', async () => {
    // a long coalescing wait: the pieces after the first are certain to come within it
    const port = new RequestPort(channel.port2, 60_000)
    port.write('He')
    port.write('ll')
    port.write('')
    port.write('o')
    expect(received(channel.port1)).to.deep.equal(['He'])
    port.flush()
    expect(received(channel.port1)).to.deep.equal(['llo'])
    expect(port.text).to.equal('Hello')
    port.flush()
    expect(received(channel.port1), 'nothing waits').to.deep.equal([])
    port.close()
  })

  it('should post what waits by itself once the coalescing wait is over', async () => {
    const port = new RequestPort(channel.port2, 5)
    port.write('a')
    port.write('b')
    expect(received(channel.port1)).to.deep.equal(['a'])
    const [message] = await once(channel.port1, 'message') as [LlamaStreamMessage]
    expect(message).to.deep.equal({ type: 'text-generated', text: 'b' })
    port.close()
  })

  it('should drop what waits when closed without a flush', () => {
    const port = new RequestPort(channel.port2, 60_000)
    port.write('a')
    port.write('b')
    port.close()
    expect(received(channel.port1)).to.deep.equal(['a'])
  })

  it('should read a cancel already queued, and take an unknown control message as a cancel it reports', async () => {
    const port = new RequestPort(channel.port2)
    channel.port1.postMessage({ type: 'cancel' })
    expect(port.cancelled).to.equal(false)
    port.readControl()
    expect(port.cancelled).to.equal(true)
    expect(port.unexpected).to.equal(undefined)
    port.close()
    const other = new MessageChannel()
    const second = new RequestPort(other.port2)
    other.port1.postMessage({ type: 'pause' })
    second.readControl()
    expect(second.cancelled).to.equal(true)
    expect(second.unexpected).to.equal('pause')
    second.close()
    other.port1.close()
  })

  it('should hear a cancel that comes while the request runs', async () => {
    const port = new RequestPort(channel.port2)
    channel.port1.postMessage({ type: 'cancel' })
    await once(channel.port2, 'message')
    expect(port.cancelled).to.equal(true)
    port.close()
  })
})
