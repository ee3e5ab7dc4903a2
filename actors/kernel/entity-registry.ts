import { DEFAULT_ENTITY_INTENSITY, ENTITY_TYPE_PATTERN } from './constants.ts'
import { EntityConfigError, EntityTypeTakenError, UnknownEntityTypeError } from './errors.ts'
import { NODE_ROLES, isNodeRole } from './node-role.ts'
import { checkPathSegment } from './path-segment.ts'
import type { ActorCell } from './actor-cell.ts'
import type { EntityType } from './entity-type.ts'
import type { NodeRole } from './node-role.ts'

/** A registered entity type and the region actor its activations run under
 * (`/entities/<type>`, which supervises each of them on its own). */
export interface RegisteredType {
  readonly def: EntityType<any, any, any, any>
  readonly region: ActorCell<never, undefined>
}

/** The entity types of one node, each checked when it is registered. */
export class EntityRegistry {
  readonly #parent: ActorCell<never, undefined>
  readonly #hasJournal: boolean
  readonly #types = new Map<string, RegisteredType>()

  /** `parent`: the actor the regions run under; `hasJournal`: whether the system has a journal
   * (an entity type needs one). */
  constructor (parent: ActorCell<never, undefined>, hasJournal: boolean) {
    this.#parent = parent
    this.#hasJournal = hasJournal
  }

  register<M, S, E, V> (def: EntityType<M, S, E, V>): void {
    validateType(def)
    if (this.#types.has(def.type)) throw new EntityTypeTakenError(def.type)
    if (!this.#hasJournal) {
      throw new EntityConfigError(`entity type ${def.type} needs a journal: pass one to the ActorSystem`)
    }
    // one poison entity is stopped on its own (scope child), never the others
    const region = this.#parent.spawnChild<never, undefined>(
      { receive: (s) => s, supervision: { scope: 'child', intensity: DEFAULT_ENTITY_INTENSITY } },
      { name: def.type, restart: 'permanent', kind: 'entity-region' })
    this.#types.set(def.type, { def, region })
  }

  /** The registered type, or undefined. */
  find (type: string): RegisteredType | undefined { return this.#types.get(type) }

  /** The registered type; throws UnknownEntityTypeError. */
  get (type: string): RegisteredType {
    const registered = this.#types.get(type)
    if (registered === undefined) throw this.unknown(type)
    return registered
  }

  /** The error for a type that is not registered, naming those that are. */
  unknown (type: string): UnknownEntityTypeError { return new UnknownEntityTypeError(type, [...this.#types.keys()]) }

  types (): Array<{ type: string, role: NodeRole }> {
    return [...this.#types.values()].map(({ def }) => ({ type: def.type, role: def.role }))
  }

  /** The role entities of `type` need, or undefined for a type not registered here. */
  roleOf (type: string): NodeRole | undefined { return this.#types.get(type)?.def.role }

  /** The state `type/key` has after `events` (seq 1 on, in order), by its type's own initialState
   * and applyEvent: what a restore snapshots after rewriting a journal. */
  foldState (type: string, key: string, events: ReadonlyArray<{ readonly seq: number, readonly event: unknown }>): unknown {
    const { def } = this.get(type)
    checkPathSegment('entity key', key)
    let state = def.initialState(key)
    for (const { seq, event } of events) state = def.applyEvent(state, event, seq)
    return state
  }
}

function validateType<M, S, E, V> (def: EntityType<M, S, E, V>): void {
  if (typeof def.type !== 'string' || !ENTITY_TYPE_PATTERN.test(def.type)) {
    throw new EntityConfigError(`entity type name ${JSON.stringify(def.type)} must match ${ENTITY_TYPE_PATTERN}`)
  }
  if (!isNodeRole(def.role)) {
    throw new EntityConfigError(`entity type ${def.type}: role must be one of ${NODE_ROLES.join(', ')}, got ${JSON.stringify(def.role)}`)
  }
  for (const fn of ['initialState', 'applyEvent', 'receive'] as const) {
    if (typeof def[fn] !== 'function') throw new EntityConfigError(`entity type ${def.type}: ${fn} must be a function`)
  }
  if (def.check !== undefined && typeof def.check !== 'function') throw new EntityConfigError(`entity type ${def.type}: check must be a function`)
  if (def.snapshotEvery !== undefined && typeof def.snapshotEvery !== 'function' && (!Number.isInteger(def.snapshotEvery) || def.snapshotEvery < 1)) {
    throw new EntityConfigError(`entity type ${def.type}: snapshotEvery must be a positive integer or a function of the state, got ${String(def.snapshotEvery)}`)
  }
  for (const field of ['idleTimeout', 'mailbox'] as const) {
    const value = def[field]
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new EntityConfigError(`entity type ${def.type}: ${field} must be a positive integer, got ${value}`)
    }
  }
}
