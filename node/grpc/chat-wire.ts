import type * as grpc from '@grpc/grpc-js'
import type { ChatMessage, ChatMessageKind } from '../../actors/index.ts'

/** chat.proto's ChatMessage.Kind names for the kernel's kinds. protobufjs encodes a name it does
 * not know as the default (MESSAGE) without a word, so the mapping must be explicit. */
const KIND_NAMES: Record<ChatMessageKind, WireKind> = { message: 'MESSAGE', join: 'JOIN', leave: 'LEAVE', redaction: 'REDACTION' }

type WireKind = 'MESSAGE' | 'JOIN' | 'LEAVE' | 'REDACTION'
export type WireMessage = Omit<ChatMessage, 'kind'> & { kind: WireKind }
export type SubscribeEvent =
  | { readonly message: WireMessage }
  | { readonly live: { readonly lastSeq: number } }
  | { readonly agentPartial: { readonly requestId: string, readonly user: string, readonly text: string, readonly inReplyTo: number } }
  | { readonly redaction: { readonly room: string, readonly seq: number, readonly redacts: number, readonly by: string, readonly ts: number } }

/** A room's message as chat.proto's ChatMessage. */
export function wireMessage (message: ChatMessage): WireMessage {
  return { ...message, kind: KIND_NAMES[message.kind] }
}

/**
 * Encodes each pushed message once for all the streams that carry it. A gateway fans one message
 * out to every local subscriber; without this, grpc-js would encode it again for each of them.
 * Both caches are keyed by object identity (WeakMaps), so they hold nothing longer than the
 * message itself lives.
 */
export class SubscribeEncoder {
  readonly #events = new WeakMap<ChatMessage, SubscribeEvent>()
  readonly #bytes = new WeakMap<object, Buffer>()
  readonly #encode: grpc.serialize<SubscribeEvent>

  constructor (encode: grpc.serialize<SubscribeEvent>) {
    this.#encode = encode
  }

  /** The one event object for a message (the same object for every stream): a redaction goes as
   * the stream's `redaction` event, every other message as `message`. */
  event (message: ChatMessage): SubscribeEvent {
    let event = this.#events.get(message)
    if (event === undefined) {
      event = message.kind === 'redaction'
        ? { redaction: { room: message.room, seq: message.seq, redacts: message.redacts ?? 0, by: message.user, ts: message.ts } }
        : { message: wireMessage(message) }
      this.#events.set(message, event)
    }
    return event
  }

  /** grpc-js's serializer for the Subscribe stream: encodes an event object once. */
  readonly serialize = (event: SubscribeEvent): Buffer => {
    let bytes = this.#bytes.get(event)
    if (bytes === undefined) {
      bytes = this.#encode(event)
      this.#bytes.set(event, bytes)
    }
    return bytes
  }

  /** The chat service definition with Subscribe's serializer replaced by this encoder's. */
  static install (service: grpc.ServiceDefinition): { service: grpc.ServiceDefinition, encoder: SubscribeEncoder } {
    const subscribe = service.Subscribe as grpc.MethodDefinition<unknown, SubscribeEvent>
    const encoder = new SubscribeEncoder(subscribe.responseSerialize)
    return { service: { ...service, Subscribe: { ...subscribe, responseSerialize: encoder.serialize } }, encoder }
  }
}
