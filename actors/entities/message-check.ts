import { CLIENT_ID_RULE, ROOM_NAME_RULE, USER_NAME_RULE, clip, isClientId, isRoomName, isUserName } from '../../protocols/index.ts'
import { InvalidMessageError, constants, isActorAddress, isReplyTo } from '../kernel/index.ts'
import type { ActorAddress, ReplyTo } from '../kernel/index.ts'

/** Why a text with half of a UTF-16 surrogate pair is refused (it has no UTF-8 form). */
export const LONE_SURROGATE = 'a lone surrogate (half of a UTF-16 pair, as a JSON \\ud800 escape can make) has no UTF-8 form; send well-formed text'

/**
 * One entity message as it arrived (plain data from anywhere: another node, a test), read field by
 * field for an EntityType.check. Each getter returns the field when it is what the protocol says,
 * and otherwise throws InvalidMessageError naming the message, the field, what it expects and what
 * came (clipped: a refusal never echoes a long value). Fields nobody asks for are ignored: a newer
 * peer may send more, and an entity never reads or journals a field it does not know.
 */
export class MessageCheck {
  /** The message's `type` (a string). */
  readonly type: string
  readonly #fields: Readonly<Record<string, unknown>>
  readonly #what: string
  /** `parent.` for a nested object's fields. */
  readonly #prefix: string

  /** `what` names the protocol in errors, e.g. 'room message'. (`nested` is object()'s own.) */
  constructor (msg: unknown, what: string, nested?: { readonly type: string, readonly prefix: string }) {
    this.#what = what
    this.#prefix = nested?.prefix ?? ''
    if (nested !== undefined) {
      this.#fields = msg as Record<string, unknown>
      this.type = nested.type
      return
    }
    if (!isRecord(msg)) throw new InvalidMessageError(`${what}: expected an object with a type, got ${shape(msg)}`)
    this.#fields = msg
    if (typeof msg.type !== 'string') throw new InvalidMessageError(`${what}: type: expected a string, got ${shape(msg.type)}`)
    this.type = msg.type
  }

  /** The refusal of a `type` the protocol does not have. */
  unknownType (known: readonly string[]): never {
    throw new InvalidMessageError(`${this.#what}: unknown type ${shape(this.type)}; expected one of ${known.join(', ')}`)
  }

  /** A string of `min` to `max` characters (UTF-16 code units). */
  string (field: string, max: number, min = 1): string {
    const value = this.#fields[field]
    if (typeof value !== 'string' || value.length < min || value.length > max) {
      this.#refuse(field, `a string of ${min === max ? max : `${min} to ${max}`} characters`, value)
    }
    return value as string
  }

  /** Text that is not empty and at most `maxBytes` in UTF-8. */
  text (field: string, maxBytes: number): string {
    const value = this.#fields[field]
    if (typeof value !== 'string' || value.length === 0) this.#refuse(field, 'text that is not empty', value)
    const text = value as string
    // a UTF-16 code unit is at most 3 bytes of UTF-8: count only when it could be over
    if (text.length * 3 > maxBytes) {
      const bytes = Buffer.byteLength(text, 'utf8')
      if (bytes > maxBytes) throw new InvalidMessageError(`${this.#where(field)}: ${bytes} bytes is over the limit of ${maxBytes}`)
    }
    // a lone surrogate has no UTF-8 form: stored, it would come back as U+FFFD, not what was sent
    if (!text.isWellFormed()) throw new InvalidMessageError(`${this.#where(field)}: ${LONE_SURROGATE}`)
    return text
  }

  userName (field: string): string {
    const value = this.#fields[field]
    if (!isUserName(value)) this.#refuse(field, `a user name (${USER_NAME_RULE})`, value)
    return value as string
  }

  roomName (field: string): string {
    const value = this.#fields[field]
    if (!isRoomName(value)) this.#refuse(field, `a room name (${ROOM_NAME_RULE})`, value)
    return value as string
  }

  /** An entity type name as the kernel registers them. */
  entityType (field: string): string {
    const value = this.#fields[field]
    if (typeof value !== 'string' || !constants.ENTITY_TYPE_PATTERN.test(value)) this.#refuse(field, 'an entity type name', value)
    return value as string
  }

