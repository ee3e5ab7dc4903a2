import { expect } from 'chai'
import { ReplicasUnavailableError } from '../../../node/index.ts'
import { backendError, refused } from '../../../node/openai/openai-error.ts'
import { UnsupportedToolSchemaError } from '../../../runtimes/index.ts'
import * as replication from '../../../node/replication/index.ts'
import { WireErrors } from '../../../node/mesh/index.ts'

describe('openai error', () => {
  it('should answer a field the route refuses 400 naming it, and a tool schema the model cannot be held to 400 naming tools', () => {
    expect(refused({ param: 'tool_choice', message: 'tool_choice names "x", which is not one of the tools' })).to.deep.equal({
      status: 400, body: { error: { message: 'tool_choice names "x", which is not one of the tools', type: 'invalid_request_error', param: 'tool_choice', code: 'invalid_value' } }
    })
    const schema = backendError(new UnsupportedToolSchemaError('tool "f": parameters.properties.a uses "pattern"'))
    expect(schema).to.deep.equal({ status: 400, body: { error: { message: 'tool "f": parameters.properties.a uses "pattern"', type: 'invalid_request_error', param: 'tools', code: 'unsupported_tool_schema' } } })
  })

  it('should answer a lost write quorum 503 replicas_unavailable in its own words, with Retry-After and nothing logged per request, also when it came from another node', () => {
    const err = new ReplicasUnavailableError('agent/alice', 'taking the entity', 2, 1, 'down: 12D3KooWSecretHost at 10.0.0.7')
    const expected = {
      status: 503,
      body: { error: { message: 'writes unavailable: 1 of the 2 replicas a write needs is reachable; retry when more storage nodes are up', type: 'server_error', param: null, code: 'replicas_unavailable' } },
      retryAfter: 1
    }
    expect(backendError(err)).to.deep.equal(expected)
    // across the mesh it keeps its class and fields (the message, which names peers, is not shown)
    const wire = new WireErrors([replication])
    const arrived = wire.fromWire(wire.toWire(err), '12D3KooWOther')
    expect(arrived).to.be.instanceOf(ReplicasUnavailableError)
    expect(backendError(arrived)).to.deep.equal(expected)
  })
})
