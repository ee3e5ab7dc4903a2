import type { ToolChoice } from '../../protocols/index.ts'
import type { ToolDefinition } from '../../runtimes/index.ts'
import { MAX_TOOL_SCHEMA_BYTES } from './constants.ts'
import type { FieldRefusal } from './openai-error.ts'
import type { ChatCompletionBody } from './openai-schemas.ts'

/** A request's tools and tool choice in the runtimes' terms. */
export interface ToolInput {
  readonly tools?: ToolDefinition[]
  readonly toolChoice?: ToolChoice
}

/**
 * The request's `tools` and `tool_choice`, with what the body's schema cannot say checked here and
 * the field named as OpenAI does: a tool offered once, its parameters within MAX_TOOL_SCHEMA_BYTES,
 * a tool choice that names a tool offered (400 otherwise, as OpenAI answers), "required" only with
 * tools. A tool without parameters takes none (an empty object).
 */
export function toolInput (body: Pick<ChatCompletionBody, 'tools' | 'tool_choice'>): ToolInput | FieldRefusal {
  const tools: ToolDefinition[] = []
  for (const [i, { function: fn }] of (body.tools ?? []).entries()) {
    const at = `tools[${i}].function`
    if (tools.some((tool) => tool.name === fn.name)) return { param: `${at}.name`, message: `${at}.name: ${JSON.stringify(fn.name)} is offered twice` }
    const parameters = fn.parameters ?? { type: 'object', properties: {} }
    if (JSON.stringify(parameters).length > MAX_TOOL_SCHEMA_BYTES) return { param: `${at}.parameters`, message: `${at}.parameters may be at most ${MAX_TOOL_SCHEMA_BYTES} bytes of JSON` }
    tools.push({ name: fn.name, description: fn.description ?? '', parameters })
  }
  const choice = body.tool_choice ?? undefined
  if (choice === undefined || choice === 'none' || choice === 'auto') {
    return tools.length === 0 ? {} : { tools, ...(choice !== undefined && { toolChoice: choice }) }
  }
  if (choice === 'required') {
    if (tools.length === 0) return { param: 'tool_choice', message: 'tool_choice "required" needs tools to call' }
    return { tools, toolChoice: 'required' }
  }
  const name = choice.function.name
  if (!tools.some((tool) => tool.name === name)) return { param: 'tool_choice', message: `tool_choice names ${JSON.stringify(name.slice(0, 80))}, which is not one of the tools` }
  return { tools, toolChoice: { name } }
}
