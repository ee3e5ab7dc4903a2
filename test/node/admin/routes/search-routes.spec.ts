import { expect } from 'chai'
import { searchRoutes } from '../../../../node/admin/routes/search-routes.ts'
import { checkSearchQuery } from '../../../../node/search/index.ts'
import type { SearchQuery, SearchResult, SearchViewer } from '../../../../node/search/index.ts'
import { pluginApp } from '../../../helpers/admin-plugin.ts'

describe('searchRoutes', () => {
  const result: SearchResult = { hits: [{ kind: 'agent', name: 'ann', seq: 4, author: 'agent', ts: 9, snippet: 'postgres it is', marks: [[0, 8]], score: 1.5 }], partial: false, missing: [], incomplete: [], failed: [], semantic: 'not-asked', embedMs: 0 }

  it('should search as an admin (or as a user with as=), checking the query schema-first and by the search folder\'s rules', async () => {
    const asked: Array<[SearchQuery, SearchViewer]> = []
    const app = await pluginApp(searchRoutes({ search: { search: async (q, v) => { asked.push([q, v]); return result }, check: checkSearchQuery } }))
    try {
      const ok = await app.inject({ method: 'GET', url: '/api/v1/search?q=postgres&rooms=ops,dev&since=5&mode=hybrid' })
      expect(ok.statusCode).to.equal(200)
      expect(ok.json()).to.deep.equal(result)
      expect(asked[0]).to.deep.equal([{ text: 'postgres', mode: 'hybrid', scope: 'all', limit: 20, rooms: ['ops', 'dev'], since: 5 }, { user: null }])
      await app.inject({ method: 'GET', url: '/api/v1/search?q=x&as=ann&scope=agent' })
      expect(asked[1]?.[1]).to.deep.equal({ user: 'ann' })
      for (const [url, message] of [
        ['/api/v1/search', /q/],
        ['/api/v1/search?q=x&limit=101', /limit/],
        ['/api/v1/search?q=x&rooms=Bad%20Room', /search rooms: expected room names/],
        ['/api/v1/search?q=x&since=9&until=2', /since \(9\) is after until \(2\)/],
        ['/api/v1/search?q=%21%21%21', /expected at least one word/]
      ] as const) {
        const bad = await app.inject({ method: 'GET', url })
        expect(bad.statusCode, url).to.equal(400)
        expect(JSON.stringify(bad.json()), url).to.match(message)
      }
      expect((await app.inject({ method: 'GET', url: '/api/v1/search?q=x&rooms=Bad%20Room' })).json()).to.include({ code: 'INVALID_SEARCH' })
    } finally {
      await app.close()
    }
  })

  it('should answer 503 on a node without search', async () => {
    const app = await pluginApp(searchRoutes({}))
    try {
      expect((await app.inject({ method: 'GET', url: '/api/v1/search?q=x' })).statusCode).to.equal(503)
    } finally {
      await app.close()
    }
  })
})
