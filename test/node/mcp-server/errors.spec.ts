import { expect } from 'chai'
import { ForbiddenHostError, McpSessionLimitError, UnknownRoomError } from '../../../node/mcp-server/index.ts'
import { isRefusal, kindOf } from '../../../protocols/index.ts'

describe('mcp-server errors', () => {
  it('should name each error and give it its kind, a refusal of the request, when thrown', () => {
    for (const [err, name, kind] of [
      [new UnknownRoomError('no room'), 'UnknownRoomError', 'not-found'],
      [new McpSessionLimitError('full'), 'McpSessionLimitError', 'exhausted'],
      [new ForbiddenHostError('evil'), 'ForbiddenHostError', 'denied']
    ] as const) {
      expect([err.name, err.kind, kindOf(err), isRefusal(err), err instanceof Error]).to.deep.equal([name, kind, kind, true, true])
    }
  })
})
