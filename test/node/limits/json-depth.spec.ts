import { expect } from 'chai'
import fc from 'fast-check'
import { MAX_JSON_DEPTH, depthLimited, jsonDepth } from '../../../node/limits/index.ts'

/** The nesting of a parsed JSON value, for checking the count on text. */
function depthOf (value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  return 1 + Math.max(0, ...Object.values(value).map(depthOf))
}

describe('jsonDepth', () => {
  it('should count the nesting of arrays and objects, not the brackets inside strings', () => {
    expect(jsonDepth('1')).to.equal(0)
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).to.equal(4)
    expect(jsonDepth('{"a":"[[[{{\\"[[[","b":[]}')).to.equal(2)
    expect(jsonDepth('["\\\\",[]]')).to.equal(2)
    // without recursion: a depth no stack could walk
    expect(jsonDepth(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`)).to.equal(1_000_000)
    expect(jsonDepth('['.repeat(1_000), 10)).to.equal(11)
  })

  it('should give the depth JSON.parse finds, for any JSON', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
      const text = JSON.stringify(value)
      expect(jsonDepth(text)).to.equal(depthOf(JSON.parse(text)))
    }), { seed: 20261124, numRuns: 500 })
  })

  it('should refuse a body deeper than the limit before the parser it guards runs, and pass the others on', () => {
    let parsed = 0
    const parse = depthLimited((_request, body, done) => { parsed++; done(null, JSON.parse(body)) })
    const outcome = (text: string): { err: Error | null, body?: unknown } => {
      let result: { err: Error | null, body?: unknown } = { err: null }
      parse(undefined as never, text, (err, body) => { result = { err, body } })
      return result
    }
    const refused = outcome(`${'['.repeat(MAX_JSON_DEPTH + 1)}${']'.repeat(MAX_JSON_DEPTH + 1)}`)
    expect(refused.err).to.include({ name: 'BodyTooDeepError', kind: 'invalid' })
    expect(parsed).to.equal(0)
    expect(outcome(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`).err).to.equal(null)
    expect(parsed).to.equal(1)
  })
})
