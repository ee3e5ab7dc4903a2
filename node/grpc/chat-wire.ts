import type { ChatMessage, ChatMessageKind } from '../../actors/index.ts'

/** chat.proto's ChatMessage.Kind names for the kernel's kinds. protobufjs encodes a name it does
 * not know as the default (MESSAGE) without a word, so the mapping must be explicit. */
const KIND_NAMES: Record<ChatMessageKind, 'MESSAGE' | 'JOIN' | 'LEAVE'> = { message: 'MESSAGE', join: 'JOIN', leave: 'LEAVE' }

/** A room's message as chat.proto's ChatMessage. */
export function wireMessage (message: ChatMessage): Omit<ChatMessage, 'kind'> & { kind: 'MESSAGE' | 'JOIN' | 'LEAVE' } {
  return { ...message, kind: KIND_NAMES[message.kind] }
}
