import { expect } from 'chai'
import { CliError, UsageError } from '../../cli/cli-errors.ts'

describe('cli-errors', () => {
  it('should tell a usage error from a failure by class and name', () => {
    const usage = new UsageError('--room is required')
    expect(usage).to.be.instanceOf(Error)
    expect(usage.name).to.equal('UsageError')
    expect(usage).to.not.be.instanceOf(CliError)
  })

  it('should keep what an admin answer or a gRPC call said with the failure', () => {
    const plain = new CliError('no node')
    expect(plain).to.include({ name: 'CliError', message: 'no node', answer: undefined, call: undefined })
    const answered = new CliError('refused', { status: 409, code: 'exists', message: 'user exists' })
    expect(answered.answer).to.deep.equal({ status: 409, code: 'exists', message: 'user exists' })
    const called = new CliError('lost', undefined, { code: 14, details: 'No connection established' })
    expect(called.call).to.deep.equal({ code: 14, details: 'No connection established' })
  })
})
