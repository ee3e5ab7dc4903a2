import { expect } from 'chai'
import { searchHitSchema, searchQuerystring, searchResultSchema } from '../../../protocols/admin/search-schemas.ts'
import { MAX_SEARCH_LIMIT } from '../../../protocols/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('search schemas', () => {
  const hit = { kind: 'room', name: 'ops', seq: 3, author: 'ann', ts: 1, snippet: 'we ship', marks: [[3, 4]], score: 1.5 }

  it('should fit a hit and an answer as /search gives them', () => {
    const checkHit = validatorOf({ $ref: `${searchHitSchema.$id}#` })
    expect(checkHit(hit).ok).to.equal(true)
    expect(checkHit({ ...hit, kind: 'user' }).ok).to.equal(false)
    expect(checkHit({ ...hit, marks: [[3]] }).ok).to.equal(false)
    const result = { hits: [], partial: true, missing: [4], incomplete: ['n2'], failed: [{ node: 'n3', error: 'timed out' }], semantic: 'partial', embedMs: 0 }
    const checkResult = validatorOf({ $ref: `${searchResultSchema.$id}#` })
    expect(checkResult(result).ok).to.equal(true)
    expect(checkResult({ ...result, hits: [hit] }).ok).to.equal(true)
    expect(checkResult({ ...result, hits: [{ ...hit, score: 'high' }] }).ok).to.equal(false)
    expect(checkResult({ ...result, semantic: 'sometimes' }).ok).to.equal(false)
  })

  it('should take the query\'s filters within the search limits', () => {
    const check = validatorOf(searchQuerystring)
    expect(check({ q: 'ship', limit: 5, mode: 'hybrid', as: 'ann' }).ok).to.equal(true)
    expect(check({}).ok).to.equal(false)
    expect(check({ q: 'x', limit: MAX_SEARCH_LIMIT + 1 }).ok).to.equal(false)
    expect(check({ q: 'x', author: 'Not A User' }).ok).to.equal(false)
    expect(check({ q: 'x', extra: 1 }).ok).to.equal(false)
  })
})
