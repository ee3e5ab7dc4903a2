import { expect } from 'chai'
import { exportQuery, importQuery, importReportSchema } from '../../../protocols/admin/transfer-schemas.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('transfer schemas', () => {
  it('should fit an import\'s report, and take only the formats and flags an export and an import have', () => {
    const report = validatorOf(importReportSchema)
    const full = { source: 's', kind: 'room', name: 'r', dryRun: false, records: 3, added: 2, skipped: 0, notImportable: 1, firstSeq: 1, lastSeq: 2, watermark: 2, batches: 1 }
    expect(report(full).ok).to.equal(true)
    expect(report({ ...full, kind: 'user' }).ok).to.equal(false)
    expect(report({ ...full, batches: undefined }).errors).to.deep.equal(["must have required property 'batches'"])
    expect(validatorOf(exportQuery)({ format: 'ndjson' }).ok).to.equal(true)
    expect(validatorOf(exportQuery)({ format: 'pdf' }).ok).to.equal(false)
    expect(validatorOf(importQuery)({ dryRun: true, as: 'carol' }).ok).to.equal(true)
    expect(validatorOf(importQuery)({ as: 'Not A User' }).ok).to.equal(false)
  })
})
