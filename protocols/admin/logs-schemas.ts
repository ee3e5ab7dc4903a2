/** The lines a node logged, as `/api/v1/logs` shows them. */

/** pino's levels by name, lowest first: `/logs?level=` shows the lines at a level or above. */
export const LOG_LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const

export const logEntrySchema = {
  $id: 'LogEntry',
  type: 'object',
  required: ['seq', 'time', 'level', 'msg', 'component', 'fields'],
  properties: {
    seq: { type: 'integer', description: 'counts the lines the node logged since it started' },
    time: { type: 'integer', description: 'ms since the epoch' },
    level: { type: 'string', enum: LOG_LEVEL_NAMES },
    msg: { type: 'string' },
    component: { type: ['string', 'null'] },
    fields: { type: 'object', additionalProperties: true }
  }
} as const
