/** Exports and imports of conversations (docs/operations.md, "Export and import"): the exporter
 * that reads rooms' and agents' journals page by page, the text it streams as, and the importer
 * that checks an export whole and appends it in batches, idempotent by the source's watermark. */
export { Exporter, recordsOf } from './exporter.ts'
export type { ExportLine, ExportStream, ExporterOptions, LocalRecords } from './exporter.ts'
export type { FramedLines, PackedRecordLike } from './framed-writer.ts'
export { exportChunks, exportText, roomExportOptions } from './export-text.ts'
export { Importer } from './importer.ts'
export type { ImportTarget, ImporterOptions } from './importer.ts'
export { fileLines, spoolImport } from './import-spool.ts'
export type { ImportSpool } from './import-spool.ts'
export { readPages } from './page-reader.ts'
export type { ItemPage, PageRead } from './page-reader.ts'
export * from './constants.ts'
export * from './errors.ts'
