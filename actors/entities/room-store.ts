import type { RoomEvent } from './chat-room-protocol.ts'
import type { RoomContext } from './room-volatile.ts'

/** The journal's edits as the kernel offers them (EntityContext's rewrite, trim and floor). */
interface JournalEdits {
  readonly floor?: number
  rewrite?: (records: ReadonlyArray<{ seq: number, event: RoomEvent }>) => Promise<void>
  trim?: (before: number) => Promise<void>
}

function edits (ctx: RoomContext): JournalEdits {
  return ctx as unknown as JournalEdits
}

/** The first seq the room's journal still holds (1 until retention trimmed it). */
export function journalFloor (ctx: RoomContext): number {
  return edits(ctx).floor ?? 1
}

/**
 * Replaces the stored records (redacted posts without their text) on the replicas; resolves true
 * once W of them hold the new records, false when this kernel cannot rewrite a journal (the
 * redaction marks in the state still hide the text from every read).
 */
export async function rewriteRecords (ctx: RoomContext, records: ReadonlyArray<{ seq: number, event: RoomEvent }>): Promise<boolean> {
  const e = edits(ctx)
  if (records.length === 0) return true
  if (typeof e.rewrite !== 'function') return false
  await e.rewrite.call(ctx, records)
  return true
}

/** Drops every record below `before` on the replicas (a snapshot covers them first); false when
 * this kernel cannot trim a journal. */
export async function trimJournal (ctx: RoomContext, before: number): Promise<boolean> {
  const e = edits(ctx)
  if (typeof e.trim !== 'function') return false
  await e.trim.call(ctx, before)
  return true
}
