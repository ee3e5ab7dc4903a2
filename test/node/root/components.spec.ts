import { expect } from 'chai'
import { ComponentWiringError, Components } from '../../../node/root/index.ts'

interface Shape { a: number, b: string, c: boolean | undefined }

describe('Components', () => {
  it('should give what a part provided and say who gave it when given twice', () => {
    const c = new Components<Shape>({ a: 1 })
    c.provide('b', 'two', 'part-b')
    expect(c.get('a')).to.equal(1)
    expect(c.get('b')).to.equal('two')
    expect(c.given).to.deep.equal(['a', 'b'])
    expect(() => { c.provide('b', 'again', 'part-x') }).to.throw(ComponentWiringError, 'part-x gives b, which part-b gave already')
    expect(c.get('b')).to.equal('two')
  })

  it('should refuse to read a component no part gave yet, naming it', () => {
    const c = new Components<Shape>()
    expect(c.has('c')).to.equal(false)
    expect(() => c.get('c')).to.throw(ComponentWiringError, 'c was read before any part gave it')
  })

  it('should count a component given as undefined as given (a part that does not run)', () => {
    const c = new Components<Shape>()
    c.provide('c', undefined, 'part-c')
    expect(c.has('c')).to.equal(true)
    expect(c.get('c')).to.equal(undefined)
  })
})

describe('Components.view', () => {
  it('should let a part read only what it declared it needs and give only what it declared it gives', () => {
    const c = new Components<Shape>({ a: 1, b: 'x' })
    const view = c.view('part-c', ['a'], ['c'])
    expect(view.get('a')).to.equal(1)
    expect(() => view.get('b')).to.throw(ComponentWiringError, 'part-c reads b, which it does not declare among its needs')
    expect(() => { view.provide('a', 2, 'part-c') }).to.throw(ComponentWiringError, 'part-c gives a, which it does not declare among its gives')
    view.provide('c', true, 'part-c')
    expect(c.get('c')).to.equal(true)
    expect(view.has('c')).to.equal(true)
  })
})
