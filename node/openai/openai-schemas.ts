import { MAX_TOOL_ARGS_BYTES, TOOL_NAME_PATTERN } from '../../protocols/index.ts'
import { MAX_CONTENT_PARTS, MAX_MESSAGES, MAX_MODEL_ID_CHARS, MAX_SEED, MAX_STOP_CHARS, MAX_STOP_SEQUENCES, MAX_TOOL_CALL_ID_CHARS, MAX_TOOL_CALLS_PER_TURN,
  MAX_TOOL_DESCRIPTION_CHARS, MAX_TOOLS_PER_REQUEST, MAX_TOP_K } from './constants.ts'

/**
 * The JSON schemas of the OpenAI-compatible endpoint: the request body of /v1/chat/completions
 * and every response. Request fields we do not know are ignored (OpenAI clients send many:
 * `user`, `logit_bias`, ...); the fields we use are checked strictly. `null` is accepted
 * wherever a field is optional, as OpenAI does, and means "not given".
 */

export interface TextPart {
  readonly type: 'text'
  readonly text: string
}

/** A call as an assistant message holds it: its arguments a JSON string. */
export interface ToolCallBody {
  readonly id: string
  readonly type: 'function'
  readonly function: { readonly name: string, readonly arguments: string }
}

export interface MessageBody {
  readonly role: 'system' | 'user' | 'assistant' | 'tool'
  /** null (or absent) only for an assistant message that calls tools. */
  readonly content?: string | readonly TextPart[] | null
  readonly tool_calls?: readonly ToolCallBody[] | null
  readonly tool_call_id?: string
}

export interface ToolBody {
  readonly type: 'function'
  readonly function: { readonly name: string, readonly description?: string | null, readonly parameters?: Readonly<Record<string, unknown>> | null, readonly strict?: boolean | null }
}

export type ToolChoiceBody = 'none' | 'auto' | 'required' | { readonly type: 'function', readonly function: { readonly name: string } }

export interface ChatCompletionBody {
  readonly model: string
  readonly messages: readonly MessageBody[]
  readonly tools?: readonly ToolBody[] | null
  readonly tool_choice?: ToolChoiceBody | null
  readonly parallel_tool_calls?: boolean | null
  readonly stream?: boolean | null
  readonly stream_options?: { readonly include_usage?: boolean | null } | null
  readonly max_tokens?: number | null
  readonly max_completion_tokens?: number | null
  readonly temperature?: number | null
  readonly top_p?: number | null
  readonly top_k?: number | null
  readonly seed?: number | null
  readonly n?: number | null
  readonly stop?: string | readonly string[] | null
}

const optional = (type: string, more: Record<string, unknown> = {}): Record<string, unknown> => ({ type: [type, 'null'], ...more })

const functionName = { type: 'string', pattern: TOOL_NAME_PATTERN }

/** A call in an assistant message, as the client got it from a previous answer. */
const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  properties: {
    id: { type: 'string', minLength: 1, maxLength: MAX_TOOL_CALL_ID_CHARS },
    type: { type: 'string', const: 'function' },
    function: { type: 'object', required: ['name', 'arguments'], properties: { name: functionName, arguments: { type: 'string', maxLength: MAX_TOOL_ARGS_BYTES } } }
  }
}

/** A tool offered: a function, its arguments' schema an object schema (its size and names are
 * checked by toolInput). */
const tool = {
  type: 'object',
  required: ['type', 'function'],
  properties: {
    type: { type: 'string', const: 'function' },
    function: {
      type: 'object',
      required: ['name'],
      properties: {
        name: functionName,
        description: optional('string', { maxLength: MAX_TOOL_DESCRIPTION_CHARS }),
        parameters: optional('object', { required: ['type'], properties: { type: { const: 'object' } } }),
        strict: optional('boolean')
      }
    }
  }
}

