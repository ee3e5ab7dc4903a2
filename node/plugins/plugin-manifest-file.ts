import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidPluginManifestError, MAX_MANIFEST_BYTES, PLUGIN_MANIFEST_FILE, checkPluginManifest } from '../../protocols/index.ts'
import type { PluginManifest } from '../../protocols/index.ts'

/**
 * The manifest of the package in `dir` (its `plexi-plugin.json`), read and checked against the
 * package (checkPluginManifest with the package's folder): InvalidPluginManifestError naming the
 * field, or `(file)` when there is no such file, it is over MAX_MANIFEST_BYTES, or it is not JSON.
 */
export async function readPluginManifest (dir: string): Promise<PluginManifest> {
  const path = join(dir, PLUGIN_MANIFEST_FILE)
  let text: string
  try {
    const file = await open(path, 'r')
    try {
      const { size } = await file.stat()
      if (size > MAX_MANIFEST_BYTES) throw new InvalidPluginManifestError('(file)', `${PLUGIN_MANIFEST_FILE} is ${size} bytes, over ${MAX_MANIFEST_BYTES}`)
      text = await file.readFile('utf8')
    } finally {
      await file.close()
    }
  } catch (err) {
    if (err instanceof InvalidPluginManifestError) throw err
    throw new InvalidPluginManifestError('(file)', `no ${PLUGIN_MANIFEST_FILE} at the package's root (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new InvalidPluginManifestError('(file)', `${PLUGIN_MANIFEST_FILE} is not JSON: ${(err as Error).message}`)
  }
  return checkPluginManifest(value, { packageDir: dir })
}
