import { Ajv } from 'ajv'
import type { ValidateFunction } from 'ajv'
import type { ToolDefinition } from '../runtime.ts'
import { MAX_CACHED_GRAMMARS } from './constants.ts'

const DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const TIME = /^([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i

/** RFC 3339 full-date: a day of the month it is in (the 29th of February only in a leap year). */
function isDate (text: string): boolean {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(text)
  if (m === null) return false
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && !leap ? 28 : DAYS[month - 1] ?? 0)
}

/** RFC 3339 date-time, with its time zone. */
function isDateTime (text: string): boolean {
  const at = text.search(/[tT]/)
  return at === 10 && isDate(text.slice(0, at)) && TIME.test(text.slice(at + 1))
}

/**
 * The last check of a forced call: its arguments against the tool's schema as given, with a
 * standard JSON-schema validator (ajv, and the formats the grammar writes; numbers finite, as JSON
 * numbers are, though `1e999` parses to Infinity). The grammar already
 * holds the model to the schema, so a failure here is this runtime's bug, never the model's: the
 * request fails rather than hand on arguments that do not validate. Validators are compiled once
 * per schema, the least recently used dropped past MAX_CACHED_GRAMMARS.
 */
export class ArgumentValidators {
  readonly #ajv = new Ajv({ strict: false, allErrors: false, strictNumbers: true, formats: { date: isDate, time: (t: string) => TIME.test(t), 'date-time': isDateTime } })
  readonly #cache = new Map<string, ValidateFunction>()

  /** Throws an Error naming the tool and the first failure when `args` do not validate. */
  check (tool: ToolDefinition, args: unknown): void {
    const validate = this.#validator(tool.parameters)
    if (validate(args)) return
    const issue = validate.errors?.[0]
    throw new Error(`the arguments the grammar let the model write for tool "${tool.name}" do not validate against its schema ` +
      `(${issue?.instancePath ?? ''} ${issue?.message ?? 'invalid'}); this is a bug of the llama.cpp runtime's grammars`)
  }

  #validator (schema: Readonly<Record<string, unknown>>): ValidateFunction {
    const key = JSON.stringify(schema)
    let validate = this.#cache.get(key)
    if (validate !== undefined) {
      this.#cache.delete(key)
    } else {
      // the root's $id would register the schema by name (a second tool with the same one would
      // clash), its $schema may name a draft ajv does not load; neither constrains the arguments
      const { $id: _id, $schema: _schema, ...rest } = schema
      validate = this.#ajv.compile(rest)
      const oldest = this.#cache.size >= MAX_CACHED_GRAMMARS ? this.#cache.entries().next().value : undefined
      if (oldest !== undefined) {
        this.#cache.delete(oldest[0])
        // ajv keeps every schema it compiled until told
        this.#ajv.removeSchema(oldest[1].schema)
      }
    }
    this.#cache.set(key, validate)
    return validate
  }
}
