/** Plexi's export format (docs/api.md, "Export and import"): its header and records, the writer of
 * its three formats, and the reader that checks an export record by record for an import. */
export * from './constants.ts'
export * from './errors.ts'
export type { AgentRecord, ExportHeader, ExportKind, ExportRecord, ImportItem, ImportReport, ImportedFrom, RoomRecord, SettingsRecord } from './export-record.ts'
export { ExportWriter } from './export-writer.ts'
export type { ExportFormat } from './export-writer.ts'
export { ExportReader, importItemOf } from './export-reader.ts'
