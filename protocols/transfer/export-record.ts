/** Where an imported post (or turn) came from: the export's source, its seq there, its author and
 * its time there; the importing user is its poster of record. `clientId`: the id its poster's
 * client gave it there (kept, never matched as a retry where it is imported). */
export interface ImportedFrom {
  readonly source: string
  readonly seq: number
  readonly user: string
  readonly ts: number
  readonly clientId?: string
}

/** One record of an import batch: a post of a room export, or a turn of an agent export. */
export interface ImportItem {
  /** Its seq in the source (a batch's seqs increase). */
  readonly seq: number
  /** Its author there: a user, an agent (`<user>'s agent`), a bot; for a turn its role. */
  readonly user: string
  readonly text: string
  readonly ts: number
  readonly clientId?: string
}

/** What an export holds: one room, one user's agent conversation, or everything of one user. */
export type ExportKind = 'room' | 'agent' | 'user'

/** An export's first line (NDJSON) or its object's fields before `records` (JSON). */
export interface ExportHeader {
  /** EXPORT_FORMAT */
  readonly format: string
  /** The export's id for imports' watermarks: `<cluster>/<kind>/<name>/<export id>`. */
  readonly source: string
  readonly kind: ExportKind
  /** The room's name, or the user's. */
  readonly name: string
  /** ms since the epoch */
  readonly exportedAt: number
  /** The first and last seq exported (for a user's export, 0 and 0: its records come from many). */
  readonly from: number
  readonly to: number
  /** Where the retained history starts (1 until a retention trimmed it). */
  readonly floor: number
}

/** One record of a room: a post, a join, a leave, or a redaction (`redacts` the seq it took the
 * text of). A redacted post keeps its seq, author and time, and has no text. */
export interface RoomRecord {
  readonly seq: number
  readonly kind: 'message' | 'join' | 'leave' | 'redaction'
  readonly user: string
  readonly ts: number
  readonly text?: string
  readonly clientId?: string
  readonly redacted?: true
  readonly redacts?: number
  readonly importedFrom?: ImportedFrom
  /** In a user's export: the room it is from. */
  readonly room?: string
}

/** One record of an agent conversation: the journal's event as it is (`kind` its type), lossless. */
export interface AgentRecord {
  readonly seq: number
  readonly kind: string
  readonly ts: number
  readonly [field: string]: unknown
  /** In a user's export: the agent's user. */
  readonly agent?: string
}

/** In a user's export: their agent's settings, once. */
export interface SettingsRecord {
  readonly seq: 0
  readonly kind: 'settings'
  readonly ts: number
  readonly settings: unknown
}

export type ExportRecord = RoomRecord | AgentRecord | SettingsRecord

/** What an import did (or, a dry run, would do): the answer of the admin route, of gRPC `Import`
 * (chat.proto ImportReport) and what the CLI prints. */
export interface ImportReport {
  readonly source: string
  readonly kind: 'room' | 'agent'
  readonly name: string
  readonly dryRun: boolean
  /** Records the file holds. */
  readonly records: number
  /** Posts (or turns) added; a dry run: that would be. */
  readonly added: number
  /** Posts (or turns) an earlier import of the same source took already. */
  readonly skipped: number
  /** Records that add nothing: joins, leaves, redactions, redacted posts, an agent's tool rounds. */
  readonly notImportable: number
  /** Source seqs of the first and last post added (absent: none). */
  readonly firstSeq?: number
  readonly lastSeq?: number
  /** The highest source seq the target has taken from this source, after the import. */
  readonly watermark: number
  /** Batches sent (each one journal append). */
  readonly batches: number
}
