import { expect } from 'chai'
import type { ChatMessage } from '../../actors/index.ts'
import { chatLine, messageKind } from '../../cli/chat-line.ts'

const at = Date.UTC(2026, 0, 2, 3, 4, 5)
const message = (kind: string, text = ''): ChatMessage => ({ seq: 7, user: 'ann', text, ts: at, kind } as unknown as ChatMessage)

describe('chatLine', () => {
  it('should show a message with its seq, its UTC date and time in history, the local time live', () => {
    expect(chatLine(message('message', 'hello'), true)).to.equal('#7 2026-01-02 03:04:05 ann: hello')
    expect(chatLine(message('MESSAGE', 'hello'), false)).to.equal(`#7 ${new Date(at).toTimeString().slice(0, 8)} ann: hello`)
  })

  it('should show joins and leaves as what happened, whichever case the kind arrives in', () => {
    expect(chatLine(message('JOIN'), true)).to.equal('#7 2026-01-02 03:04:05 * ann joined')
    expect(chatLine(message('leave'), true)).to.equal('#7 2026-01-02 03:04:05 * ann left')
    expect(messageKind(message('JOIN'))).to.equal('join')
  })

  it('should show a redacted post without text and a redaction as what it withdrew', () => {
    expect(chatLine({ ...message('MESSAGE'), redacted: true }, true)).to.equal('#7 2026-01-02 03:04:05 ann: (redacted)')
    expect(chatLine({ ...message('REDACTION'), redacts: 3 }, true)).to.equal('#7 2026-01-02 03:04:05 * ann redacted #3')
  })

  it('should show an imported post with its author and time where it came from, and a gRPC null as none', () => {
    const imported = { ...message('MESSAGE', 'old news'), user: 'carol', importedFrom: { source: 's', seq: 3, user: 'bob', ts: Date.UTC(2020, 5, 6, 7, 8, 9) } }
    expect(chatLine(imported, true)).to.equal('#7 2026-01-02 03:04:05 carol (imported: bob, 2020-06-06 07:08:09): old news')
    expect(chatLine({ ...message('MESSAGE', 'hi'), importedFrom: null } as unknown as ChatMessage, true)).to.equal('#7 2026-01-02 03:04:05 ann: hi')
  })
})
