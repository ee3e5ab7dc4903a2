import { expect } from 'chai'
import { ArgumentValidators } from '../../../runtimes/llama/argument-validators.ts'
import type { ToolDefinition } from '../../../runtimes/runtime.ts'
import { thrown } from '../../helpers/thrown.ts'

const tool = (properties: Record<string, unknown>, more: Record<string, unknown> = {}): ToolDefinition =>
  ({ name: 'cal', description: '', parameters: { type: 'object', properties, ...more } })

describe('ArgumentValidators', () => {
  it('should pass arguments that validate and fail, naming the tool, those that do not', () => {
    const validators = new ArgumentValidators()
    const t = tool({ n: { type: 'integer' }, s: { type: 'string', minLength: 2 } }, { required: ['n'] })
    expect(() => { validators.check(t, { n: 3, s: 'ab' }) }).to.not.throw()
    for (const bad of [{ n: 1.5 }, { s: 'ab' }, { n: 1, s: 'a' }, { n: Infinity }]) {
      expect(thrown(() => { validators.check(t, bad) }).message, JSON.stringify(bad)).to.match(/for tool "cal" do not validate against its schema .*bug of the llama\.cpp runtime's grammars/)
    }
  })

  it('should hold dates, times and date-times to RFC 3339, days of the month included', () => {
    const validators = new ArgumentValidators()
    const t = tool({ d: { type: 'string', format: 'date' }, t: { type: 'string', format: 'time' }, dt: { type: 'string', format: 'date-time' } })
    expect(() => { validators.check(t, { d: '2024-02-29', t: '23:59:59.123Z', dt: '2023-12-31T00:00:00+05:30' }) }).to.not.throw()
    for (const bad of [{ d: '2023-02-29' }, { d: '2023-04-31' }, { d: '2023-13-01' }, { t: '24:00:00Z' }, { t: '12:00:00' }, { dt: '2023-02-30T00:00:00Z' }, { dt: '2023-01-01 00:00:00Z' }]) {
      expect(() => { validators.check(t, bad) }, JSON.stringify(bad)).to.throw(/do not validate/)
    }
  })

  it('should check tools whose schemas name the same $id and a draft ajv does not load', () => {
    const validators = new ArgumentValidators()
    const meta = { $id: 'urn:plexi:args', $schema: 'https://json-schema.org/draft/2020-12/schema' }
    expect(() => { validators.check(tool({ a: { type: 'string' } }, meta), { a: 'x' }) }).to.not.throw()
    expect(() => { validators.check(tool({ b: { type: 'number' } }, meta), { b: 'x' }) }).to.throw(/do not validate/)
  })
})
