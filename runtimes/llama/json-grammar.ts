/**
 * The GBNF grammars of a tool call, as text for `llama.createGrammar`: the call's arguments (from
 * the grammar node-llama-cpp writes for a JSON schema, with the rules that would let the model write
 * a value the schema refuses rewritten) and the tool's name.
 */

/** What node-llama-cpp ends its JSON grammars with, for LlamaChat's stop trigger; a call's
 * arguments end at their closing brace instead, where llama.cpp allows only the end of text. */
const JSON_TRAILER = ' "\\n\\n\\n\\n" [\\n]*'

const INTEGER = '"-"? ("0" | [1-9] [0-9]{0,15})'
/** Every date that exists: a day of the month it is in (February stops at 28, so that no year
 * needs to be a leap year). */
const DATE = '[0-9]{4} "-" (("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]))'
const TIME = '([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{3})? ("Z" | ("+" | "-") ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])'

/**
 * node-llama-cpp's rules that admit values a JSON schema refuses, and what replaces them:
 * - an integer may have an exponent, so `1e-5` (not an integer) or `8e9917` (Infinity once parsed);
 *   integers here have none, and other numbers have at most two exponent digits (1e115 at most);
 * - `\uD83D\uDE00` escapes one character in two, which minLength counts once (and a lone
 *   surrogate is no character): escapes of surrogates are left out, the character itself is not;
 * - a date may be the 31st of February.
 */
const REWRITTEN: Readonly<Record<string, string>> = {
  'integer-number-rule': INTEGER,
  'fractional-number-rule': `${INTEGER} ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,2})?`,
  'string-char-rule': '[^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] | "\\\\u" ([0-9a-cA-CeEfF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})',
  'string-format-date-rule': `"\\"" ${DATE} "\\""`,
  'string-format-time-rule': `"\\"" ${TIME} "\\""`,
  'string-format-date-time-rule': `"\\"" ${DATE} "T" ${TIME} "\\""`
}

/** The grammar of a call's arguments, from node-llama-cpp's grammar of their JSON schema
 * (`llama.createGrammarForJsonSchema(schema).grammar`). */
export function argumentsGrammar (jsonSchemaGrammar: string): string {
  const lines = jsonSchemaGrammar.split('\n')
  const root = lines[0]
  if (root === undefined || !root.startsWith('root ::= ') || !root.endsWith(JSON_TRAILER)) {
    throw new TypeError(`node-llama-cpp's JSON grammar no longer has the form this runtime rewrites (root ::= <value>${JSON_TRAILER}); got: ${root?.slice(0, 200)}`)
  }
  const rules = lines.slice(1).map((line) => {
    const name = line.slice(0, line.indexOf(' ::= '))
    const rewritten = Object.hasOwn(REWRITTEN, name) ? REWRITTEN[name] : undefined
    return rewritten === undefined ? line : `${name} ::= ${rewritten}`
  })
  return [root.slice(0, -JSON_TRAILER.length), ...rules].join('\n')
}

/** A GBNF string literal of `text` (quote, backslash and control characters escaped). */
export function gbnfLiteral (text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0
    if (char === '"' || char === '\\') out += `\\${char}`
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`
    else out += char
  }
  return `${out}"`
}

/** The grammar of the name of the tool called: one of `names`, after an optional space when the
 * chat wrapper's syntax allows one after its call prefix. */
export function nameGrammar (names: readonly string[], optionalSpace: boolean): string {
  if (names.length === 0) throw new RangeError('a call needs a tool to name')
  return `root ::= ${optionalSpace ? '[ ]? ' : ''}(${names.map(gbnfLiteral).join(' | ')})`
}