/** The body of POST /v1/chat/completions; `maxTokensLimit` bounds max_tokens. */
export function chatCompletionBody (maxTokensLimit: number): Record<string, unknown> {
  return {
    type: 'object',
    required: ['model', 'messages'],
    properties: {
      model: { type: 'string', minLength: 1, maxLength: MAX_MODEL_ID_CHARS },
      messages: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_MESSAGES,
        items: {
          type: 'object',
          required: ['role'],
          properties: {
            role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
            content: {
              // null only where it may be, which completionInput checks (an assistant's calls)
              type: ['string', 'array', 'null'],
              maxItems: MAX_CONTENT_PARTS,
              items: {
                type: 'object',
                required: ['type'],
                properties: { type: { type: 'string', const: 'text' } },
                // `text` is checked only once `type` is right, so that an image part is refused
                // for its type ("must be text"), not for a missing text
                if: { type: 'object', required: ['type'], properties: { type: { const: 'text' } } },
                then: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } }
              }
            },
            tool_calls: optional('array', { maxItems: MAX_TOOL_CALLS_PER_TURN, items: toolCall }),
            tool_call_id: { type: 'string', minLength: 1, maxLength: MAX_TOOL_CALL_ID_CHARS }
          },
          allOf: [
            // a tool's result names the call it answers; every other message has content, but an
            // assistant's that calls tools
            { if: { properties: { role: { const: 'tool' } } }, then: { required: ['tool_call_id', 'content'] } },
            { if: { properties: { role: { const: 'assistant' } }, required: ['tool_calls'] }, else: { required: ['content'] } }
          ]
        }
      },
      tools: optional('array', { maxItems: MAX_TOOLS_PER_REQUEST, items: tool }),
      tool_choice: {
        type: ['string', 'object', 'null'],
        if: { type: 'string' },
        then: { enum: ['none', 'auto', 'required'] },
        else: { if: { type: 'object' }, then: { required: ['type', 'function'], properties: { type: { const: 'function' }, function: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } } }
      },
      // one call per answer here (its result comes back in the next request): accepted, changes nothing
      parallel_tool_calls: optional('boolean'),
      stream: optional('boolean'),
      stream_options: optional('object', { properties: { include_usage: optional('boolean') } }),
      max_tokens: optional('integer', { minimum: 1, maximum: maxTokensLimit }),
      max_completion_tokens: optional('integer', { minimum: 1, maximum: maxTokensLimit }),
      temperature: optional('number', { minimum: 0, maximum: 2 }),
      // 0 would leave no token to sample from; llama.cpp wants (0, 1]
      top_p: optional('number', { exclusiveMinimum: 0, maximum: 1 }),
      top_k: optional('integer', { minimum: 0, maximum: MAX_TOP_K }),
      seed: optional('integer', { minimum: 0, maximum: MAX_SEED }),
      // as OpenAI: up to 4 sequences that end the answer (not included in it)
      stop: {
        type: ['string', 'array', 'null'],
        minLength: 1,
        maxLength: MAX_STOP_CHARS,
        maxItems: MAX_STOP_SEQUENCES,
        items: { type: 'string', minLength: 1, maxLength: MAX_STOP_CHARS }
      },
      // one choice per request: a model slot generates one answer at a time
      n: optional('integer', { enum: [1, null] })
    }
  }
}

export const errorResponse = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message', 'type', 'param', 'code'],
      properties: {
        message: { type: 'string' },
        type: { type: 'string' },
        param: { type: ['string', 'null'] },
        code: { type: ['string', 'null'] }
      }
    }
  }
} as const

/** The response schema of each of these error statuses: OpenAI's error shape. */
export function errorResponses (...codes: number[]): Record<number, typeof errorResponse> {
  return Object.fromEntries(codes.map((code) => [code, errorResponse]))
}

const usage = {
  type: 'object',
  required: ['prompt_tokens', 'completion_tokens', 'total_tokens'],
  properties: { prompt_tokens: { type: 'integer' }, completion_tokens: { type: 'integer' }, total_tokens: { type: 'integer' } }
} as const

export const chatCompletionResponse = {
  type: 'object',
  required: ['id', 'object', 'created', 'model', 'choices', 'usage'],
  properties: {
    id: { type: 'string' },
    object: { type: 'string', const: 'chat.completion' },
    created: { type: 'integer' },
    model: { type: 'string' },
    choices: {
      type: 'array',
      items: {
        type: 'object',
        required: ['index', 'message', 'finish_reason', 'logprobs'],
        properties: {
          index: { type: 'integer' },
          message: {
            type: 'object',
            required: ['role', 'content'],
            properties: {
              role: { type: 'string' },
              // null when the answer is only tool calls, as OpenAI's
              content: { type: ['string', 'null'] },
              tool_calls: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'type', 'function'],
                  properties: {
                    id: { type: 'string' },
                    type: { type: 'string', const: 'function' },
                    function: { type: 'object', required: ['name', 'arguments'], properties: { name: { type: 'string' }, arguments: { type: 'string' } } }
                  }
                }
              }
            }
          },
          finish_reason: { type: 'string', enum: ['stop', 'length', 'tool_calls'] },
          logprobs: { type: 'null' }
        }
      }
    },
    usage
  }
} as const

export const modelResponse = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: {
    id: { type: 'string' },
    object: { type: 'string', const: 'model' },
    created: { type: 'integer' },
    owned_by: { type: 'string' }
  }
} as const

export const modelListResponse = {
  type: 'object',
  required: ['object', 'data'],
  properties: { object: { type: 'string', const: 'list' }, data: { type: 'array', items: modelResponse } }
} as const
