import { expect } from 'chai'
import { getLlama } from 'node-llama-cpp'
import type { Llama } from 'node-llama-cpp'
import { MAX_CACHED_GRAMMARS } from '../../../runtimes/llama/constants.ts'
import { ToolGrammars } from '../../../runtimes/llama/tool-grammars.ts'

describe('ToolGrammars', function () {
  this.timeout(60_000)
  let llama: Llama

  before(async () => {
    llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never })
  })

  after(async () => {
    await llama?.dispose()
  })

  it('should compile node-llama-cpp\'s grammar of a schema with every rule that admits an invalid value rewritten', async () => {
    const grammars = new ToolGrammars(llama)
    const schema = {
      type: 'object',
      properties: {
        n: { type: 'integer' },
        x: { type: 'number' },
        s: { type: 'string' },
        d: { type: 'string', format: 'date' },
        t: { type: 'string', format: 'time' },
        dt: { type: 'string', format: 'date-time' },
        any: { type: 'object', additionalProperties: true }
      }
    }
    const grammar = (await grammars.arguments(schema)).grammar
    // the rules exist under the names rewritten (a node-llama-cpp that renamed them fails here)
    for (const rule of ['integer-number-rule', 'fractional-number-rule', 'string-char-rule', 'string-format-date-rule', 'string-format-time-rule', 'string-format-date-time-rule']) {
      expect(grammar, rule).to.match(new RegExp(`^${rule} ::= `, 'm'))
    }
    expect(grammar).to.not.include('("0" | [1-9] [0-9]{0,15}))?')
    expect(grammar).to.not.include('[0-9a-fA-F]{4}')
    expect(grammar).to.not.include('\\n\\n\\n\\n')
    expect(grammar).to.include('"2" [0-8]')
  })

  it('should keep each grammar compiled once, and compile again one it let go of past the limit', async () => {
    const grammars = new ToolGrammars(llama)
    const schema = { type: 'object', properties: { a: { type: 'boolean' } } }
    const first = await grammars.arguments(schema)
    expect(await grammars.arguments({ ...schema })).to.equal(first)
    const names = await grammars.names(['a', 'b'], true)
    expect(names.grammar).to.equal('root ::= [ ]? ("a" | "b")')
    expect(await grammars.names(['a', 'b'], true)).to.equal(names)
    for (let i = 0; i < MAX_CACHED_GRAMMARS; i++) await grammars.names([`t${i}`], false)
    expect(await grammars.arguments(schema)).to.not.equal(first)
  })
})
