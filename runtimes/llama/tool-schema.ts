import type { ChatModelFunctions } from 'node-llama-cpp'
import { MAX_TOOL_SCHEMA_DEPTH } from '../constants.ts'
import { UnsupportedToolSchemaError } from '../errors.ts'
import type { ToolDefinition } from '../runtime.ts'
import { MAX_GRAMMAR_REPEAT } from './constants.ts'

/** A schema in the subset node-llama-cpp turns into a grammar (its GbnfJsonSchema), as plain data. */
export type GrammarSchema = { readonly [key: string]: unknown }

/** Keywords that only describe: they constrain nothing, so the grammar may leave them out. */
const ANNOTATIONS = new Set(['title', 'description', 'default', 'examples', '$schema', '$id', '$comment', 'deprecated', 'readOnly', 'writeOnly'])
/** Keywords the conversion reads; any other keyword constrains values in a way the grammar cannot. */
const READ = new Set(['type', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems', 'uniqueItems',
  'minLength', 'maxLength', 'format', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', '$ref', '$defs', 'definitions'])
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'])
/** The string formats the grammar writes (json-grammar.ts makes every date a real one). */
const FORMATS = new Set(['date', 'time', 'date-time'])
/** Any JSON value (the schema `true`, or one without a type). */
const ANY: GrammarSchema = { oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }] }
const COMBINATORS = ['$ref', 'allOf', 'anyOf', 'oneOf'] as const

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)

/** A string the grammar can write as a JSON literal (a key, an enum value): its escaping knows tab,
 * CR and LF, not the other control characters, and a lone surrogate is no UTF-8. */
const writable = (text: string): boolean => text.isWellFormed() && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)

function literal (value: unknown): boolean {
  return value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)) || (typeof value === 'string' && writable(value))
}

function typeOf (value: unknown): string[] {
  if (value === null) return ['null']
  if (typeof value === 'number') return Number.isInteger(value) ? ['integer', 'number'] : ['number']
  return [typeof value]
}

/**
 * A tool's parameters schema in the subset node-llama-cpp turns into a grammar, for the model to
 * be shown (its function signature) and held to (the grammar of its arguments). `strict` (a forced
 * call, whose arguments must always validate): a keyword the grammar cannot enforce (pattern,
 * minimum, ...) refuses the tool with UnsupportedToolSchemaError, so that whatever the grammar lets
 * the model write validates against the schema as given. Otherwise (tool choice "auto") such
 * keywords are left out: the model sees and is held to the rest. A schema that is not one (a type
 * that does not exist, a `$ref` to nothing) is refused either way.
 */
export function grammarSchema (tool: ToolDefinition, strict: boolean): GrammarSchema {
  const root = tool.parameters
  const source = root.$defs ?? root.definitions
  if (root.$defs !== undefined && root.definitions !== undefined) new Conversion(tool.name, strict, new Set()).unenforceable('', '$defs beside definitions')
  if (source !== undefined && !isObject(source)) new Conversion(tool.name, strict, new Set()).fail('.$defs', 'must be an object of schemas')
  const defs = isObject(source) ? source : {}
  const conversion = new Conversion(tool.name, strict, new Set(Object.keys(defs)))
  const converted = conversion.schema(root, '', 0)
  if (Object.keys(defs).length === 0) return converted
  return { ...converted, $defs: Object.fromEntries(Object.entries(defs).map(([name, def]) => [name, conversion.schema(def, `.$defs.${name}`, 1)])) }
}

/** The tools as node-llama-cpp's chat wrappers document them (ChatModelFunctions). */
export function toolFunctions (tools: readonly ToolDefinition[], strict: boolean): ChatModelFunctions {
  // node-llama-cpp types its schemas to infer what they parse to; ours are data
  return Object.fromEntries(tools.map((tool) => [tool.name, { description: tool.description, params: grammarSchema(tool, strict) as never }]))
}

class Conversion {
  readonly #tool: string
  readonly #strict: boolean
  readonly #defs: ReadonlySet<string>

  constructor (tool: string, strict: boolean, defs: ReadonlySet<string>) {
    this.#tool = tool
    this.#strict = strict
    this.#defs = defs
  }

  fail (path: string, why: string): never {
    throw new UnsupportedToolSchemaError(`tool "${this.#tool}": parameters${path} ${why}`)
  }

  /** A constraint the grammar cannot hold the model to: refused for a forced call, left out otherwise. */
  unenforceable (path: string, what: string): void {
    if (this.#strict) {
      this.fail(path, `uses ${what}, which the llama.cpp grammar cannot enforce; a forced call's arguments must always validate ` +
        '(leave it out of the schema, or let the model choose: tool choice "auto")')
    }
  }

