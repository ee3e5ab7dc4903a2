import { expect } from 'chai'
import { InvalidSearchError, SearchIndexError, SearchUnavailableError } from '../../../node/search/index.ts'
import { errorData, rebuildError, errorClasses } from '../../../protocols/index.ts'
import * as search from '../../../node/search/index.ts'

describe('search errors', () => {
  it('should carry their name and kind, and cross the wire as their own class', () => {
    for (const [E, kind] of [[InvalidSearchError, 'invalid'], [SearchUnavailableError, 'unavailable'], [SearchIndexError, 'unavailable']] as const) {
      const err = new E('why')
      expect(err.name).to.equal(E.name)
      expect(err.kind).to.equal(kind)
      const back = rebuildError(errorData(err), errorClasses(search))
      expect(back).to.be.instanceOf(E)
      expect(back.message).to.equal('why')
    }
  })
})
