import { MAX_AGENT_TURNS } from '../../protocols/index.ts'
import type { AgentContext } from './agent-answer.ts'
import { EXPORT_PAGE_BYTES, MAX_EXPORT_PAGE_RECORDS, MAX_IMPORT_SOURCES } from './constants.ts'
import { ImportSourcesFullError } from './errors.ts'
import type { AgentEvent, AgentMsg, AgentState, AgentTurn } from './user-agent-protocol.ts'
import { planImport, withWatermark } from './transfer-protocol.ts'
import type { TransferPage } from './transfer-protocol.ts'

type ExportPageMsg = Extract<AgentMsg, { type: 'export-page' }>
type ImportMsg = Extract<AgentMsg, { type: 'import' }>
type TurnsImported = Extract<AgentEvent, { type: 'turns-imported' }>

/** A page of the agent's journal for an export: records as stored from `after + 1` (or the floor),
 * at most `limit` and EXPORT_PAGE_BYTES of text (at least one). */
export function agentExportPage (ctx: AgentContext, msg: ExportPageMsg): void {
  const floor = ctx.floor
  const head = ctx.durableSeq
  // not awaited: the agent goes on with its mailbox while the journal is read
  ctx.events(Math.max(msg.after + 1, floor), Math.min(msg.limit, MAX_EXPORT_PAGE_RECORDS)).then((read) => {
    let bytes = 0
    let n = 0
    for (const r of read) {
      bytes += textBytes(r.event)
      if (n > 0 && bytes > EXPORT_PAGE_BYTES) break
      n++
    }
    const page: TransferPage<AgentEvent> = { records: read.slice(0, n), head: Math.max(head, read[n - 1]?.seq ?? 0), floor, redacted: [] }
    ctx.reply(msg.replyTo, page)
  }, (err: unknown) => { ctx.fail(msg.replyTo, err) })
}

/** An import batch: the turns past the source's watermark, appended as one `turns-imported` event
 * (they join the conversation the model sees, its last MAX_AGENT_TURNS). A dry run writes nothing. */
export async function agentImport (ctx: AgentContext, msg: ImportMsg): Promise<void> {
  const { fresh, full, outcome } = planImport(ctx.state.imported, msg.source, msg.turns)
  if (fresh.length === 0 || msg.dryRun === true) {
    ctx.reply(msg.replyTo, outcome(ctx.seq))
    return
  }
  if (full) {
    ctx.fail(msg.replyTo, new ImportSourcesFullError(`${ctx.key}'s agent keeps the watermarks of ${MAX_IMPORT_SOURCES} import sources, the most it may`))
    return
  }
  const ts = Date.now()
  const turns = fresh.map((t): AgentTurn => ({
    requestId: `imported/${t.seq}`,
    role: t.user === 'assistant' ? 'assistant' : 'user',
    content: t.text,
    ts,
    importedFrom: { source: msg.source, seq: t.seq, user: t.user, ts: t.ts }
  }))
  await ctx.persist({ type: 'turns-imported', source: msg.source, turns, ts })
  ctx.reply(msg.replyTo, outcome(ctx.seq))
}

/** The agent's state after a `turns-imported` event. */
export function applyTurnsImported (state: AgentState, event: TurnsImported): AgentState {
  const history = [...state.history, ...event.turns]
  const last = event.turns.at(-1)?.importedFrom?.seq ?? 0
  return {
    ...state,
    history: history.length > MAX_AGENT_TURNS ? history.slice(-MAX_AGENT_TURNS) : history,
    imported: withWatermark(state.imported, event.source, last)
  }
}

function textBytes (event: AgentEvent): number {
  switch (event.type) {
    case 'user-asked':
    case 'agent-answered':
    case 'tools-called':
      return Buffer.byteLength(event.text, 'utf8')
    case 'tools-answered':
      return event.results.reduce((n, r) => n + Buffer.byteLength(r.text, 'utf8'), 0)
    case 'turns-imported':
      return event.turns.reduce((n, t) => n + Buffer.byteLength(t.content, 'utf8'), 0)
    default:
      return 0
  }
}

