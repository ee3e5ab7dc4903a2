import { AGENT, EXPORT_PAGE_BYTES, ROOM, ROOMS, ROOM_DIRECTORY_KEY, agentRecord, checkExportHead, hasSeq, roomRecord, roomRecordJson } from '../../actors/index.ts'
import type { ActorSystem, AgentEvent, AgentSettings, ExportHead, RoomEvent, RoomInfo, RoomSummary, TransferPage } from '../../actors/index.ts'
import { EXPORT_FORMAT } from '../../protocols/index.ts'
import type { ExportHeader, ExportKind, ExportRecord } from '../../protocols/index.ts'
import { EXPORT_PAGES_IN_FLIGHT, EXPORT_PAGE_RECORDS, LOCAL_PAGE_RECORDS, TRANSFER_ASK_TIMEOUT_MS } from './constants.ts'
import { FramedWriter } from './framed-writer.ts'
import type { FramedLines, PackedRecordLike } from './framed-writer.ts'
import { NoSuchRoomError } from './errors.ts'
import { readPages } from './page-reader.ts'
import type { ItemPage, PageRead } from './page-reader.ts'

/** Errors that say the cluster runs no agents (by name: the mesh's and the kernel's own). */
const NO_AGENTS: ReadonlySet<string> = new Set(['NoOwnerError', 'UnknownEntityTypeError'])

/** This node's own replica of the journals, where an export reads what this node holds of a room
 * (the room's `export-head` says up to which seq) instead of asking the room's owner for pages:
 * no hop, and the owner's node spends nothing on it. */
export interface LocalRecords {
  /** This node's peer id (what the room is asked about). */
  readonly node: string
  /** The records this node's replica holds of entity `entity` (`type/key`) from seq `from` on, in
   * order, at most `limit`; fewer (or none) where it holds no more from there. */
  read (entity: string, from: number, limit: number): Promise<ReadonlyArray<{ readonly seq: number, readonly event: unknown }>>
  /** The same as the store keeps them, not decoded (a room's JSON export is made from their bytes:
   * packed-json.ts); undefined where the store keeps none that way. Absent: `read`. */
  readPacked? (entity: string, from: number, limit: number): Promise<readonly PackedRecordLike[] | undefined>
  /** A packed record's event, decoded (where its JSON cannot be made from its bytes). */
  packedEvent? (entity: string, record: PackedRecordLike): unknown
}

/** A room's export line: one record's JSON, or many records' bytes. */
export type ExportLine = string | FramedLines

/** A room's page after `after` (at most `limit` records) from this node's replica, each record made
 * into an item by `item`; undefined where the replica does not serve it (the owner is asked). */
type LocalPageRead = <T>(after: number, limit: number, item: (seq: number, event: RoomEvent, redacted: boolean) => T) => Promise<ItemPage<T> | undefined>

/** An item of a room's JSON export: one record's line, or many records' bytes (`seq` the last's). */
type LineItem = { readonly seq: number, readonly line: string } | { readonly seq: number, readonly lines: FramedLines }

/** A room's page of JSON lines from this node's replica; undefined where it does not serve it. */
type LinePageRead = (after: number, limit: number) => Promise<ItemPage<LineItem> | undefined>

export interface ExporterOptions {
  readonly system: Pick<ActorSystem, 'entity'>
  /** This node's replica, read where it holds a room's records (absent: every page from the
   * room's owner). */
  readonly local?: LocalRecords | undefined
  /** Names the cluster in every export's source (absent: the source is the room's or agent's own
   * identity alone: its name and the time of its first record). */
  readonly clusterId?: string | undefined
  /** Records asked for a page. @default EXPORT_PAGE_RECORDS */
  readonly pageRecords?: number
  /** Pages asked for ahead. @default EXPORT_PAGES_IN_FLIGHT */
  readonly pagesInFlight?: number
}

/** An export as it is read: its header, known first, then its records, read as they are consumed:
 * as export records, or (a room's, asked `json`) as their JSON lines, many a batch. */
export type ExportStream = {
  readonly header: ExportHeader
  /** Records read so far, and how many there are at most (progress). */
  readonly progress: () => { readonly done: number, readonly total: number }
} & ({ readonly records: AsyncIterable<ExportRecord> } | { readonly lines: AsyncIterable<readonly ExportLine[]> })