  schema (s: unknown, path: string, depth: number): GrammarSchema {
    if (depth > MAX_TOOL_SCHEMA_DEPTH) this.fail(path, `nests deeper than ${MAX_TOOL_SCHEMA_DEPTH} levels`)
    if (s === true) return ANY
    if (!isObject(s)) this.fail(path, s === false ? 'is false: no value validates' : 'must be a JSON schema (an object)')
    for (const key of Object.keys(s)) {
      // below the root, $id and $schema would change what a $ref means to a validator
      const annotation = ANNOTATIONS.has(key) && (depth === 0 || (key !== '$id' && key !== '$schema'))
      if (!READ.has(key) && !annotation) this.unenforceable(path, `"${key}"`)
    }
    if (depth > 0 && (s.$defs !== undefined || s.definitions !== undefined)) this.unenforceable(path, 'definitions below the root')
    const description = typeof s.description === 'string' ? { description: s.description } : {}
    const combinator = COMBINATORS.find((key) => s[key] !== undefined)
    if (combinator !== undefined) {
      const beside = Object.keys(s).filter((key) => READ.has(key) && key !== combinator && key !== '$defs' && key !== 'definitions')
      if (beside.length > 0) this.unenforceable(path, `${beside.map((key) => `"${key}"`).join(', ')} beside "${combinator}"`)
      return { ...this.#combined(s, combinator, path, depth), ...description }
    }
    const value = this.#literals(s, path)
    if (value !== undefined) return { ...value, ...description }
    return { ...this.#typed(s, path, depth), ...description }
  }

  #combined (s: Record<string, unknown>, combinator: typeof COMBINATORS[number], path: string, depth: number): GrammarSchema {
    if (combinator === '$ref') {
      const match = typeof s.$ref === 'string' ? /^#\/(?:\$defs|definitions)\/([^/]+)$/.exec(s.$ref) : null
      const name = match?.[1]?.replaceAll('~1', '/').replaceAll('~0', '~')
      if (name === undefined || !this.#defs.has(name)) this.fail(`${path}.$ref`, 'must point to one of the root\'s $defs (#/$defs/<name>)')
      return { $ref: `#/$defs/${name}` }
    }
    const branches = s[combinator]
    if (!Array.isArray(branches) || branches.length === 0) this.fail(`${path}.${combinator}`, 'must be a non-empty list of schemas')
    if (combinator === 'allOf' && branches.length > 1) this.unenforceable(path, '"allOf" of more than one schema')
    // the grammar writes a value of one branch: that is anyOf; oneOf wants exactly one, which
    // overlapping branches would break
    if (combinator === 'oneOf' && branches.length > 1) this.unenforceable(path, '"oneOf" (use "anyOf")')
    if (combinator === 'allOf' || branches.length === 1) return this.schema(branches[0], `${path}.${combinator}[0]`, depth + 1)
    return { oneOf: branches.map((branch, i) => this.schema(branch, `${path}.${combinator}[${i}]`, depth + 1)) }
  }

  /** `const` or `enum` (undefined without them): JSON literals of the schema's type. */
  #literals (s: Record<string, unknown>, path: string): GrammarSchema | undefined {
    if (s.const === undefined && s.enum === undefined) return undefined
    if (s.enum !== undefined && (!Array.isArray(s.enum) || s.enum.length === 0)) this.fail(`${path}.enum`, 'must be a non-empty list')
    const given: unknown[] = s.const !== undefined ? [s.const] : s.enum as unknown[]
    const types = this.#types(s, path)
    const writes = given.filter(literal)
    if (writes.length < given.length) this.unenforceable(path, 'a "const" or "enum" value that is an object, an array or text the grammar cannot write')
    // a value not of the schema's type never validates: it is no choice
    const kept = writes.filter((value) => types === undefined || typeOf(value).some((t) => types.includes(t)))
    if (kept.length === 0) this.fail(path, 'allows no value the grammar can write (its "const" or "enum" against its "type")')
    return s.const !== undefined ? { const: kept[0] } : { enum: kept }
  }

  #types (s: Record<string, unknown>, path: string): string[] | undefined {
    if (s.type === undefined) return undefined
    const types = Array.isArray(s.type) ? s.type as unknown[] : [s.type]
    if (types.length === 0 || !types.every((t) => typeof t === 'string' && TYPES.has(t))) this.fail(`${path}.type`, `must be one of ${[...TYPES].join(', ')} or a list of them`)
    return [...new Set(types as string[])]
  }

  #typed (s: Record<string, unknown>, path: string, depth: number): GrammarSchema {
    const types = this.#types(s, path)
    if (types !== undefined) {
      const each = types.map((type) => this.#ofType(type, s, path, depth))
      return each.length === 1 ? each[0] ?? ANY : { oneOf: each }
    }
    if (s.properties !== undefined || s.required !== undefined || s.additionalProperties !== undefined) return this.#object(s, path, depth)
    if (s.items !== undefined || s.prefixItems !== undefined) return this.#array(s, path, depth)
    // without a type any value validates, but a string, say, must still meet a length given
    const bound = ['minLength', 'maxLength', 'format', 'minItems', 'maxItems', 'uniqueItems'].find((key) => s[key] !== undefined)
    if (bound !== undefined) this.unenforceable(path, `"${bound}" without a "type"`)
    return ANY
  }

