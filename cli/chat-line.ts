import type { ChatMessage } from '../actors/index.ts'

/** A message's kind as scripts get it: proto enums arrive as names (MESSAGE, JOIN, LEAVE, REDACTION), the
 * kernel's kinds are lowercase. */
export function messageKind (m: ChatMessage): string {
  return String(m.kind).toLowerCase()
}

/** A message as one line: `#seq time user: text`, or `* user joined|left|redacted #seq`; `withDate`: the UTC
 * date and time (history), else the local time alone (a live chat). */
export function chatLine (m: ChatMessage, withDate: boolean): string {
  const iso = new Date(m.ts).toISOString()
  const when = withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : new Date(m.ts).toTimeString().slice(0, 8)
  switch (messageKind(m)) {
    case 'join': return `#${m.seq} ${when} * ${m.user} joined`
    case 'leave': return `#${m.seq} ${when} * ${m.user} left`
    case 'redaction': return `#${m.seq} ${when} * ${m.user} redacted #${m.redacts ?? '?'}`
    default: return m.redacted === true ? `#${m.seq} ${when} ${m.user}${importedNote(m)}: (redacted)` : `#${m.seq} ${when} ${m.user}${importedNote(m)}: ${m.text}`
  }
}

/** ` (imported: <author>, <time there>)` for an imported post; empty for any other. */
function importedNote (m: ChatMessage): string {
  const from = m.importedFrom
  if (from === undefined || from === null) return ''
  const iso = new Date(Number(from.ts)).toISOString()
  return ` (imported: ${from.user}, ${iso.slice(0, 10)} ${iso.slice(11, 19)})`
}
