import { AGENT, ROOM, ROOMS, ROOM_DIRECTORY_KEY } from '../../actors/index.ts'
import type { ActorSystem, AgentEvent, AgentSettings, RoomEvent, RoomInfo, RoomSummary, TransferPage } from '../../actors/index.ts'
import { EXPORT_FORMAT } from '../../protocols/index.ts'
import type { ExportHeader, ExportKind, ExportRecord } from '../../protocols/index.ts'
import { EXPORT_PAGES_IN_FLIGHT, EXPORT_PAGE_RECORDS, TRANSFER_ASK_TIMEOUT_MS } from './constants.ts'
import { agentRecord, roomRecord } from './export-records.ts'
import { readPages } from './page-reader.ts'
import type { PageRead } from './page-reader.ts'

/** Errors that say the cluster runs no agents (by name: the mesh's and the kernel's own). */
const NO_AGENTS: ReadonlySet<string> = new Set(['NoOwnerError', 'UnknownEntityTypeError'])

export interface ExporterOptions {
  readonly system: Pick<ActorSystem, 'entity'>
  /** Names the cluster in every export's source (absent: the source is the room's or agent's own
   * identity alone: its name and the time of its first record). */
  readonly clusterId?: string | undefined
  /** Records asked for a page. @default EXPORT_PAGE_RECORDS */
  readonly pageRecords?: number
  /** Pages asked for ahead. @default EXPORT_PAGES_IN_FLIGHT */
  readonly pagesInFlight?: number
}

/** An export as it is read: its header, known first, then its records, read as they are consumed. */
export interface ExportStream {
  readonly header: ExportHeader
  readonly records: AsyncIterable<ExportRecord>
  /** Records read so far, and how many there are at most (progress). */
  readonly progress: () => { readonly done: number, readonly total: number }
}

/**
 * Reads rooms' and agents' journals page by page (their `export-page` messages, from their owners
 * wherever they are) as export records: a room, a user's agent conversation, or everything of one
 * user (their posts, joins and leaves in every room of the room directory, their agent
 * conversation, their settings). Only what is read is held: an export of any size streams.
 * Who may read what is the caller's to decide (a user reads every room and only their own agent).
 */
export class Exporter {
  readonly #options: ExporterOptions

  constructor (options: ExporterOptions) {
    this.#options = options
  }

  /** A room's whole retained history. */
  async room (name: string): Promise<ExportStream> {
    const room = this.#options.system.entity(ROOM, name)
    const read: PageRead<RoomEvent> = async (after, limit) => await room.ask<TransferPage<RoomEvent>>((replyTo) => ({ type: 'export-page', after, limit, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    const info = await room.ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    const first = await read(0, this.#pageRecords)
    const header = this.#header('room', name, first, `${info.createdAt}`)
    let done = 0
    const records = this.#records(read, first, (page) => page.records.map((r) => roomRecord(r.seq, r.event, page.redacted.has(r.seq))), (n) => { done += n })
    return { header, records, progress: () => ({ done, total: header.to - header.from + 1 }) }
  }

  /** A user's agent conversation (the journal, every event). */
  async agent (user: string): Promise<ExportStream> {
    const read = this.#agentRead(user)
    const first = await read(0, this.#pageRecords)
    const header = this.#header('agent', user, first, `${first.records[0]?.event.ts ?? 0}`)
    let done = 0
    const records = this.#records(read, first, (page) => page.records.map((r) => agentRecord(r.seq, r.event)), (n) => { done += n })
    return { header, records, progress: () => ({ done, total: header.to - header.from + 1 }) }
  }

  /** Everything of one user: their records in every room (each with `room`), their agent
   * conversation (each with `agent`) and their agent's settings. */
  async user (user: string): Promise<ExportStream> {
    const rooms = await this.#options.system.entity(ROOMS, ROOM_DIRECTORY_KEY).ask<RoomSummary[]>((replyTo) => ({ type: 'list', replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    const header: ExportHeader = { format: EXPORT_FORMAT, source: this.#source('user', user, `${Date.now()}`), kind: 'user', name: user, exportedAt: Date.now(), from: 0, to: 0, floor: 1 }
    let done = 0
    const total = rooms.length + 1
    const self = this
    async function * records (): AsyncGenerator<ExportRecord> {
      for (const summary of rooms) {
        const room = await self.room(summary.name)
        for await (const r of room.records) {
          if ('user' in r && r.user === user) yield { ...r, room: summary.name }
        }
        done++
      }
      yield * self.#agentOfUser(user)
      done++
    }
    return { header, records: records(), progress: () => ({ done, total }) }
  }

  /** A user's agent conversation and settings in their export; where the cluster runs no agents
   * (no member holds the ai role, or this node knows no agents) one record says so instead. */
  async * #agentOfUser (user: string): AsyncGenerator<ExportRecord> {
    let agent: ExportStream
    try {
      agent = await this.agent(user)
    } catch (err) {
      if (!NO_AGENTS.has((err as Error).name)) throw err
      yield { seq: 0, kind: 'agent-unavailable', ts: Date.now(), reason: (err as Error).message }
      return
    }
    for await (const r of agent.records) yield { ...r, agent: user }
    const settings = await this.#options.system.entity(AGENT, user).ask<AgentSettings>((replyTo) => ({ type: 'settings', user, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    yield { seq: 0, kind: 'settings', ts: Date.now(), settings }
  }

  get #pageRecords (): number { return this.#options.pageRecords ?? EXPORT_PAGE_RECORDS }

  #agentRead (user: string): PageRead<AgentEvent> {
    const agent = this.#options.system.entity(AGENT, user)
    return async (after, limit) => await agent.ask<TransferPage<AgentEvent>>((replyTo) => ({ type: 'export-page', user, after, limit, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
  }

  #header<E> (kind: ExportKind, name: string, first: TransferPage<E>, identity: string): ExportHeader {
    const to = Math.max(first.head, first.records.at(-1)?.seq ?? 0)
    return { format: EXPORT_FORMAT, source: this.#source(kind, name, identity), kind, name, exportedAt: Date.now(), from: first.floor, to, floor: first.floor }
  }

  /** `<cluster>/<kind>/<name>/<identity>`: the same room (or agent) exported again has the same
   * source, so an import of a later export adds only what is new. */
  #source (kind: ExportKind, name: string, identity: string): string {
    const cluster = this.#options.clusterId
    return `${cluster === undefined ? '' : `${cluster}/`}${kind}/${name}/${identity}`
  }

  async * #records<E> (read: PageRead<E>, first: TransferPage<E>, convert: (page: { records: TransferPage<E>['records'], redacted: ReadonlySet<number> }) => ExportRecord[], count: (n: number) => void): AsyncGenerator<ExportRecord> {
    const to = Math.max(first.head, first.records.at(-1)?.seq ?? 0)
    const firstSlice = { records: first.records, redacted: new Set(first.redacted) }
    count(first.records.length)
    yield * convert(firstSlice)
    const after = first.records.at(-1)?.seq ?? to
    for await (const slice of readPages(read, after, to, this.#pageRecords, this.#options.pagesInFlight ?? EXPORT_PAGES_IN_FLIGHT)) {
      count(slice.records.length)
      yield * convert(slice)
    }
  }
}
