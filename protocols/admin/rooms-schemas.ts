/** Rooms as `GET /api/v1/rooms` lists them. */
import { ROOM_NAME_PATTERN } from '../names.ts'

export const roomSchema = {
  $id: 'Room',
  type: 'object',
  required: ['name', 'createdAt', 'createdBy', 'active'],
  properties: {
    name: { type: 'string' },
    createdAt: { type: 'integer' },
    createdBy: { type: 'string' },
    active: { type: 'boolean', description: 'activated in memory on this node now' }
  }
} as const

export const roomNameParam = { type: 'string', pattern: ROOM_NAME_PATTERN.source } as const
