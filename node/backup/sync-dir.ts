import { open } from 'node:fs/promises'

/** fsync of a directory, so the entries made or removed in it survive a power loss (Windows cannot
 * open a directory for it, and its file system journals entries itself). */
export async function syncDir (path: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await open(path, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
