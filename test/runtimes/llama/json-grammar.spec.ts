import { expect } from 'chai'
import { argumentsGrammar, gbnfLiteral, nameGrammar } from '../../../runtimes/llama/json-grammar.ts'

/** What node-llama-cpp 3.22 writes for { a: integer, b: number, s: string, d: date } (abridged). */
const GENERATED = [
  'root ::= "{" "\\"a\\"" ":" [ ]? integer-number-rule "," "\\"b\\"" ":" [ ]? fractional-number-rule "," "\\"s\\"" ":" [ ]? string-rule "," "\\"d\\"" ":" [ ]? string-format-date-rule "}" "\\n\\n\\n\\n" [\\n]*',
  'integer-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
  'fractional-number-rule ::= "-"? ("0" | [1-9] [0-9]{0,15}) ("." [0-9]{1,16})? ([eE] [-+]? ("0" | [1-9] [0-9]{0,15}))?',
  'string-char-rule ::= [^"\\\\\\x7F\\x00-\\x1F] | "\\\\" ["\\\\/bfnrt] | "\\\\u" [0-9a-fA-F]{4}',
  'string-rule ::= "\\"" string-char-rule* "\\""',
  'string-format-date-rule ::= "\\"" [0-9]{4} "-" ("0" [1-9] | "1" [012]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) "\\""'
].join('\n')

describe('argumentsGrammar', () => {
  it('should end the arguments at their value and rewrite the rules that admit values a schema refuses', () => {
    const lines = argumentsGrammar(GENERATED).split('\n')
    expect(lines[0]).to.equal('root ::= "{" "\\"a\\"" ":" [ ]? integer-number-rule "," "\\"b\\"" ":" [ ]? fractional-number-rule "," "\\"s\\"" ":" [ ]? string-rule "," "\\"d\\"" ":" [ ]? string-format-date-rule "}"')
    const rule = (name: string): string => lines.find((line) => line.startsWith(`${name} ::= `))?.slice(name.length + 5) ?? ''
    // integers have no exponent (1e-5 is no integer, 8e9917 is Infinity once parsed)
    expect(rule('integer-number-rule')).to.equal('"-"? ("0" | [1-9] [0-9]{0,15})')
    // other numbers at most two exponent digits
    expect(rule('fractional-number-rule')).to.match(/\(\[eE\] \[-\+\]\? \[0-9\]\{1,2\}\)\?$/)
    // no escaped surrogates (D800-DFFF)
    expect(rule('string-char-rule')).to.include('"\\\\u" ([0-9a-cA-CeEfF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2})')
    // February stops at the 28th, April at the 30th
    expect(rule('string-format-date-rule')).to.include('"02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8])')
    expect(rule('string-format-date-rule')).to.include('("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30")')
    expect(rule('string-rule')).to.equal('"\\"" string-char-rule* "\\""')
  })

  it('should refuse a grammar not of the form it rewrites (another node-llama-cpp version)', () => {
    expect(() => argumentsGrammar('root ::= "{" "}"')).to.throw(TypeError, /no longer has the form this runtime rewrites/)
  })
})

describe('gbnfLiteral', () => {
  it('should escape quotes, backslashes and control characters and keep everything else', () => {
    expect(gbnfLiteral('a"b\\c\nd\u007f€')).to.equal('"a\\"b\\\\c\\x0ad\\x7f€"')
  })
})

describe('nameGrammar', () => {
  it('should allow exactly one of the names, after an optional space when the syntax has one', () => {
    expect(nameGrammar(['clock__now', 'calc-add'], true)).to.equal('root ::= [ ]? ("clock__now" | "calc-add")')
    expect(nameGrammar(['clock__now'], false)).to.equal('root ::= ("clock__now")')
    expect(() => nameGrammar([], false)).to.throw(RangeError)
  })
})
