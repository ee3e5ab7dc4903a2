import { expect } from 'chai'
import { isStopping, isUp } from '../../../actors/kernel/cell-status.ts'
import type { CellStatus } from '../../../actors/index.ts'

describe('cell status', () => {
  const all: CellStatus[] = ['starting', 'running', 'suspended', 'stopping', 'stopped']

  it('should call only stopping and stopped (and no actor at all: not) stopping', () => {
    expect(all.filter((s) => isStopping(s))).to.deep.equal(['stopping', 'stopped'])
    expect(isStopping(undefined)).to.equal(false)
  })

  it('should call only running and starting up: a suspended actor takes messages but handles none', () => {
    expect(all.filter((s) => isUp(s))).to.deep.equal(['starting', 'running'])
  })
})
