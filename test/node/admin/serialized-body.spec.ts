import { expect } from 'chai'
import { SerializedBody } from '../../../node/admin/serialized-body.ts'

describe('SerializedBody', () => {
  it('should serialize again only when some part is not the same object as the last time', () => {
    const body = new SerializedBody()
    let serialized = 0
    const entries = [{ n: 1 }, { n: 2 }]
    const json = (parts: readonly unknown[]): string => body.json(parts, () => { serialized++; return JSON.stringify(parts) }).toString()
    const first = json(['info', 200, entries.length, entries[0], entries.at(-1)])
    expect(json(['info', 200, entries.length, entries[0], entries.at(-1)])).to.equal(first)
    expect(serialized).to.equal(1)
    // an equal object that is not the same one is another part
    json(['info', 200, entries.length, entries[0], { n: 2 }])
    entries.push({ n: 3 })
    json(['info', 200, entries.length, entries[0], entries.at(-1)])
    json(['warn', 200, entries.length, entries[0], entries.at(-1)])
    json(['warn', 200, entries.length, entries[0]])
    expect(serialized).to.equal(5)
  })

  it('should keep the text as its UTF-8 bytes', () => {
    const body = new SerializedBody()
    const bytes = body.json(['x'], () => '{"name":"café ☕"}')
    expect(Buffer.isBuffer(bytes)).to.equal(true)
    expect(JSON.parse(bytes.toString('utf8'))).to.deep.equal({ name: 'café ☕' })
    expect(body.json(['x'], () => { throw new Error('serialized again') })).to.equal(bytes)
  })
})
