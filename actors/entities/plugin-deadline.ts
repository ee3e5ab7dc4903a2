import { PluginDeadlineError } from './errors.ts'

/**
 * `request` (one of Plexi's requests to a plugin), rejected with PluginDeadlineError once
 * `deadlineMs` passed without an answer. The node's implementation holds the same deadline; the
 * entity holds it too, so that no room ever waits past it whatever the implementation does.
 */
export async function withinDeadline<T> (request: Promise<T>, deadlineMs: number, plugin: string, method: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new PluginDeadlineError(plugin, method, deadlineMs)) }, deadlineMs)
  })
  try {
    return await Promise.race([request, late])
  } finally {
    clearTimeout(timer)
  }
}
