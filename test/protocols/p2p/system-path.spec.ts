import { expect } from 'chai'
import { parseSystemPath, systemPath } from '../../../protocols/p2p/index.ts'

describe('systemPath', () => {
  it('should keep version 1 the bare name it has always been on the wire, and mark later versions', () => {
    expect(systemPath('migration', 1)).to.equal('/migration')
    expect(systemPath('migration', 2)).to.equal('/migration@2')
    expect(parseSystemPath('/migration')).to.deep.equal({ name: 'migration', version: 1 })
    expect(parseSystemPath('/migration@2')).to.deep.equal({ name: 'migration', version: 2 })
  })

  it('should refuse names and versions that are not one, and read no path twice', () => {
    expect(() => systemPath('Migration', 1)).to.throw(TypeError, 'lowercase')
    expect(() => systemPath('a/b', 1)).to.throw(TypeError)
    expect(() => systemPath('migration', 0)).to.throw(TypeError, 'at least 1')
    expect(() => systemPath('migration', 1.5)).to.throw(TypeError)
    expect(parseSystemPath('/migration@1')).to.equal(undefined)
    expect(parseSystemPath('/rooms/general')).to.equal(undefined)
    expect(parseSystemPath('migration')).to.equal(undefined)
  })
})
