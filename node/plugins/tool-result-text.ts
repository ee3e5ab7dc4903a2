import { MAX_TOOL_RESULT_BYTES } from '../../protocols/index.ts'
import type { ToolResult } from '../../protocols/index.ts'

/**
 * An MCP `tools/call` answer as a ToolResult: its text content joined (by blank lines); other
 * content described in words (`[image image/png, 1234 bytes]`), since the conversation holds text;
 * the structured content as JSON when there is no content; cut to MAX_TOOL_RESULT_BYTES, saying
 * so. `isError` is the tool's own. Anything else it holds is ignored; a value that is not a result
 * at all is an error result that says so.
 */
export function toolResultOf (callId: string, source: string, result: unknown): ToolResult {
  if (typeof result !== 'object' || result === null || Array.isArray(result)) {
    return { callId, isError: true, text: `${source} answered something that is not a tool result` }
  }
  const r = result as Record<string, unknown>
  const parts = Array.isArray(r.content) ? r.content.map(describe) : []
  let text = parts.join('\n\n')
  if (parts.length === 0 && r.structuredContent !== undefined) {
    try {
      text = JSON.stringify(r.structuredContent) ?? ''
    } catch {
      text = ''
    }
  }
  return { callId, isError: r.isError === true, text: clipText(text, MAX_TOOL_RESULT_BYTES) }
}

/** `text` cut to at most `maxBytes` of UTF-8 (on a character boundary), with a note of what was
 * cut; as it is when it fits. */
export function clipText (text: string, maxBytes: number): string {
  const bytes = Buffer.byteLength(text)
  if (bytes <= maxBytes) return text
  const note = (n: number): string => `\n[… ${n} more bytes cut]`
  const buf = Buffer.from(text, 'utf8')
  let end = Math.max(0, maxBytes - Buffer.byteLength(note(bytes)))
  // back to the start of a character
  while (end > 0 && ((buf[end] as number) & 0xc0) === 0x80) end--
  return buf.subarray(0, end).toString('utf8') + note(bytes - end)
}

function describe (item: unknown): string {
  if (typeof item !== 'object' || item === null) return '[content the tool sent that is not an MCP content item]'
  const c = item as Record<string, unknown>
  switch (c.type) {
    case 'text':
      return typeof c.text === 'string' ? c.text : ''
    case 'image':
    case 'audio':
      return `[${c.type} ${typeof c.mimeType === 'string' ? c.mimeType.slice(0, 100) : ''}, ${typeof c.data === 'string' ? Math.floor(c.data.length * 3 / 4) : 0} bytes]`
    case 'resource': {
      const res = (typeof c.resource === 'object' && c.resource !== null ? c.resource : {}) as Record<string, unknown>
      if (typeof res.text === 'string') return res.text
      return `[resource ${typeof res.uri === 'string' ? res.uri.slice(0, 500) : ''}]`
    }
    case 'resource_link':
      return `[link ${typeof c.uri === 'string' ? c.uri.slice(0, 500) : ''}${typeof c.name === 'string' ? ` (${c.name.slice(0, 200)})` : ''}]`
    default:
      return `[content of type ${typeof c.type === 'string' ? c.type.slice(0, 50) : '?'}]`
  }
}
