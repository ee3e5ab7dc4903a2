/** '12s ago', '5m ago', '3h ago', '2d ago' for an ISO time: how old a job, a pass or a repair is. */
export function ago (iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000))
  return s < 120 ? `${s}s ago` : s < 7_200 ? `${Math.round(s / 60)}m ago` : s < 172_800 ? `${Math.round(s / 3_600)}h ago` : `${Math.round(s / 86_400)}d ago`
}
