import { isDeepStrictEqual } from 'node:util'
import { join } from 'node:path'
import fc from 'fast-check'
import {
  AUDIT, AUDIT_LOG_KEY, ActorSystem, BACKUPS, BACKUP_CATALOG_KEY, ROOMS, ROOM_DIRECTORY_KEY, USERS, USER_DIRECTORY_KEY,
  auditLog, backupCatalog, chatRoom, checkAuditMsg, checkBackupCatalogMsg, checkRoomDirectoryMsg, checkRoomMsg, checkUserDirectoryMsg,
  roomDirectory, userDirectory
} from '../../actors/index.ts'
import type { EntityTypeKey, ReplyTo, RemotingPort } from '../../actors/index.ts'
import { LevelStore, openLocalJournal } from '../../node/index.ts'
import type { ReplicatedJournal } from '../../node/index.ts'
import { describe as describeError, kindOf } from '../../protocols/index.ts'
import { tempDir } from '../helpers/temp-dir.ts'
import { roomDirectoryMessage, roomMessage, userDirectoryMessage } from '../helpers/entity-messages.ts'
import { parameters } from './fuzz-target.ts'
import type { FuzzOptions, FuzzTarget } from './fuzz-target.ts'
import { peerMessage } from './peer-message-fuzz.ts'

const NODE = 'local'

/** One entity type as a peer reaches it: its messages, its check, and the reads that show its state. */
interface Subject {
  readonly type: EntityTypeKey<unknown>
  readonly key: string
  readonly check: (msg: unknown) => void
  readonly messages: fc.Arbitrary<unknown>
  readonly reads: ReadonlyArray<(replyTo: ReplyTo<unknown>) => unknown>
}

const SUBJECTS: readonly Subject[] = [
  {
    type: chatRoom as EntityTypeKey<unknown>, key: 'fuzz', check: checkRoomMsg, messages: roomMessage(),
    reads: [(replyTo) => ({ type: 'info', replyTo }), (replyTo) => ({ type: 'history', after: 0, limit: 1000, replyTo })]
  },
  { type: ROOMS as EntityTypeKey<unknown>, key: ROOM_DIRECTORY_KEY, check: checkRoomDirectoryMsg, messages: roomDirectoryMessage(), reads: [(replyTo) => ({ type: 'list', replyTo })] },
  { type: USERS as EntityTypeKey<unknown>, key: USER_DIRECTORY_KEY, check: checkUserDirectoryMsg, messages: userDirectoryMessage(), reads: [(replyTo) => ({ type: 'list', replyTo })] },
  {
    type: AUDIT as EntityTypeKey<unknown>, key: AUDIT_LOG_KEY, check: checkAuditMsg, messages: peerMessage(),
    reads: [(replyTo) => ({ type: 'head', replyTo }), (replyTo) => ({ type: 'list', after: 0, limit: 100, replyTo })]
  },
  { type: BACKUPS as EntityTypeKey<unknown>, key: BACKUP_CATALOG_KEY, check: checkBackupCatalogMsg, messages: peerMessage(), reads: [(replyTo) => ({ type: 'list', replyTo })] }
]

/** A node's entities on a real LevelDB journal, reached as the mesh reaches them (RemotingPort). */
class EntityNode {
  system!: ActorSystem
  port!: RemotingPort
  journal!: ReplicatedJournal
  #store!: LevelStore
  #dir!: { path: string, remove: () => Promise<void> }

  async open (): Promise<void> {
    this.#dir = await tempDir('plexi-fuzz-')
    this.#store = await LevelStore.open(join(this.#dir.path, 'store'))
    this.journal = await openLocalJournal(this.#store, { self: NODE })
    // as startNode builds it (not strict: a peer's message is plain data already, decoded off the wire)
    this.system = new ActorSystem({ node: NODE, journal: this.journal })
    for (const type of [chatRoom, roomDirectory, userDirectory, auditLog, backupCatalog] as const) this.system.registerEntity(type as never)
    // every entity is this node's; what goes to other nodes (replies, pushes) is kept, not sent
    this.port = this.system.attachRemoting({
      ownerOf: () => NODE,
      toEntity: () => 'ok',
      toActor: () => 'ok',
      reply: () => undefined
    })
  }

  /** What `subject` shows: its journal's head and the answers of its reads. */
  async state (subject: Subject): Promise<unknown> {
    const ref = this.system.entity(subject.type, subject.key)
    const reads = []
    for (const read of subject.reads) reads.push(await ref.ask(read as never, { timeout: 10_000 }))
    return { head: await this.journal.head(`${subject.type.type}/${subject.key}`), reads }
  }

  /** The state once writes in flight have landed: read until two reads in a row agree (an entity
   * answers a read while an earlier event is still being made durable). */
  async settled (subject: Subject): Promise<unknown> {
    let last = await this.state(subject)
    for (let i = 0; i < 50; i++) {
      const now = await this.state(subject)
      if (isDeepStrictEqual(now, last)) return now
      last = now
    }
    throw new Error(`${subject.type.type}/${subject.key} did not settle in 50 reads`)
  }

  async close (): Promise<void> {
    await this.system?.terminate()
    await this.#store?.close()
    await this.#dir?.remove()
  }
}

/**
 * Every entity type's messages as they arrive from a peer (RemotingPort.deliverToEntity, the path
 * of an ENTITY envelope), on a real actor system over LevelDB: a message its check refuses comes
 * back as an error of kind invalid (the transport answers its asker with it) and changes nothing (the journal's head and every read of the entity are the same before and after); what
 * the checks pass never fails or restarts an entity.
 */
export const entityFuzz: FuzzTarget = {
  name: 'entities',
  about: 'entity messages from a peer on a real system and journal → refused ones are invalid and change nothing; no crash, no restart',
  defaultRuns: 500,
  async run (options: FuzzOptions) {
    const node = new EntityNode()
    await node.open()
    try {
      const input = fc.nat({ max: SUBJECTS.length - 1 }).chain((i) => fc.tuple(fc.constant(i), fc.array((SUBJECTS[i] as Subject).messages, { maxLength: 10 })))
      return await fc.check(fc.asyncProperty(input, async ([i, messages]) => {
        const subject = SUBJECTS[i] as Subject
        const refused: unknown[] = []
        for (const msg of messages) {
          try { subject.check(msg) } catch { refused.push(msg); continue }
          const result = node.port.deliverToEntity(subject.type.type, subject.key, msg)
          // its check passes, but the system may still refuse it (not plain data: a bigint of msgpack's)
          if (result !== 'ok' && result !== 'full' && kindOf(result) !== 'invalid') throw new Error(`a message its check passes failed as ${describeError(result)}`)
        }
        const before = await node.settled(subject)
        for (const msg of refused) {
          const result = node.port.deliverToEntity(subject.type.type, subject.key, msg)
          if (!(result instanceof Error) || kindOf(result) !== 'invalid') throw new Error(`a refused message was delivered, or refused as ${String(result)}`)
        }
        const after = await node.settled(subject)
        if (!isDeepStrictEqual(before, after)) throw new Error(`refused messages changed ${subject.type.type}/${subject.key}: ${JSON.stringify(before).slice(0, 300)} → ${JSON.stringify(after).slice(0, 300)}`)
        const { failures, restarts } = node.system.stats
        if (failures !== 0 || restarts !== 0) throw new Error(`entities failed ${failures} times and restarted ${restarts} times`)
      }), parameters(options))
    } finally {
      await node.close()
    }
  }
}
