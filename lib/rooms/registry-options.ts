import { KindGuard, type TSchema } from '@sinclair/typebox'
import { FST_SOCKETS_OPTIONS_INVALID } from '../errors.js'
import { isPlainObject } from '../common/values.js'
import type { JoinGuard } from './declarations.js'
import { eventNameProblem } from './registry.js'

// Checks the shapes of the `events`, `rooms` and `validate` options; the registry and the room rules
// compile them.

/** A declared room pattern, checked but not compiled. */
export interface RoomPatternOption { readonly pattern: TSchema, readonly join: JoinGuard | undefined }

/** `events`, `rooms` and `validate` after their checks. */
export interface ResolvedRegistry {
  readonly events: Readonly<Record<string, TSchema>> | undefined
  readonly rooms: Readonly<Record<string, RoomPatternOption>> | undefined
  readonly validate: boolean
}

// A room pattern must only ever accept strings: template literals, string literals, strings, unions of them.
function isRoomSchema (schema: TSchema): boolean {
  if (KindGuard.IsUnion(schema)) return schema.anyOf.length > 0 && schema.anyOf.every(isRoomSchema)
  if (KindGuard.IsLiteral(schema)) return typeof schema.const === 'string'
  return KindGuard.IsTemplateLiteral(schema) || KindGuard.IsString(schema)
}

/**
 * The `events` option: an object of event name -> TypeBox schema.
 * @throws FST_SOCKETS_OPTIONS_INVALID
 */
export function resolveEvents (value: unknown): ResolvedRegistry['events'] {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw new FST_SOCKETS_OPTIONS_INVALID('events must be an object of event name -> TypeBox schema')
  const events = Object.create(null) as Record<string, TSchema>
  for (const [name, schema] of Object.entries(value)) {
    const problem = eventNameProblem(name)
    if (problem !== undefined) throw new FST_SOCKETS_OPTIONS_INVALID(`events: ${problem}`)
    if (!KindGuard.IsSchema(schema)) throw new FST_SOCKETS_OPTIONS_INVALID(`events.${name} must be a TypeBox schema`)
    events[name] = schema
  }
  return Object.freeze(events)
}

/**
 * The `rooms` option: an object of label -> TypeBox string pattern or `{ pattern, join }`.
 * @throws FST_SOCKETS_OPTIONS_INVALID
 */
export function resolveRooms (value: unknown): ResolvedRegistry['rooms'] {
  if (value === undefined) return undefined
  if (!isPlainObject(value)) throw new FST_SOCKETS_OPTIONS_INVALID('rooms must be an object of label -> TypeBox pattern or { pattern, join }')
  const rooms = Object.create(null) as Record<string, RoomPatternOption>
  for (const [label, entry] of Object.entries(value)) {
    let pattern: unknown = entry
    let join: unknown
    if (!KindGuard.IsSchema(entry) && isPlainObject(entry)) {
      for (const key of Object.keys(entry)) {
        if (key !== 'pattern' && key !== 'join') throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label}: unknown key '${key}' (expected pattern, join)`)
      }
      pattern = entry.pattern
      join = entry.join
    }
    if (!KindGuard.IsSchema(pattern) || !isRoomSchema(pattern)) {
      throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label} must be a TypeBox string pattern (Type.TemplateLiteral, Type.Literal, Type.String or a union of them), or { pattern, join }`)
    }
    if (join !== undefined && typeof join !== 'function') throw new FST_SOCKETS_OPTIONS_INVALID(`rooms.${label}.join must be a function`)
    rooms[label] = Object.freeze({ pattern, join: join as JoinGuard | undefined })
  }
  return Object.freeze(rooms)
}
