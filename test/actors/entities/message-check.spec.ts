import { expect } from 'chai'
import { InvalidMessageError, MessageCheck } from '../../../actors/index.ts'
import { LONE_SURROGATE } from '../../../actors/entities/message-check.ts'

/** The refusal `read` throws for `msg`, or '' when it passes. */
function refusal (msg: unknown, read: (m: MessageCheck) => unknown): string {
  try {
    read(new MessageCheck(msg, 'test message'))
    return ''
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidMessageError)
    return (err as Error).message
  }
}

describe('MessageCheck', () => {
  it('should take an object with a string type, and refuse anything else saying what came', () => {
    expect(new MessageCheck({ type: 'post' }, 'room message').type).to.equal('post')
    expect(refusal('post', () => undefined)).to.equal('test message: expected an object with a type, got "post"')
    expect(refusal([], () => undefined)).to.equal('test message: expected an object with a type, got an array')
    expect(refusal(new Uint8Array(2), () => undefined)).to.equal('test message: expected an object with a type, got bytes')
    expect(refusal({ type: 5 }, () => undefined)).to.equal('test message: type: expected a string, got 5')
    expect(refusal({ type: 'erase' }, (m) => m.unknownType(['post', 'join']))).to.equal('test message: unknown type "erase"; expected one of post, join')
  })

  it('should read each kind of field, naming the field and what it expects, and clip what came', () => {
    const msg = {
      type: 'post', name: 'alice', text: 'héllo', n: 3, ts: 1.5, kind: 'a', room: 'general', key: 'k', entity: 'room',
      replyTo: { askId: '1', node: 'n' }, gateway: { node: 'n', path: '/gw' }, nested: { inner: 'x' }, id: undefined
    }
    expect(refusal(msg, (m) => [m.string('name', 10), m.text('text', 10), m.integer('n', 1, 5), m.number('ts'), m.oneOf('kind', ['a', 'b']),
      m.userName('name'), m.roomName('room'), m.entityKey('key'), m.entityType('entity'), m.clientId('id'), m.replyTo(), m.address('gateway'),
      m.object('nested').string('inner', 1), m.matching('kind', /^a$/, 'the letter a')])).to.equal('')
    expect(refusal(msg, (m) => m.string('name', 3))).to.equal('test message post: name: expected a string of 1 to 3 characters, got "alice"')
    expect(refusal(msg, (m) => m.integer('n', 4, 5))).to.equal('test message post: n: expected an integer from 4 to 5, got 3')
    expect(refusal(msg, (m) => m.text('text', 5))).to.equal('test message post: text: 6 bytes is over the limit of 5')
    // half of a surrogate pair has no UTF-8 form: it would be stored as U+FFFD
    expect(refusal({ type: 'post', text: 'x\udc00' }, (m) => m.text('text', 10))).to.equal(`test message post: text: ${LONE_SURROGATE}`)
    expect(refusal({ type: 'post', text: '\ud83d\ude00' }, (m) => m.text('text', 10))).to.equal('')
    expect(refusal(msg, (m) => m.object('nested').integer('inner', 0, 1))).to.equal('test message post: nested.inner: expected an integer from 0 to 1, got "x"')
    expect(refusal(msg, (m) => m.replyTo('gateway'))).to.match(/replyTo|gateway: expected a reply address \{ askId, node \}, got an object/)
    expect(refusal(msg, (m) => m.refuse('kind', 'something else'))).to.equal('test message post: kind: expected something else, got "a"')
    expect(refusal({ type: 'post', long: 'x'.repeat(500) }, (m) => m.integer('long', 0, 1))).to.have.length.below(120)
    expect(refusal({ type: 'post' }, (m) => m.number('missing'))).to.equal('test message post: missing: expected a finite number, got nothing')
    expect(refusal({ type: 'post', key: 'a/b' }, (m) => m.entityKey('key'))).to.match(/key: expected an entity key/)
  })

  it('should read true or false, and an array of objects each read with the same rules, naming the item in errors', () => {
    const msg = { type: 'ended', ok: true, items: [{ id: 'a' }, { id: 'b' }], none: [] }
    expect(refusal(msg, (m) => [m.boolean('ok'), m.objects('items', 2).map((i) => i.string('id', 1)), m.objects('none', 0)])).to.equal('')
    expect(new MessageCheck(msg, 'test message').objects('items', 2).map((i) => i.raw('id'))).to.deep.equal(['a', 'b'])
    expect(refusal({ type: 'ended', ok: 1 }, (m) => m.boolean('ok'))).to.equal('test message ended: ok: expected true or false, got 1')
    expect(refusal(msg, (m) => m.objects('items', 1))).to.equal('test message ended: items: expected an array of at most 1 objects, got an array')
    expect(refusal({ type: 'ended', items: { id: 'a' } }, (m) => m.objects('items', 3))).to.equal('test message ended: items: expected an array of at most 3 objects, got an object')
    expect(refusal({ type: 'ended', items: [{ id: 'a' }, 'b'] }, (m) => m.objects('items', 3))).to.equal('test message ended: items.1: expected an object, got "b"')
    expect(refusal(msg, (m) => m.objects('items', 2).map((i) => i.integer('id', 0, 1)))).to.equal('test message ended: items.0.id: expected an integer from 0 to 1, got "a"')
  })

  it('should leave fields nobody asks for alone, and hand out a raw field for a check of its own', () => {
    const m = new MessageCheck({ type: 'post', extra: { anything: true }, change: { persona: 'p' } }, 'test message')
    expect(m.raw('change')).to.deep.equal({ persona: 'p' })
    expect(m.raw('absent')).to.equal(undefined)
  })
})
