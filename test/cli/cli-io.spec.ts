import { expect } from 'chai'
import { isTerminal, printJson, printTable, processIo, tableLines } from '../../cli/cli-io.ts'
import { capturedIo } from '../helpers/plexi-in-process.ts'

describe('cli-io', () => {
  it('should be the process\'s own streams, env and directory by default', () => {
    const io = processIo()
    expect(io.stdout).to.equal(process.stdout)
    expect(io.stdin).to.equal(process.stdin)
    expect(io.env).to.equal(process.env)
    expect(io.cwd).to.equal(process.cwd())
  })

  it('should print JSON indented, one value and a line end', () => {
    const io = capturedIo()
    printJson(io, { a: [1, 2] })
    expect(io.out()).to.equal('{\n  "a": [\n    1,\n    2\n  ]\n}\n')
  })

  it('should pad table columns to their widest cell, with no spaces at the ends of lines', () => {
    expect(tableLines(['NAME', 'N'], [['ann', '1'], ['bartholomew', '22']])).to.deep.equal(['NAME         N', 'ann          1', 'bartholomew  22'])
    const io = capturedIo()
    printTable(io, ['A', 'B'], [['x', '']])
    expect(io.out()).to.equal('A  B\nx\n')
  })

  it('should call a stream a terminal only when it says so', () => {
    expect(isTerminal({ isTTY: true })).to.equal(true)
    expect(isTerminal({})).to.equal(false)
    expect(isTerminal(capturedIo().stdout)).to.equal(false)
  })
})
