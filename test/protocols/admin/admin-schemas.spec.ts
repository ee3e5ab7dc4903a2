import { expect } from 'chai'
import { ADMIN_SCHEMAS } from '../../../protocols/admin/admin-schemas.ts'
import { adminSchemas } from '../../../protocols/index.ts'
import { validatorOf } from '../../helpers/admin-schema-check.ts'

describe('ADMIN_SCHEMAS', () => {
  it('should hold every shared schema once, each by an id of its own, in the order OpenAPI lists them', () => {
    const ids = ADMIN_SCHEMAS.map((s) => s.$id)
    expect(ids).to.deep.equal(['Error', 'Member', 'Actor', 'Entity', 'User', 'NewUser', 'Room', 'Model', 'InferenceBackend', 'Partition', 'RepairJob', 'ScrubRow', 'StorageNode', 'Job', 'Backup', 'Restore', 'StatsSample', 'LogEntry', 'AuditRecord', 'PluginNode', 'Plugin', 'PluginInstall', 'PluginLogs', 'McpServerNode', 'McpServer', 'ImportReport', 'SearchHit', 'SearchResult'])
    expect(new Set(ids).size).to.equal(ids.length)
  })

  it('should compile together, each one referable by its id', () => {
    for (const schema of ADMIN_SCHEMAS) expect(() => validatorOf({ $ref: `${schema.$id}#` }), schema.$id).to.not.throw()
  })

  it('should keep every name the protocols folder has always exported as adminSchemas', () => {
    expect(adminSchemas).to.include.keys('ADMIN_SCHEMAS', 'ROLE_NAMES', 'MEMBER_STATUSES', 'JOB_KINDS', 'JOB_STATES', 'JOB_ID_PATTERN', 'MAX_JOB_LEFT', 'MAX_JOB_ITEM', 'MAX_JOB_WHY',
      'MAX_JOB_MESSAGE', 'MAX_JOB_ERROR', 'MAX_JOB_TARGET', 'errorSchema', 'memberSchema', 'actorSchema', 'entitySchema', 'userSchema', 'newUserSchema', 'roomSchema', 'modelSchema',
      'modelNameParam', 'userNameParam', 'roomNameParam', 'clientId', 'partitionSchema', 'repairJobSchema', 'scrubRowSchema', 'storageNodeSchema', 'jobSchema', 'backupSchema',
      'restoreSchema', 'statsSampleSchema', 'logEntrySchema', 'auditRecordSchema')
  })
})
