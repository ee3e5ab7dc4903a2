/** `12.3 MiB`: a size in a table of backups or models, always in MiB so a column compares at a glance. */
export function mib (bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`
}