/** An export stream's records as objects (a stream of JSON lines has none: it throws). */
export function recordsOf (stream: ExportStream): AsyncIterable<ExportRecord> {
  if (!('records' in stream)) throw new TypeError('this export was read as JSON lines; read it with json: false for its records')
  return stream.records
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

  /** A room's whole retained history. `json`: its records as the room makes their JSON (faster:
   * for the json and ndjson formats), those this node's store holds as bytes framed for `framing`
   * (the format they are written in: `ndjson` unless said). */
  async room (name: string, options: { readonly json?: boolean, readonly framing?: 'json' | 'ndjson' } = {}): Promise<ExportStream> {
    const room = this.#options.system.entity(ROOM, name)
    const ask = async (after: number, limit: number, json: boolean): Promise<TransferPage<RoomEvent>> =>
      await room.ask<TransferPage<RoomEvent>>((replyTo) => ({ type: 'export-page', after, limit, ...(json && { json }), replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    const info = await room.ask<RoomInfo>((replyTo) => ({ type: 'info', replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    if (info.lastSeq === 0) throw new NoSuchRoomError(`no room named ${name}: a room exists once someone posted in it or joined it`)
    const identity = `${info.createdAt}`
    const at = await this.#exportHead(name)
    const local = at === undefined ? undefined : this.#localRoom(name, at)
    if (options.json === true) {
      const packed = at === undefined ? undefined : this.#packedRoom(name, at, options.framing ?? 'ndjson')
      const read: PageRead<LineItem> = async (after, limit) => {
        const held = (await packed?.(after, limit)) ?? await local?.(after, limit, (seq, event, redacted) => ({ seq, line: roomRecordJson(seq, event, redacted) }))
        if (held !== undefined) return held
        const page = await ask(after, limit, true)
        const first = page.first ?? 0
        // a record too large to go as JSON comes as itself
        const items: LineItem[] = page.lines?.map((line, i) => ({ seq: first + i, line })) ??
          page.records.map((r) => ({ seq: r.seq, line: roomRecordJson(r.seq, r.event, page.redacted.includes(r.seq)) }))
        return { head: page.head, floor: page.floor, items }
      }
      const progress = { done: 0 }
      const first = await read(0, this.#pageRecords)
      const header = this.#header('room', name, first, identity)
      const lines = mapped(this.#items(read, first, header.to), (items) => items.map((i) => {
        if ('line' in i) {
          progress.done++
          return i.line
        }
        progress.done += i.lines.count
        return i.lines
      }))
      return { header, lines, progress: () => ({ done: progress.done, total: header.to - header.from + 1 }) }
    }
    const read: PageRead<ExportRecord> = async (after, limit) => {
      const held = await local?.(after, limit, roomRecord)
      if (held !== undefined) return held
      const page = await ask(after, limit, false)
      const redacted = new Set(page.redacted)
      return { head: page.head, floor: page.floor, items: page.records.map((r) => roomRecord(r.seq, r.event, redacted.has(r.seq))) }
    }
    return await this.#objects('room', name, read, () => identity)
  }

  /** A user's agent conversation (the journal, every event). */
  async agent (user: string): Promise<ExportStream> {
    const agent = this.#options.system.entity(AGENT, user)
    const read: PageRead<ExportRecord> = async (after, limit) => {
      const page = await agent.ask<TransferPage<AgentEvent>>((replyTo) => ({ type: 'export-page', user, after, limit, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
      return { head: page.head, floor: page.floor, items: page.records.map((r) => agentRecord(r.seq, r.event)) }
    }
    return await this.#objects('agent', user, read, (first) => `${first?.ts ?? 0}`)
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
        const room = await self.room(summary.name).catch((err: unknown) => {
          // listed, but nothing in it (its first write failed after it was registered)
          if ((err as Error).name === 'NoSuchRoomError') return undefined
          throw err
        })
        if (room === undefined) continue
        for await (const r of recordsOf(room)) {
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
    for await (const r of recordsOf(agent)) yield { ...r, agent: user }
    const settings = await this.#options.system.entity(AGENT, user).ask<AgentSettings>((replyTo) => ({ type: 'settings', user, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
    yield { seq: 0, kind: 'settings', ts: Date.now(), settings }
  }

  /** Where this node may read a room from its own replica (the room's `export-head`): undefined
   * where it holds none (no replica here, or a room that does not answer `export-head`, an older
   * node's: every page from the owner). */
  async #exportHead (name: string): Promise<ExportHead | undefined> {
    const local = this.#options.local
    if (local === undefined) return undefined
    // (an answer that is not one, from a peer, counts as none)
    const at = checkExportHead(await this.#options.system.entity(ROOM, name).ask<unknown>((replyTo) => ({ type: 'export-head', reader: local.node, replyTo }), { timeout: TRANSFER_ASK_TIMEOUT_MS })
      .catch(() => undefined))
    return at === undefined || at.held < at.floor ? undefined : at
  }

  /**
   * A room's pages as this node's replica holds them: a page reader that serves a page from the
   * replica when it starts below what the replica holds (`at`), undefined otherwise (the caller asks
   * the owner). A page the replica cannot serve whole from its start (a trim since, the replica moved
   * away) comes from the owner too.
   */
  #localRoom (name: string, at: ExportHead): LocalPageRead {
    const local = this.#options.local as LocalRecords
    const entity = `${ROOM.type}/${name}`
    return async (after, limit, item) => {
      const from = Math.max(after + 1, at.floor)
      if (from > at.held) return undefined
      const records = await local.read(entity, from, Math.min(limit, LOCAL_PAGE_RECORDS, at.held - from + 1)).catch(() => [])
      const items = []
      let bytes = 0
      for (const r of records) {
        if (r.seq !== from + items.length) break
        const event = r.event as RoomEvent
        // a page's text within what a page from the owner holds: pages ahead stay a few MiB
        if (event.type === 'message-posted' && typeof event.text === 'string') bytes += event.text.length
        if (items.length > 0 && bytes > EXPORT_PAGE_BYTES) break
        items.push(item(r.seq, event, hasSeq(at.redacted, r.seq)))
      }
      return items.length === 0 ? undefined : { head: at.head, floor: at.floor, items }
    }
  }

  /**
   * The same pages as one item each: the records' JSON made straight from the bytes the store keeps
   * (packed-json.ts; a record it does not make is decoded and made as the room makes it), framed for
   * `framing`, in Buffers of PACKED_CHUNK_BYTES. Undefined where the store keeps none that way.
   */
  #packedRoom (name: string, at: ExportHead, framing: 'json' | 'ndjson'): LinePageRead | undefined {
    const local = this.#options.local as LocalRecords
    const readPacked = local.readPacked?.bind(local)
    if (readPacked === undefined) return undefined
    const entity = `${ROOM.type}/${name}`
    return async (after, limit) => {
      const from = Math.max(after + 1, at.floor)
      if (from > at.held) return undefined
      const records = await readPacked(entity, from, Math.min(limit, LOCAL_PAGE_RECORDS, at.held - from + 1)).catch(() => undefined)
      if (records === undefined) return undefined
      const out = new FramedWriter(framing)
      for (const r of records) {
        if (r.seq !== from + out.count) break
        // a page within what a page from the owner holds: pages ahead stay a few MiB
        if (out.count > 0 && out.bytes > EXPORT_PAGE_BYTES) break
        const redacted = hasSeq(at.redacted, r.seq)
        if (out.packed(r, redacted)) continue
        let event: RoomEvent
        try {
          event = local.packedEvent?.(entity, r) as RoomEvent
        } catch {
          // (a damaged record: the owner's page says what there is)
          break
        }
        out.line(roomRecordJson(r.seq, event, redacted))
      }
      return out.count === 0 ? undefined : { head: at.head, floor: at.floor, items: [{ seq: from + out.count - 1, lines: out.finish() }] }
    }
  }

  get #pageRecords (): number { return this.#options.pageRecords ?? EXPORT_PAGE_RECORDS }

  /** An export of records as objects, from its first page on. */
  async #objects (kind: ExportKind, name: string, read: PageRead<ExportRecord>, identity: (first: ExportRecord | undefined) => string): Promise<ExportStream> {
    const first = await read(0, this.#pageRecords)
    const header = this.#header(kind, name, first, identity(first.items[0]))
    const progress = { done: 0 }
    const records = flattened(this.#items(read, first, header.to), (items) => { progress.done += items.length })
    return { header, records, progress: () => ({ done: progress.done, total: header.to - header.from + 1 }) }
  }

  #header<T> (kind: ExportKind, name: string, first: ItemPage<T>, identity: string): ExportHeader {
    return { format: EXPORT_FORMAT, source: this.#source(kind, name, identity), kind, name, exportedAt: Date.now(), from: first.floor, to: lastOf(first), floor: first.floor }
  }

  /** Every item from the first page on, the pages after it read ahead. */
  async * #items<T extends { readonly seq: number }> (read: PageRead<T>, first: ItemPage<T>, to: number): AsyncGenerator<readonly T[]> {
    if (first.items.length > 0) yield first.items
    const after = first.items.at(-1)?.seq ?? to
    yield * readPages(read, after, to, this.#pageRecords, this.#options.pagesInFlight ?? EXPORT_PAGES_IN_FLIGHT)
  }

  /** `<cluster>/<kind>/<name>/<identity>`: the same room (or agent) exported again has the same
   * source, so an import of a later export adds only what is new. */
  #source (kind: ExportKind, name: string, identity: string): string {
    const cluster = this.#options.clusterId
    return `${cluster === undefined ? '' : `${cluster}/`}${kind}/${name}/${identity}`
  }
}

/** The last seq a first page says there is: the entity's head, or its last item's if later. */
function lastOf<T> (first: ItemPage<T>): number {
  const last = (first.items.at(-1) as { seq?: number } | undefined)?.seq ?? 0
  return Math.max(first.head, last)
}

async function * flattened<T> (batches: AsyncIterable<readonly T[]>, seen: (items: readonly T[]) => void): AsyncGenerator<T> {
  for await (const items of batches) {
    seen(items)
    yield * items
  }
}

async function * mapped<T, U> (batches: AsyncIterable<readonly T[]>, map: (items: readonly T[]) => U): AsyncGenerator<U> {
  for await (const items of batches) yield map(items)
}
