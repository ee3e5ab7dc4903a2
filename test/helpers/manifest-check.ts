import type { PluginManifest } from '../../protocols/plugins/index.ts'

/**
 * Stands in for the plugin host's `checkPluginManifest` (protocols/plugins) in the registry's specs
 * until the host's workstream lands it on this branch: the fields the registry reads, each refused
 * with an error naming it. The composition root hands the registry the real one.
 */
export function testManifestCheck (value: unknown): PluginManifest {
  const m = value as Record<string, unknown> | null
  const refuse = (field: string, expected: string): never => { throw Object.assign(new Error(`plexi-plugin.json: ${field}: expected ${expected}`), { name: 'InvalidPluginManifestError', kind: 'invalid' }) }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return refuse('(the manifest)', 'an object')
  for (const field of ['name', 'version', 'description', 'plexi']) if (typeof m[field] !== 'string') refuse(field, 'a string')
  const entry = m.entry as Record<string, unknown> | null
  if (entry === null || typeof entry !== 'object' || (typeof entry.node !== 'string' && typeof entry.command !== 'string')) refuse('entry', '{ node } or { command, args }')
  if (m.permissions === null || typeof m.permissions !== 'object' || Array.isArray(m.permissions)) refuse('permissions', 'an object')
  return m as unknown as PluginManifest
}