  /** An entity key as the kernel takes them. */
  entityKey (field: string): string {
    const value = this.#fields[field]
    if (typeof value !== 'string' || value.length === 0 || value.length > constants.ENTITY_KEY_MAX_LENGTH || constants.ENTITY_KEY_FORBIDDEN.test(value)) {
      this.#refuse(field, `an entity key (1-${constants.ENTITY_KEY_MAX_LENGTH} characters, no '/', no control characters, not starting with '$')`, value)
    }
    return value as string
  }

  /** Undefined, or a client's id of a post. */
  clientId (field: string): string | undefined {
    const value = this.#fields[field]
    if (value !== undefined && !isClientId(value)) this.#refuse(field, `a client id (${CLIENT_ID_RULE})`, value)
    return value as string | undefined
  }

  /** An integer from `min` to `max`. */
  integer (field: string, min: number, max: number): number {
    const value = this.#fields[field]
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) this.#refuse(field, `an integer from ${min} to ${max}`, value)
    return value as number
  }

  /** A string that matches `pattern` (`expected` says what in errors). */
  matching (field: string, pattern: RegExp, expected: string): string {
    const value = this.#fields[field]
    if (typeof value !== 'string' || !pattern.test(value)) this.#refuse(field, expected, value)
    return value as string
  }

  /** A finite number (a timestamp, a duration). */
  number (field: string): number {
    const value = this.#fields[field]
    if (typeof value !== 'number' || !Number.isFinite(value)) this.#refuse(field, 'a finite number', value)
    return value as number
  }

  /** One of `values`. */
  oneOf<T extends string> (field: string, values: readonly T[]): T {
    const value = this.#fields[field]
    if (!(values as readonly unknown[]).includes(value)) this.#refuse(field, `one of ${values.join(', ')}`, value)
    return value as T
  }

  /** The request's reply address (a request without one could never be answered). */
  replyTo (field = 'replyTo'): ReplyTo<unknown> {
    const value = this.#fields[field]
    if (!isReplyTo(value)) this.#refuse(field, 'a reply address { askId, node }', value)
    return value as ReplyTo<unknown>
  }

  /** The address of an actor, on this node or another. */
  address (field: string): ActorAddress {
    const value = this.#fields[field]
    if (!isActorAddress(value)) this.#refuse(field, 'an actor address { node, path }', value)
    return value as ActorAddress
  }

  /** true or false. */
  boolean (field: string): boolean {
    const value = this.#fields[field]
    if (typeof value !== 'boolean') this.#refuse(field, 'true or false', value)
    return value as boolean
  }

  /** An array of at most `max` objects, each read with the same rules (its fields are named
   * `field.0.sub`, `field.1.sub`… in errors). */
  objects (field: string, max: number): MessageCheck[] {
    const value = this.#fields[field]
    if (!Array.isArray(value) || value.length > max) this.#refuse(field, `an array of at most ${max} objects`, value)
    return (value as unknown[]).map((item, i) => {
      if (!isRecord(item)) this.#refuse(`${field}.${i}`, 'an object', item)
      return new MessageCheck(item, this.#what, { type: this.type, prefix: `${this.#prefix}${field}.${i}.` })
    })
  }

  /** A nested object, read with the same rules; its fields are named `field.sub` in errors. */
  object (field: string): MessageCheck {
    const value = this.#fields[field]
    if (!isRecord(value)) this.#refuse(field, 'an object', value)
    return new MessageCheck(value, this.#what, { type: this.type, prefix: `${this.#prefix}${field}.` })
  }

  /** The raw value of a field, for a check of its own (e.g. a settings change). */
  raw (field: string): unknown { return this.#fields[field] }

  #where (field: string): string {
    return `${this.#what} ${clip(this.type, 40)}: ${this.#prefix}${field}`
  }

  /** The refusal of a field that a check of its own found wrong. */
  refuse (field: string, expected: string): never {
    this.#refuse(field, expected, this.#fields[field])
  }

  #refuse (field: string, expected: string, got: unknown): never {
    throw new InvalidMessageError(`${this.#where(field)}: expected ${expected}, got ${shape(got)}`)
  }
}

function isRecord (value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

/** What a value is, short: a clipped string in quotes, a number, or its kind. */
function shape (value: unknown): string {
  if (typeof value === 'string') return clip(JSON.stringify(value), 40)
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Uint8Array) return 'bytes'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
