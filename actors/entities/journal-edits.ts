/** An entity's context (EntityContext), whatever its messages, state and events. */
type AnyContext = object

/** The journal's edits as the kernel offers them (EntityContext's rewrite, trim and floor). */
interface JournalEdits {
  readonly floor?: number
  rewrite?: (records: ReadonlyArray<{ seq: number, event: unknown }>) => Promise<void>
  trim?: (before: number) => Promise<void>
}

function edits (ctx: AnyContext): JournalEdits {
  return ctx as JournalEdits
}

/** The first seq the entity's journal still holds (1 until retention trimmed it). */
export function journalFloor (ctx: AnyContext): number {
  return edits(ctx).floor ?? 1
}

/**
 * Replaces the stored records (e.g. redacted posts without their text) on the replicas; resolves true
 * once W of them hold the new records, false when this kernel cannot rewrite a journal (the
 * redaction marks in the state still hide the text from every read).
 */
export async function rewriteRecords<E> (ctx: AnyContext, records: ReadonlyArray<{ seq: number, event: E }>): Promise<boolean> {
  const e = edits(ctx)
  if (records.length === 0) return true
  if (typeof e.rewrite !== 'function') return false
  await e.rewrite.call(ctx, records)
  return true
}

/** Drops every record below `before` on the replicas (a snapshot covers them first); false when
 * this kernel cannot trim a journal. */
export async function trimJournal (ctx: AnyContext, before: number): Promise<boolean> {
  const e = edits(ctx)
  if (typeof e.trim !== 'function') return false
  await e.trim.call(ctx, before)
  return true
}
