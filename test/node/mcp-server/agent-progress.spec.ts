import { expect } from 'chai'
import { AgentProgress } from '../../../node/mcp-server/agent-progress.ts'
import type { ProgressParams } from '../../../node/mcp-server/agent-progress.ts'
import { deferred } from '../../helpers/wait-for.ts'

describe('AgentProgress', () => {
  it('should send each piece as it comes when nothing is in flight, with the characters so far as progress', async () => {
    const sent: ProgressParams[] = []
    const progress = new AgentProgress('tok-1', async (p) => { sent.push(p) })
    progress.push('Hel')
    await progress.flushed()
    progress.push('lo')
    progress.push('')
    await progress.flushed()
    expect(sent).to.deep.equal([{ progressToken: 'tok-1', progress: 3, message: 'Hel' }, { progressToken: 'tok-1', progress: 5, message: 'lo' }])
    expect(progress.sent).to.equal(5)
  })

  it('should send the pieces that came while one was in flight together in the next, in order, with growing progress', async () => {
    const sent: ProgressParams[] = []
    const gate = deferred()
    const progress = new AgentProgress(7, async (p) => {
      sent.push(p)
      if (sent.length === 1) await gate.promise
    })
    progress.push('a')
    progress.push('b')
    progress.push('c')
    expect(sent.map((p) => p.message)).to.deep.equal(['a'])
    const flushed = progress.flushed()
    gate.resolve()
    await flushed
    expect(sent).to.deep.equal([{ progressToken: 7, progress: 1, message: 'a' }, { progressToken: 7, progress: 3, message: 'bc' }])
  })

  it('should stop sending once a notification fails (the client\'s stream is gone), never throwing to the answer', async () => {
    const sent: string[] = []
    const progress = new AgentProgress('t', async (p) => {
      sent.push(p.message)
      throw new Error('stream closed')
    })
    progress.push('one')
    await progress.flushed()
    progress.push('two')
    await progress.flushed()
    expect(sent).to.deep.equal(['one'])
  })
})
