import { expect } from 'chai'
import type * as grpc from '@grpc/grpc-js'
import type { ChatMessage } from '../../../actors/index.ts'
import { SubscribeEncoder } from '../../../node/grpc/index.ts'
import { wireMessage } from '../../../node/grpc/chat-wire.ts'
import { loadChatService } from '../../../protocols/grpc/index.ts'

const message = (seq: number, kind: ChatMessage['kind'] = 'message'): ChatMessage => ({ room: 'r', seq, user: 'ann', text: `m${seq}`, ts: 1_000 + seq, kind })

describe('chat wire', () => {
  it('should write each kind of message with chat.proto\'s kind name, when sent to a client', () => {
    expect(wireMessage(message(1))).to.deep.equal({ ...message(1), kind: 'MESSAGE' })
    expect(wireMessage(message(2, 'join')).kind).to.equal('JOIN')
    expect(wireMessage(message(3, 'leave')).kind).to.equal('LEAVE')
    expect(wireMessage({ ...message(4, 'redaction'), redacts: 2 })).to.include({ kind: 'REDACTION', redacts: 2 })
  })

  it('should send a redaction as the stream\'s redaction event, encoded by chat.proto', () => {
    const service = loadChatService().service
    const { encoder } = SubscribeEncoder.install(service)
    const event = encoder.event({ ...message(5, 'redaction'), text: '', redacts: 3 })
    expect(event).to.deep.equal({ redaction: { room: 'r', seq: 5, redacts: 3, by: 'ann', ts: 1_005 } })
    const decoded = (service.Subscribe as grpc.MethodDefinition<unknown, unknown>).responseDeserialize(encoder.serialize(event)) as { event: string, redaction: { seq: number, redacts: number, by: string } }
    expect([decoded.event, decoded.redaction.seq, decoded.redaction.redacts, decoded.redaction.by]).to.deep.equal(['redaction', 5, 3, 'ann'])
  })

  it('should encode one pushed message once for every stream, with chat.proto\'s real encoding, when installed on the chat service', () => {
    const service = loadChatService().service
    const { service: installed, encoder } = SubscribeEncoder.install(service)
    const subscribe = installed.Subscribe as grpc.MethodDefinition<unknown, unknown>
    // only Subscribe's serializer is replaced
    expect(installed.Post).to.equal(service.Post)
    expect(subscribe.responseSerialize).to.equal(encoder.serialize)
    const m = message(4)
    const event = encoder.event(m)
    expect(encoder.event(m), 'one event object per message').to.equal(event)
    const bytes = encoder.serialize(event)
    expect(encoder.serialize(encoder.event(m)), 'encoded once').to.equal(bytes)
    const original = (service.Subscribe as grpc.MethodDefinition<unknown, unknown>).responseDeserialize(bytes) as { message: { seq: number, text: string, kind: string } }
    expect([original.message.seq, original.message.text, original.message.kind]).to.deep.equal([4, 'm4', 'MESSAGE'])
    expect(encoder.event(message(4)), 'another message object, another event').to.not.equal(event)
  })
})
