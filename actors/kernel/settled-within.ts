/** Whether `promise` settles (either way) within `ms`; the timer is cleared either way, so a
 * bounded wait never keeps the process alive past its answer. */
export async function settledWithin (promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const settled = await Promise.race([promise.then(() => true, () => true), new Promise<boolean>((resolve) => { timer = setTimeout(() => { resolve(false) }, ms) })])
  clearTimeout(timer)
  return settled
}