  #ofType (type: string, s: Record<string, unknown>, path: string, depth: number): GrammarSchema {
    switch (type) {
      case 'string': return this.#string(s, path)
      case 'object': return this.#object(s, path, depth)
      case 'array': return this.#array(s, path, depth)
      default: return { type }
    }
  }

  #string (s: Record<string, unknown>, path: string): GrammarSchema {
    const min = this.#count(s, 'minLength', path)
    const max = this.#count(s, 'maxLength', path)
    if (s.format !== undefined) {
      if (typeof s.format !== 'string') this.fail(`${path}.format`, 'must be a string')
      if (!FORMATS.has(s.format)) this.unenforceable(path, `format "${s.format.slice(0, 40)}"`)
      else if (min !== undefined || max !== undefined) this.unenforceable(path, 'a length beside a format')
      if (FORMATS.has(s.format)) return { type: 'string', format: s.format }
    }
    return { type: 'string', ...(min !== undefined && min > 0 && { minLength: min }), ...(max !== undefined && { maxLength: max }) }
  }

  #object (s: Record<string, unknown>, path: string, depth: number): GrammarSchema {
    if (s.properties !== undefined && !isObject(s.properties)) this.fail(`${path}.properties`, 'must be an object of schemas')
    const given = isObject(s.properties) ? s.properties : {}
    const properties: Record<string, GrammarSchema> = {}
    for (const [name, sub] of Object.entries(given)) {
      if (!writable(name)) this.fail(`${path}.properties`, `has a name the grammar cannot write: ${JSON.stringify(name).slice(0, 40)}`)
      properties[name] = this.schema(sub, `${path}.properties.${name}`, depth + 1)
    }
    if (s.required !== undefined) {
      if (!Array.isArray(s.required) || !s.required.every((r) => typeof r === 'string')) this.fail(`${path}.required`, 'must be a list of property names')
      // the grammar writes every property it knows and no other
      const unknown = (s.required as string[]).find((r) => !Object.hasOwn(given, r))
      if (unknown !== undefined) this.unenforceable(`${path}.required`, `a property that is not in "properties" (${JSON.stringify(unknown).slice(0, 40)})`)
    }
    const extra = s.additionalProperties
    if (extra === undefined || extra === false) return { type: 'object', properties }
    // an extra key the model makes up could repeat a property's name, and JSON keeps the last value
    if (Object.keys(given).length > 0) {
      this.unenforceable(path, '"additionalProperties" beside "properties"')
      return { type: 'object', properties }
    }
    return { type: 'object', properties, additionalProperties: extra === true ? true : this.schema(extra, `${path}.additionalProperties`, depth + 1) }
  }

  #array (s: Record<string, unknown>, path: string, depth: number): GrammarSchema {
    // draft-07 writes a tuple as a list of `items`; 2020-12 as prefixItems
    const tuple = Array.isArray(s.items) ? s.items as unknown[] : s.prefixItems
    if (tuple !== undefined && !Array.isArray(tuple)) this.fail(`${path}.prefixItems`, 'must be a list of schemas')
    const prefixItems = (tuple as unknown[] | undefined)?.map((item, i) => this.schema(item, `${path}.prefixItems[${i}]`, depth + 1))
    const rest = Array.isArray(s.items) ? undefined : s.items
    const items = rest === undefined || rest === false ? undefined : this.schema(rest, `${path}.items`, depth + 1)
    const min = this.#count(s, 'minItems', path)
    let max = this.#count(s, 'maxItems', path)
    if (rest === false) max = Math.min(max ?? Infinity, prefixItems?.length ?? 0)
    if (s.uniqueItems !== undefined && s.uniqueItems !== false) this.unenforceable(path, '"uniqueItems"')
    // the grammar writes every prefix item
    if (max !== undefined && prefixItems !== undefined && max < prefixItems.length) {
      this.unenforceable(path, '"maxItems" below the number of "prefixItems"')
      max = undefined
    }
    return {
      type: 'array',
      ...(items !== undefined && { items }),
      ...(prefixItems !== undefined && { prefixItems }),
      ...(min !== undefined && min > 0 && { minItems: min }),
      ...(max !== undefined && { maxItems: max })
    }
  }

  /** A length or a count: a whole number, within what the grammar can repeat. */
  #count (s: Record<string, unknown>, key: 'minLength' | 'maxLength' | 'minItems' | 'maxItems', path: string): number | undefined {
    const value = s[key]
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) this.fail(`${path}.${key}`, 'must be a whole number >= 0')
    if (value > MAX_GRAMMAR_REPEAT) {
      this.unenforceable(path, `"${key}" above ${MAX_GRAMMAR_REPEAT}`)
      return undefined
    }
    const other = key === 'maxLength' ? s.minLength : key === 'maxItems' ? s.minItems : undefined
    if (typeof other === 'number' && other > value) this.fail(path, `has "${key}" below its minimum: no value validates`)
    return value
  }
}
