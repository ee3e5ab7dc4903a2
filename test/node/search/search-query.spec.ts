import { expect } from 'chai'
import { checkSearchQuery, checkSearchViewer, matchExpression } from '../../../node/search/index.ts'

describe('checkSearchQuery', () => {
  it('should fill the defaults and keep the filters given', () => {
    expect(checkSearchQuery({ text: 'ship it' })).to.deep.equal({ text: 'ship it', mode: 'text', scope: 'all', limit: 20 })
    expect(checkSearchQuery({ text: 'x', mode: 'hybrid', scope: 'rooms', rooms: ['a', 'a', 'b'], author: 'ann', since: 1, until: 2, limit: 100 }))
      .to.deep.equal({ text: 'x', mode: 'hybrid', scope: 'rooms', rooms: ['a', 'b'], author: 'ann', since: 1, until: 2, limit: 100 })
    expect(checkSearchQuery({ text: 'x', rooms: [] })).to.not.have.property('rooms')
  })

  it('should refuse what is not a query, naming the field and what was expected', () => {
    for (const [value, why] of [
      [null, /expected an object/],
      [{ text: '   ' }, /search text: expected 1-512 characters/],
      [{ text: 'x'.repeat(513) }, /search text: expected 1-512/],
      [{ text: '!!!' }, /at least one word/],
      [{ text: 'x', mode: 'vector' }, /search mode: expected one of text, semantic, hybrid, got "vector"/],
      [{ text: 'x', scope: 'everything' }, /search scope/],
      [{ text: 'x', limit: 0 }, /search limit: expected an integer from 1 to 100, got 0/],
      [{ text: 'x', limit: 1.5 }, /search limit/],
      [{ text: 'x', rooms: 'general' }, /search rooms: expected a list/],
      [{ text: 'x', rooms: Array.from({ length: 65 }, (_, i) => `r${i}`) }, /at most 64 room names/],
      [{ text: 'x', rooms: ['Bad Room'] }, /search rooms: expected room names/],
      [{ text: 'x', author: 'Ann' }, /search author: expected a user name/],
      [{ text: 'x', since: -1 }, /search since: expected a time in ms/],
      [{ text: 'x', until: '2026' }, /search until/],
      [{ text: 'x', since: 5, until: 4 }, /since \(5\) is after until \(4\)/]
    ] as const) {
      expect(() => checkSearchQuery(value), JSON.stringify(value)?.slice(0, 60)).to.throw(why)
    }
  })
})

describe('checkSearchViewer', () => {
  it('should take a user or an admin (null), nothing else', () => {
    expect(checkSearchViewer({ user: 'ann' })).to.deep.equal({ user: 'ann' })
    expect(checkSearchViewer({ user: null })).to.deep.equal({ user: null })
    expect(() => checkSearchViewer({})).to.throw(/search viewer/)
    expect(() => checkSearchViewer(null)).to.throw(/search viewer/)
  })
})

describe('matchExpression', () => {
  it('should quote every word as a phrase, keep a trailing * as a prefix, and drop the rest of the syntax', () => {
    expect(matchExpression('ship it')).to.equal('"ship" "it"')
    expect(matchExpression('depl* "NEAR" col:umn')).to.equal('"depl"* "NEAR" "col" "umn"')
    expect(matchExpression('café über 日本')).to.equal('"café" "über" "日本"')
    expect(matchExpression('-- ** ()')).to.equal(undefined)
    expect(matchExpression(Array.from({ length: 30 }, (_, i) => `w${i}`).join(' '))?.split(' ')).to.have.length(16)
  })
})
