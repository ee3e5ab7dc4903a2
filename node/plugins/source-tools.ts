import { MAX_TOOLS_PER_SOURCE, TOOL_NAME_PATTERN, qualifiedToolName } from '../../protocols/index.ts'
import type { ToolSource, ToolSpec } from '../../protocols/index.ts'
import { MAX_TOOL_DESCRIPTION, MAX_TOOL_SCHEMA_BYTES } from './constants.ts'

/** A tool left out of a source's list, and why (logged once by the caller). */
export interface LeftOutTool {
  readonly tool: string
  readonly why: string
}

const OWN_NAME = new RegExp(TOOL_NAME_PATTERN)

/**
 * A source's `tools/list` answer as the tools Plexi offers, each checked like any input: a name
 * that fits an OpenAI function name once qualified (`<source>__<tool>`), unique; an object input
 * schema of at most MAX_TOOL_SCHEMA_BYTES; a description clipped to MAX_TOOL_DESCRIPTION. Tools
 * that fail are left out (and named in `leftOut`), as are those past MAX_TOOLS_PER_SOURCE.
 */
export function sourceTools (source: ToolSource, listed: readonly unknown[]): { tools: ToolSpec[], leftOut: LeftOutTool[] } {
  const tools: ToolSpec[] = []
  const leftOut: LeftOutTool[] = []
  const seen = new Set<string>()
  for (const raw of listed) {
    const t = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>
    const tool = typeof t.name === 'string' ? t.name.slice(0, 200) : '(no name)'
    const why = problem(source, t, seen)
    if (why !== undefined) {
      leftOut.push({ tool, why })
      continue
    }
    if (tools.length >= MAX_TOOLS_PER_SOURCE) {
      leftOut.push({ tool, why: `${source.name} offers more than ${MAX_TOOLS_PER_SOURCE} tools` })
      continue
    }
    seen.add(tool)
    const description = typeof t.description === 'string' ? t.description : (typeof t.title === 'string' ? t.title : '')
    tools.push({
      name: qualifiedToolName(source.name, tool) as string,
      source: { kind: source.kind, name: source.name },
      tool,
      description: description.length > MAX_TOOL_DESCRIPTION ? `${description.slice(0, MAX_TOOL_DESCRIPTION - 1)}…` : description,
      inputSchema: t.inputSchema as Record<string, unknown>
    })
  }
  return { tools, leftOut }
}

function problem (source: ToolSource, t: Record<string, unknown>, seen: ReadonlySet<string>): string | undefined {
  if (typeof t.name !== 'string' || !OWN_NAME.test(t.name)) return `its name is not ${TOOL_NAME_PATTERN}`
  if (qualifiedToolName(source.name, t.name) === undefined) return `${source.name}__${t.name} is longer than an OpenAI function name may be (64)`
  if (seen.has(t.name)) return 'it is listed twice'
  if (t.description !== undefined && typeof t.description !== 'string') return 'its description is not a string'
  const schema = t.inputSchema
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema) || (schema as { type?: unknown }).type !== 'object') return 'its inputSchema is not an object schema ({ "type": "object", ... })'
  let bytes: number
  try {
    bytes = Buffer.byteLength(JSON.stringify(schema))
  } catch {
    return 'its inputSchema is not JSON'
  }
  if (bytes > MAX_TOOL_SCHEMA_BYTES) return `its inputSchema is ${bytes} bytes, over ${MAX_TOOL_SCHEMA_BYTES}`
  return undefined
}
