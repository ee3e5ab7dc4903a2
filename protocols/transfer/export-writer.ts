import type { EXPORT_FORMATS } from './constants.ts'
import type { ExportHeader, ExportRecord } from './export-record.ts'

export type ExportFormat = typeof EXPORT_FORMATS[number]

/**
 * Writes an export as text, piece by piece, so that an export of any size streams: the header, then
 * each record, then the end. Every format puts one record on a line:
 * - `json`: one object, the header's fields then `records`, one record a line: valid JSON that
 *   ExportReader also reads line by line, never whole;
 * - `ndjson`: the header on the first line, then one record a line;
 * - `md`: Markdown to read (not to import): a title, then each post as its author, time and text.
 */
export class ExportWriter {
  readonly format: ExportFormat
  #records = 0

  constructor (format: ExportFormat) {
    this.format = format
  }

  /** Records written so far. */
  get records (): number { return this.#records }

  /** The MIME type of what it writes. */
  get contentType (): string {
    return this.format === 'json' ? 'application/json' : this.format === 'ndjson' ? 'application/x-ndjson' : 'text/markdown; charset=utf-8'
  }

  header (h: ExportHeader): string {
    switch (this.format) {
      case 'json': return `${JSON.stringify(h).slice(0, -1)},"records":[\n`
      case 'ndjson': return `${JSON.stringify(h)}\n`
      case 'md': return markdownHeader(h)
    }
  }

  record (r: ExportRecord): string {
    const first = this.#records === 0
    this.#records++
    switch (this.format) {
      case 'json': return `${first ? '' : ',\n'}${JSON.stringify(r)}`
      case 'ndjson': return `${JSON.stringify(r)}\n`
      case 'md': return markdownRecord(r)
    }
  }

  /** A record already made JSON (`JSON.stringify` of an ExportRecord), in the json and ndjson
   * formats (Markdown needs the record itself: RangeError). */
  line (json: string): string {
    const first = this.#records === 0
    this.#records++
    switch (this.format) {
      case 'json': return `${first ? '' : ',\n'}${json}`
      case 'ndjson': return `${json}\n`
      case 'md': throw new RangeError('a Markdown export is written from records, not from their JSON')
    }
  }

  /** Counts `n` records written as bytes already framed for this format (an exporter's records made
   * straight from the store, each `,\n` before it in `json`, `\n` after it in `ndjson`); true when
   * they are the first: a `json` export's first record then goes without the `,\n` before it. */
  framed (n: number): boolean {
    if (this.format === 'md') throw new RangeError('a Markdown export is written from records, not from their JSON')
    const first = this.#records === 0
    this.#records += n
    return first
  }

  end (): string {
    switch (this.format) {
      case 'json': return `${this.#records === 0 ? '' : '\n'}]}\n`
      case 'ndjson': return ''
      case 'md': return this.#records === 0 ? '_Nothing to export._\n' : ''
    }
  }
}

function markdownHeader (h: ExportHeader): string {
  const what = h.kind === 'room' ? `Room ${h.name}` : h.kind === 'agent' ? `${h.name}'s agent` : `Everything of ${h.name}`
  const range = h.kind === 'user' ? '' : `, seqs ${h.from} to ${h.to}${h.floor > 1 ? ` (history before ${h.floor} is no longer kept)` : ''}`
  return `# ${what}\n\nExported ${iso(h.exportedAt)}${range}. Source \`${h.source}\`.\n\n`
}

function markdownRecord (r: ExportRecord): string {
  const where = 'room' in r && typeof r.room === 'string' ? ` in ${r.room}` : ''
  const at = `${iso(r.ts)}${where} · #${r.seq}`
  switch (r.kind) {
    case 'message': {
      const from = typeof r.importedFrom === 'object' && r.importedFrom !== null ? ` (imported: ${String((r.importedFrom as { user: unknown }).user)}, ${iso(Number((r.importedFrom as { ts: unknown }).ts))})` : ''
      return r.redacted === true ? `**${String(r.user)}** · ${at}\n\n_(redacted)_\n\n` : `**${String(r.user)}**${from} · ${at}\n\n${quoteText(String(r.text))}\n\n`
    }
    case 'join': return `_${String(r.user)} joined · ${at}_\n\n`
    case 'leave': return `_${String(r.user)} left · ${at}_\n\n`
    case 'redaction': return `_${String(r.user)} redacted #${String(r.redacts)} · ${at}_\n\n`
    case 'user-asked': return `**You** · ${at}\n\n${quoteText(String(r.text))}\n\n`
    case 'agent-answered': return `**Agent** (${String(r.model)}) · ${at}\n\n${quoteText(String(r.text))}\n\n`
    case 'settings': return `## Settings\n\n\`\`\`json\n${JSON.stringify(r.settings, null, 2)}\n\`\`\`\n\n`
    default: return `_${r.kind} · ${at}_\n\n`
  }
}

/** A text as Markdown shows it: each line as written (a line break kept), nothing interpreted as a
 * heading or a fence at its start. */
function quoteText (text: string): string {
  return text.split('\n').map((line) => /^(#|```|---|===)/.test(line) ? `\\${line}` : line).join('  \n')
}

function iso (ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) : '?'
}
