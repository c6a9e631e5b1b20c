import type { TObject } from '@sinclair/typebox'
import { FST_SOCKETS_RESOURCE_OPTIONS_INVALID } from '../errors.js'
import { LIMITS } from '../common/limits.js'
import { describe, messageOf, unknownOption } from '../common/values.js'
import { RESOURCE_ROOM_PREFIX } from '../rooms/rules.js'
import { eventNameProblem } from '../rooms/registry.js'
import { Resource, type RoomOps } from './resource.js'

const IDENTITY = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/
const KNOWN_OPTIONS = new Set(['primaryKey', 'schema'])

function isObjectSchema (value: unknown): value is TObject {
  if (value === null || typeof value !== 'object') return false
  const schema = value as Record<string, unknown>
  return schema.type === 'object' && schema.properties !== null && typeof schema.properties === 'object'
}

/** What the resources need beside the room operations: to let their own room names pass the declared patterns. */
export interface ResourceRooms extends RoomOps {
  allowRoomPrefix (prefix: string): void
}

/** The resources of one registration: one Resource per identity, created on first use. */
export class Resources {
  readonly #rooms: ResourceRooms
  readonly #byIdentity = new Map<string, Resource<object>>()

  constructor (rooms: ResourceRooms) {
    this.#rooms = rooms
  }

  /**
   * The resource of `identity`, created on first use; the same object on later calls with the same options.
   * @throws FST_SOCKETS_RESOURCE_OPTIONS_INVALID
   */
  get (identity: unknown, options: unknown): Resource<object> {
    if (typeof identity !== 'string' || !IDENTITY.test(identity) || eventNameProblem(identity) !== undefined) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`identity ${describe(identity)} must match ${IDENTITY.source} and not be a reserved socket.io event`)
    }
    if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`options of '${identity}' must be an object`)
    }
    const opts = (options ?? {}) as Record<string, unknown>
    for (const key of Object.keys(opts)) {
      if (!KNOWN_OPTIONS.has(key)) throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`${unknownOption(key, [...KNOWN_OPTIONS])} of '${identity}'`)
    }
    const existing = this.#byIdentity.get(identity)
    if (existing !== undefined) {
      // Asking again gives the same resource, as long as every option given matches the first call's.
      if ((opts.primaryKey === undefined || opts.primaryKey === existing.primaryKey) &&
        (opts.schema === undefined || opts.schema === existing.schema)) return existing
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`'${identity}' already exists with other options (primaryKey '${existing.primaryKey}'${existing.schema === undefined ? ', no schema' : ', another schema'})`)
    }
    const primaryKey = opts.primaryKey ?? 'id'
    if (typeof primaryKey !== 'string' || primaryKey.length === 0 || primaryKey.length > LIMITS.attribute) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`primaryKey of '${identity}' must be a non-empty string`)
    }
    const schema = opts.schema
    if (schema !== undefined) {
      if (!isObjectSchema(schema)) throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' must be a TypeBox object schema (Type.Object)`)
      if (!Object.hasOwn(schema.properties, primaryKey)) {
        throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' has no property '${primaryKey}' (its primaryKey)`)
      }
    }
    let resource: Resource<object>
    try {
      resource = new Resource<object>(this.#rooms, identity, primaryKey, schema as TObject | undefined)
    } catch (err) {
      throw new FST_SOCKETS_RESOURCE_OPTIONS_INVALID(`schema of '${identity}' does not compile: ${messageOf(err)}`)
    }
    // resource rooms skip the declared room patterns from the first resource on
    if (this.#byIdentity.size === 0) this.#rooms.allowRoomPrefix(RESOURCE_ROOM_PREFIX)
    this.#byIdentity.set(identity, resource)
    return resource
  }
}
