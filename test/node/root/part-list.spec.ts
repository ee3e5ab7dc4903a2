import { expect } from 'chai'
import { Lifecycle } from '../../../node/lifecycle.ts'
import { ComponentWiringError, Components, checkPartList, startParts } from '../../../node/root/index.ts'
import type { PartSpec } from '../../../node/root/index.ts'

interface Shape { base: number, one: number, two: number, three: number | undefined }
const quiet = { warn: () => undefined }

describe('part list', () => {
  const part = (id: string, needs: Array<keyof Shape>, gives: Array<keyof Shape>, events: string[], more: Partial<PartSpec<Shape>> = {}): PartSpec<Shape> => ({
    id,
    needs,
    gives,
    start: (c) => {
      events.push(`start ${id}`)
      for (const g of gives) c.provide(g, (needs.reduce((sum, n) => sum + (c.get(n) ?? 0), 1)), id)
      return { stop: () => { events.push(`stop ${id}`) } }
    },
    ...more
  })

  it('should find a part that needs a component no part before it gives, and two parts giving one', () => {
    const events: string[] = []
    expect(checkPartList([part('two', ['one'], ['two'], events), part('one', ['base'], ['one'], events)], ['base'])).to.deep.equal(['two needs one, which no part before it gives'])
    expect(checkPartList([part('one', ['base'], ['one'], events), part('also', [], ['one'], events), part('one', [], [], events)], ['base']))
      .to.deep.equal(['also gives one, which one gives already', 'two parts are named one'])
    expect(checkPartList([part('one', ['base'], ['one'], events), part('two', ['one'], ['two'], events)], ['base'])).to.deep.equal([])
  })

  it('should start the parts in order, give a part that does not run as undefined, and stop them right to left', async () => {
    const events: string[] = []
    const c = new Components<Shape>({ base: 10 })
    const lifecycle = new Lifecycle(quiet)
    await startParts(lifecycle, [
      part('one', ['base'], ['one'], events),
      part('three', [], ['three'], events, { runs: () => false }),
      part('two', ['one', 'three'], ['two'], events)
    ], c)
    expect(c.get('one')).to.equal(11)
    expect(c.get('three')).to.equal(undefined)
    expect(c.get('two')).to.equal(12)
    expect(lifecycle.started).to.deep.equal(['one', 'two'])
    await lifecycle.stop()
    expect(events).to.deep.equal(['start one', 'start two', 'stop two', 'stop one'])
  })

  it('should start nothing when the list is wired wrong', async () => {
    const events: string[] = []
    const lifecycle = new Lifecycle(quiet)
    let failed: unknown
    await startParts(lifecycle, [part('two', ['one'], ['two'], events), part('one', [], ['one'], events)], new Components<Shape>({ base: 1 })).catch((err: unknown) => { failed = err })
    expect(failed).to.be.instanceOf(ComponentWiringError)
    expect((failed as Error).message).to.contain('two needs one, which no part before it gives')
    expect(events).to.deep.equal([])
  })

  it('should refuse a part that started without giving what it declared, and stop what started when asked', async () => {
    const events: string[] = []
    const lifecycle = new Lifecycle(quiet)
    const lazy: PartSpec<Shape> = { id: 'lazy', needs: [], gives: ['two'], start: () => { events.push('start lazy'); return { stop: () => { events.push('stop lazy') } } } }
    let failed: unknown
    await startParts(lifecycle, [part('one', [], ['one'], events), lazy], new Components<Shape>({ base: 1 })).catch((err: unknown) => { failed = err })
    expect((failed as Error).message).to.equal('lazy started without giving two')
    await lifecycle.stop()
    expect(events).to.deep.equal(['start one', 'start lazy', 'stop lazy', 'stop one'])
  })
})
