import { expect } from 'chai'
import { ActorSystem } from '../../../actors/index.ts'
import { CellChildren } from '../../../actors/kernel/cell-children.ts'
import { counter } from '../../helpers/counter-behavior.ts'

/** A child that notes when it is stopped. */
const child = (name: string, stopped: string[]): { name: string, finalize: () => Promise<void> } =>
  ({ name, finalize: async () => { stopped.push(name) } })

describe('CellChildren', () => {
  let system: ActorSystem
  beforeEach(() => { system = new ActorSystem() })
  afterEach(async () => { await system.terminate() })

  it('should refuse invalid and duplicate names with clear errors', () => {
    system.spawn(counter, { name: 'one' })
    expect(() => system.spawn(counter, { name: 'one' })).to.throw(/already exists/).with.property('name', 'ActorNameTakenError')
    for (const bad of ['', 'a/b', 'tab\there', '$reserved', 'x'.repeat(201)]) {
      expect(() => system.spawn(counter, { name: bad }), bad).to.throw().with.property('name', 'InvalidNameError')
    }
  })

  it('should generate $-names no asked-for name can take, and free a name once its child is stopping', () => {
    const stopped: string[] = []
    const children = new CellChildren<ReturnType<typeof child>>()
    const first = children.nameFor(undefined, '/p')
    const second = children.nameFor(undefined, '/p')
    expect([first, second]).to.deep.equal(['$0', '$1'])
    const a = child('a', stopped)
    children.add(children.nameFor('a', '/p'), a)
    expect(() => children.nameFor('a', '/p')).to.throw(/an actor named \/p\/a already exists/)
    children.releaseName('a', child('a', stopped))
    expect(children.named('a'), 'another child cannot free the name').to.equal(a)
    children.releaseName('a', a)
    expect(children.named('a')).to.equal(undefined)
    expect(children.nameFor('a', '/p')).to.equal('a')
    expect(children.has(a)).to.equal(true)
    children.remove(a)
    expect([children.has(a), children.size]).to.deep.equal([false, 0])
  })

  it('should keep children in start order and stop them right to left', async () => {
    const stopped: string[] = []
    const children = new CellChildren<ReturnType<typeof child>>()
    for (const name of ['a', 'b', 'c']) children.add(name, child(name, stopped))
    expect(children.list().map((c) => c.name)).to.deep.equal(['a', 'b', 'c'])
    await children.stopAll()
    expect(stopped).to.deep.equal(['c', 'b', 'a'])
  })
})
