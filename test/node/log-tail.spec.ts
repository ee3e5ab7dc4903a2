import { Writable } from 'node:stream'
import { expect } from 'chai'
import { pino } from 'pino'
import { LogTail } from '../../node/index.ts'
import type { LogEntry } from '../../node/index.ts'

describe('LogTail', () => {
  it('should keep each line pino writes, with its level name, message, component and other fields', () => {
    const tail = new LogTail()
    const log = pino({ level: 'debug' }, tail)
    log.child({ component: 'backup' }).warn({ peer: 'p1', err: { message: 'boom' } }, 'holder did not answer')
    log.debug('details')
    log.trace('not logged at debug')
    const [first, second, ...rest] = tail.entries()
    expect(rest).to.deep.equal([])
    expect(first).to.deep.include({ seq: 1, level: 'warn', msg: 'holder did not answer', component: 'backup' })
    expect(first?.fields).to.have.keys('peer', 'err')
    expect(first?.fields).to.deep.include({ peer: 'p1' })
    expect((first?.fields.err as { message: string }).message).to.equal('boom')
    expect(first?.time).to.be.a('number')
    expect(second).to.deep.include({ seq: 2, level: 'debug', msg: 'details', component: null, fields: {} })
  })

  it('should list lines at a level or above, the last ones up to a limit, oldest first', () => {
    const tail = new LogTail()
    const levels = [10, 30, 40, 50, 30, 60] as const
    levels.forEach((level, i) => tail.push({ level, time: i, msg: `m${i}` }))
    expect(tail.entries('warn').map((e) => e.msg)).to.deep.equal(['m2', 'm3', 'm5'])
    expect(tail.entries('info', 2).map((e) => e.msg)).to.deep.equal(['m4', 'm5'])
    expect(tail.entries().length).to.equal(6)
  })

  it('should forget the oldest lines beyond its capacity, their seqs showing the gap', () => {
    const tail = new LogTail({ capacity: 3 })
    for (let i = 0; i < 5; i++) tail.push({ level: 30, msg: `m${i}` })
    expect(tail.entries().map((e) => [e.seq, e.msg])).to.deep.equal([[3, 'm2'], [4, 'm3'], [5, 'm4']])
  })

  it('should tell readers of each new line until they leave, and drop a reader that throws', () => {
    const tail = new LogTail()
    const seen: LogEntry[] = []
    const leave = tail.subscribe((e) => { seen.push(e) })
    let bad = 0
    tail.subscribe(() => { bad++; throw new Error('broken') })
    tail.push({ level: 30, msg: 'a' })
    tail.push({ level: 30, msg: 'b' })
    leave()
    tail.push({ level: 30, msg: 'c' })
    expect(seen.map((e) => e.msg)).to.deep.equal(['a', 'b'])
    expect(bad).to.equal(1)
  })

  it('should ignore what is not a JSON object, and cut what is too long to show', () => {
    const tail = new LogTail()
    expect(tail.write('not json\n')).to.equal(true)
    expect(tail.write('42\n')).to.equal(true)
    tail.write(JSON.stringify({ level: 99, msg: 'x'.repeat(5000), blob: 'y'.repeat(10_000) }))
    const [entry, ...rest] = tail.entries()
    expect(rest).to.deep.equal([])
    expect(entry?.level).to.equal('info')
    expect(entry?.msg.length).to.equal(2000)
    expect(entry?.fields).to.have.keys('truncated')
  })

  it('should not stop the other destinations of a multistream logger', () => {
    const tail = new LogTail()
    const lines: string[] = []
    const stdout = new Writable({ write (chunk, _enc, done) { lines.push(String(chunk)); done() } })
    const log = pino({ level: 'info' }, pino.multistream([{ level: 'trace', stream: stdout }, { level: 'trace', stream: tail }]))
    log.info('both')
    expect(lines).to.have.length(1)
    expect(tail.entries().map((e) => e.msg)).to.deep.equal(['both'])
  })
})
