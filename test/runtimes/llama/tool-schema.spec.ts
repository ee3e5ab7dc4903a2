import { expect } from 'chai'
import { MAX_TOOL_SCHEMA_DEPTH } from '../../../runtimes/constants.ts'
import { MAX_GRAMMAR_REPEAT } from '../../../runtimes/llama/constants.ts'
import { grammarSchema, toolFunctions } from '../../../runtimes/llama/tool-schema.ts'
import type { ToolDefinition } from '../../../runtimes/runtime.ts'
import { thrown } from '../../helpers/thrown.ts'

const tool = (properties: Record<string, unknown>, more: Record<string, unknown> = {}): ToolDefinition =>
  ({ name: 'calc', description: 'd', parameters: { type: 'object', properties, ...more } })
const ANY = { oneOf: [{ type: ['string', 'number', 'boolean', 'null'] }, { type: 'array' }, { type: 'object', additionalProperties: true }] }

describe('grammarSchema', () => {
  it('should keep what the grammar enforces and drop what only describes', () => {
    const parameters = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Weather',
      type: 'object',
      properties: {
        city: { type: 'string', description: 'A city', minLength: 1, maxLength: 40, default: 'Oslo' },
        days: { type: 'integer', examples: [3] },
        units: { type: 'string', enum: ['c', 'f', 3] },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3, uniqueItems: false },
        note: { type: ['string', 'null'], maxLength: 5 },
        exact: { const: true },
        free: {},
        pair: { type: 'array', items: [{ type: 'number' }, { type: 'boolean' }] },
        map: { type: 'object', additionalProperties: { type: 'number' } }
      },
      required: ['city'],
      additionalProperties: false
    }
    expect(grammarSchema({ name: 'weather', description: '', parameters }, true)).to.deep.equal({
      type: 'object',
      properties: {
        city: { type: 'string', minLength: 1, maxLength: 40, description: 'A city' },
        days: { type: 'integer' },
        units: { enum: ['c', 'f'] },
        when: { type: 'string', format: 'date-time' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 3 },
        note: { oneOf: [{ type: 'string', maxLength: 5 }, { type: 'null' }] },
        exact: { const: true },
        free: ANY,
        pair: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'boolean' }] },
        map: { type: 'object', properties: {}, additionalProperties: { type: 'number' } }
      }
    })
  })

  it('should turn anyOf, a one-schema allOf and $refs to the root\'s definitions into what the grammar reads', () => {
    const parameters = {
      type: 'object',
      properties: {
        id: { anyOf: [{ type: 'integer' }, { type: 'string' }], description: 'either' },
        node: { allOf: [{ $ref: '#/definitions/node' }] },
        leaf: { oneOf: [{ type: 'boolean' }] }
      },
      definitions: { node: { type: 'object', properties: { next: { anyOf: [{ $ref: '#/definitions/node' }, { type: 'null' }] } } } }
    }
    expect(grammarSchema({ name: 'tree', description: '', parameters }, true)).to.deep.equal({
      type: 'object',
      properties: {
        id: { oneOf: [{ type: 'integer' }, { type: 'string' }], description: 'either' },
        node: { $ref: '#/$defs/node' },
        leaf: { type: 'boolean' }
      },
      $defs: { node: { type: 'object', properties: { next: { oneOf: [{ $ref: '#/$defs/node' }, { type: 'null' }] } } } }
    })
  })

  it('should refuse, for a forced call, each keyword the grammar cannot enforce, naming the tool and the place', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
      [{ code: { type: 'string', pattern: '^[A-Z]+$' } }, {}, /tool "calc": parameters\.properties\.code uses "pattern", which the llama\.cpp grammar cannot enforce/],
      [{ n: { type: 'integer', minimum: 1 } }, {}, /properties\.n uses "minimum"/],
      [{ n: { type: 'number', multipleOf: 2 } }, {}, /"multipleOf"/],
      [{ email: { type: 'string', format: 'email' } }, {}, /format "email"/],
      [{ when: { type: 'string', format: 'date', maxLength: 10 } }, {}, /a length beside a format/],
      [{ x: { oneOf: [{ type: 'integer' }, { type: 'number' }] } }, {}, /"oneOf" \(use "anyOf"\)/],
      [{ x: { allOf: [{ type: 'integer' }, { type: 'number' }] } }, {}, /"allOf" of more than one schema/],
      [{ x: { type: 'string', anyOf: [{ maxLength: 2 }, { minLength: 9 }] } }, {}, /"type" beside "anyOf"/],
      [{ list: { type: 'array', uniqueItems: true } }, {}, /"uniqueItems"/],
      [{ list: { type: 'array', prefixItems: [{ type: 'number' }, { type: 'number' }], maxItems: 1 } }, {}, /"maxItems" below the number of "prefixItems"/],
      [{ s: { type: 'string', maxLength: MAX_GRAMMAR_REPEAT + 1 } }, {}, /"maxLength" above 1024/],
      [{ s: { minLength: 2 } }, {}, /"minLength" without a "type"/],
      [{ o: { type: 'object', minProperties: 1 } }, {}, /"minProperties"/],
      [{ a: { type: 'string' } }, { additionalProperties: true }, /parameters uses "additionalProperties" beside "properties"/],
      [{ a: { type: 'string' } }, { required: ['a', 'b'] }, /parameters\.required uses a property that is not in "properties" \("b"\)/],
      [{ v: { enum: [{ a: 1 }, 'x'] } }, {}, /a "const" or "enum" value that is an object/],
      [{ n: { type: 'string', nullable: true } }, {}, /"nullable"/],
      [{ d: { type: 'object', $id: 'x', properties: {} } }, {}, /properties\.d uses "\$id"/]
    ]
    for (const [properties, more, message] of cases) {
      const err = thrown(() => grammarSchema(tool(properties, more), true))
      expect(err.name, JSON.stringify(properties)).to.equal('UnsupportedToolSchemaError')
      expect(err.message, JSON.stringify(properties)).to.match(message)
      // with tool choice "auto" the same constraint is left out of the grammar instead
      expect(() => grammarSchema(tool(properties, more), false), JSON.stringify(properties)).to.not.throw()
    }
  })

  it('should leave unenforceable constraints out for tool choice auto, holding the model to the rest', () => {
    expect(grammarSchema(tool({ code: { type: 'string', pattern: '^x', maxLength: 3 }, n: { type: 'integer', maximum: 9 }, e: { type: 'string', format: 'email' } }), false)).to.deep.equal({
      type: 'object',
      properties: { code: { type: 'string', maxLength: 3 }, n: { type: 'integer' }, e: { type: 'string' } }
    })
    expect(grammarSchema(tool({ a: { type: 'string' } }, { additionalProperties: true }), false)).to.deep.equal({ type: 'object', properties: { a: { type: 'string' } } })
    expect(grammarSchema(tool({ s: { type: 'string', maxLength: MAX_GRAMMAR_REPEAT + 1 } }), false)).to.deep.equal({ type: 'object', properties: { s: { type: 'string' } } })
  })

  it('should refuse in either mode a schema that is not one, or that no value the grammar writes validates', () => {
    const cases: Array<[Record<string, unknown>, Record<string, unknown>, RegExp]> = [
      [{ a: { type: 'text' } }, {}, /properties\.a\.type must be one of string, number/],
      [{ a: { $ref: '#/$defs/missing' } }, {}, /properties\.a\.\$ref must point to one of the root's \$defs/],
      [{ a: { $ref: 'https://example.com/s.json' } }, {}, /\$ref must point/],
      [{ a: false }, {}, /properties\.a is false: no value validates/],
      [{ a: 'string' }, {}, /properties\.a must be a JSON schema/],
      [{ a: { enum: [] } }, {}, /properties\.a\.enum must be a non-empty list/],
      [{ a: { type: 'integer', enum: ['x', 1.5] } }, {}, /allows no value the grammar can write/],
      [{ a: { type: 'string', minLength: 5, maxLength: 2 } }, {}, /has "maxLength" below its minimum/],
      [{ a: { type: 'string', maxLength: -1 } }, {}, /maxLength must be a whole number/],
      [{ 'bad\u0001name': { type: 'string' } }, {}, /has a name the grammar cannot write/],
      [{}, { properties: 3 }, /parameters\.properties must be an object of schemas/],
      [{}, { required: 'a' }, /parameters\.required must be a list of property names/]
    ]
    for (const [properties, more, message] of cases) {
      for (const strict of [true, false]) {
        const err = thrown(() => grammarSchema(tool(properties, more), strict))
        expect(err.name, JSON.stringify(properties)).to.equal('UnsupportedToolSchemaError')
        expect(err.message, JSON.stringify(properties)).to.match(message)
      }
    }
  })

  it('should refuse a schema nested deeper than the limit', () => {
    let deep: Record<string, unknown> = { type: 'string' }
    for (let i = 0; i < MAX_TOOL_SCHEMA_DEPTH + 1; i++) deep = { type: 'array', items: deep }
    expect(thrown(() => grammarSchema(tool({ deep }), false)).message).to.match(/nests deeper than 32 levels/)
  })

  it('should document each tool as node-llama-cpp\'s chat wrappers take functions', () => {
    expect(toolFunctions([tool({ a: { type: 'number', minimum: 0 } })], false)).to.deep.equal({
      calc: { description: 'd', params: { type: 'object', properties: { a: { type: 'number' } } } }
    })
    expect(() => toolFunctions([tool({ a: { type: 'number', minimum: 0 } })], true)).to.throw(/"minimum"/)
  })
})
