import { expect } from 'chai'
import { ExportReader, importItemOf } from '../../../protocols/index.ts'
import type { ExportRecord } from '../../../protocols/index.ts'

describe('ExportReader', () => {
  const header = { format: 'plexi-export/1', source: 'c/room/r/1', kind: 'room', name: 'r', exportedAt: 0, from: 1, to: 9, floor: 1 }
  const refusal = (lines: unknown[]): string => {
    const reader = new ExportReader()
    try {
      for (const l of lines) reader.line(typeof l === 'string' ? l : JSON.stringify(l))
      reader.end()
      return ''
    } catch (err) {
      expect((err as Error).name).to.equal('ExportRecordError')
      return (err as Error).message.replace('; nothing was imported', '')
    }
  }
  const post = { seq: 1, kind: 'message', user: 'ann', ts: 1, text: 'hi' }

  it('should refuse a bad header naming its field', () => {
    expect(refusal([])).to.equal('header: format: expected an export (a first line with "format": "plexi-export/1"), got an empty file')
    expect(refusal([{ ...header, format: 'csv' }])).to.equal('header: format: expected "plexi-export/1", got "csv"')
    expect(refusal([{ ...header, source: 'has space' }])).to.match(/^header: source: expected 1 to 256 printable ASCII/)
    expect(refusal([{ ...header, kind: 'team' }])).to.equal('header: kind: expected one of room, agent, user, got "team"')
    expect(refusal([{ ...header, to: '9' }])).to.equal('header: to: expected a number, got "9"')
    expect(refusal(['{not json'])).to.match(/^header: \(line\): not JSON/)
  })

  it('should refuse a bad record naming its number and field', () => {
    expect(refusal([header, post, { ...post, seq: 1 }])).to.equal('record 2: seq: expected a seq above the one before (1), got 1')
    expect(refusal([header, { ...post, kind: 'shout' }])).to.equal('record 1: kind: expected one of message, join, leave, redaction, got "shout"')
    expect(refusal([header, { ...post, ts: null }])).to.equal('record 1: ts: expected a time (ms since the epoch), got null')
    expect(refusal([header, { ...post, user: '' }])).to.equal('record 1: user: expected an author of 1 to 256 characters, got ""')
    expect(refusal([header, { ...post, clientId: 'a b' }])).to.match(/^record 1: clientId: expected 1-64 visible ASCII/)
    expect(refusal([header, { ...post, text: 'é'.repeat(600_000) }])).to.equal('record 1: text: 1200000 bytes is over the limit of 1048576')
    // (JSON.stringify writes a lone surrogate as a \ud800 escape, which JSON.parse reads back)
    expect(refusal([header, { ...post, text: 'a\ud800b' }])).to.equal('record 1: text: a lone surrogate (half of a UTF-16 pair) has no UTF-8 form: expected well-formed text')
    expect(refusal([header, { ...post, text: 'a\ud83d\ude00b' }]), 'a pair').to.equal('')
    expect(refusal([header, { ...post, redacted: false }])).to.equal('record 1: redacted: expected true or nothing, got false')
    expect(refusal([header, { seq: 1, kind: 'redaction', user: 'a', ts: 1 }])).to.equal('record 1: redacts: expected the seq it redacted, got nothing')
    expect(refusal([header, [1, 2]])).to.equal('record 1: (line): expected an object, got an array')
    // a redacted post has no text, and needs none
    expect(refusal([header, { seq: 1, kind: 'message', user: 'a', ts: 1, redacted: true }])).to.equal('')
  })

  it('should read a JSON export line by line, and refuse one cut short or with something after its end', () => {
    const open = `${JSON.stringify(header).slice(0, -1)},"records":[`
    expect(refusal([open, `${JSON.stringify(post)},`])).to.equal('record 2: (end): the JSON export ends before its records do (cut short?)')
    expect(refusal([open, JSON.stringify(post), ']}', '{}'])).to.equal('record 2: (line): nothing may follow the end of a JSON export')
    expect(refusal([open, JSON.stringify(post), ']}', ''])).to.equal('')
  })

  it('should turn a room\'s post, and an agent\'s question and answer, into what an import adds; the rest into nothing', () => {
    const item = (kind: 'room' | 'agent', r: object) => importItemOf(kind, r as ExportRecord)
    expect(item('room', { ...post, clientId: 'c1' })).to.deep.equal({ seq: 1, user: 'ann', text: 'hi', ts: 1, clientId: 'c1' })
    expect(item('room', { seq: 2, kind: 'join', user: 'a', ts: 1 })).to.equal(undefined)
    expect(item('room', { seq: 2, kind: 'message', user: 'a', ts: 1, redacted: true })).to.equal(undefined)
    expect(item('agent', { seq: 3, kind: 'user-asked', ts: 1, text: 'q' })).to.deep.equal({ seq: 3, user: 'user', text: 'q', ts: 1 })
    expect(item('agent', { seq: 4, kind: 'agent-answered', ts: 1, text: 'a' })).to.deep.equal({ seq: 4, user: 'assistant', text: 'a', ts: 1 })
    expect(item('agent', { seq: 5, kind: 'agent-answered', ts: 1, text: '' })).to.equal(undefined)
    expect(item('agent', { seq: 6, kind: 'tools-called', ts: 1, text: 'x' })).to.equal(undefined)
  })
})
