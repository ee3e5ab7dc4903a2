import { CLIENT_ID_RULE, InvalidRequestError, ROOM_NAME_RULE, clip, isClientId, isRoomName } from '../../protocols/index.ts'

/** The chat service's requests as protobufjs decodes them (chat.proto), each field checked before
 * use: a field a client left out comes as its default, and a hand-made client may send anything. */
export interface PostRequest { room: string, text: string, clientId?: string }
export interface SubscribeRequest { room: string, after: number }
export interface HistoryRequest { room: string, after: number, limit: number }
export interface RoomRequest { room: string }
export interface RedactRequest { room: string, seq: number }
export interface ListRoomsRequest { heads?: unknown }

/** A room name, or InvalidRequestError naming the field (never echoing a long value). */
export function checkRoom (value: unknown): string {
  if (!isRoomName(value)) throw new InvalidRequestError(`room: ${clip(JSON.stringify(value) ?? String(value), 80)} is not a room name (${ROOM_NAME_RULE})`)
  return value
}

/** A client's id for its post, or undefined: proto3 sends an unset client_id as "". */
export function checkClientId (value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined
  if (!isClientId(value)) throw new InvalidRequestError(`client_id: ${clip(JSON.stringify(value) ?? String(value), 80)} is not a client id (${CLIENT_ID_RULE})`)
  return value
}

/** A seq (an integer >= 0), or InvalidRequestError naming `field`. */
export function checkSeq (value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new InvalidRequestError(`${field}: must be a seq >= 0`)
  return value
}

/** The rooms a ListRooms asks the last seq of: at most `max` room names, each once. */
export function checkHeads (value: unknown, max: number): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) throw new InvalidRequestError('heads: expected a list of room names')
  if (value.length > max) throw new InvalidRequestError(`heads: at most ${max} rooms, got ${value.length}`)
  return [...new Set(value.map((room: unknown, i) => {
    if (!isRoomName(room)) throw new InvalidRequestError(`heads[${i}]: ${clip(JSON.stringify(room) ?? String(room), 80)} is not a room name (${ROOM_NAME_RULE})`)
    return room
  }))]
}
