import { expect } from 'chai'
import { TOOLS_NOT_BOUND } from '../../../node/root/constants.ts'
import { ToolsPort } from '../../../node/root/tools-port.ts'
import { ToolDeniedError } from '../../../protocols/index.ts'
import type { ToolCall, ToolProvider, ToolSpec } from '../../../protocols/index.ts'
import { rejection } from '../../helpers/thrown.ts'

const now: ToolSpec = { name: 'clock__now', source: { kind: 'plugin', name: 'clock' }, tool: 'now', description: 'the time', inputSchema: { type: 'object' } }
const call: ToolCall = { id: 'c1', name: 'clock__now', arguments: {} }

describe('ToolsPort', () => {
  it('should offer no tool and refuse calls until bound, saying the node is still starting', async () => {
    const port = new ToolsPort()
    expect(await port.tools('alice')).to.deep.equal([])
    const err = await rejection(() => port.call('alice', call))
    expect(err).to.be.instanceOf(ToolDeniedError)
    expect(err.message).to.equal(`alice may not call clock__now: ${TOOLS_NOT_BOUND}`)
  })

  it('should hand the tools and calls, with their options, to what it was bound to, once', async () => {
    const asked: unknown[] = []
    const provider: ToolProvider = {
      tools: async (user) => { asked.push(['tools', user]); return [now] },
      call: async (user, c, opts) => { asked.push(['call', user, c, opts]); return { callId: c.id, isError: false, text: '12:00' } }
    }
    const port = new ToolsPort()
    port.bind(provider)
    expect(() => { port.bind(provider) }).to.throw('bound already')
    const signal = new AbortController().signal
    expect(await port.tools('alice')).to.deep.equal([now])
    expect(await port.call('alice', call, { deadlineMs: 500, signal })).to.deep.equal({ callId: 'c1', isError: false, text: '12:00' })
    expect(asked).to.deep.equal([['tools', 'alice'], ['call', 'alice', call, { deadlineMs: 500, signal }]])
  })
})
