import type { RecordId, AnyRecord } from './messages.js'
import { FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID } from '../errors.js'
import { unknownOption } from '../common/values.js'

/** One sort clause: an attribute and a direction. */
export type SortClause<R> = readonly [attribute: keyof R & string, direction: 'asc' | 'desc']

/** What `find` selects: attribute equality, then sort, skip and limit (in that order). */
export interface FindQuery<R> {
  /** Records whose attributes equal these values (strict equality); every listed attribute must match. */
  where?: Partial<R>
  /** Sort clauses, most significant first. */
  sort?: ReadonlyArray<SortClause<R>>
  /** How many records to skip, after sorting. */
  skip?: number
  /** At most this many records. */
  limit?: number
}

/**
 * Where the blueprints keep records. Implement it over your database; every method is async and may
 * throw (the blueprint route answers 500 and publishes nothing). Ids passed in are already coerced to the
 * primary key's type by the route schema.
 *
 * @example
 * ```ts
 * const store: Store<User> = {
 *   find: (query) => db.users.findMany(toPrisma(query)),
 *   findOne: (id) => db.users.findUnique({ where: { id } }).then((u) => u ?? undefined),
 *   create: (values) => db.users.create({ data: values }),
 *   update: (id, changes) => db.users.update({ where: { id }, data: changes }).catch(() => undefined),
 *   destroy: (id) => db.users.delete({ where: { id } }).catch(() => undefined)
 * }
 * ```
 */
export interface Store<R extends object = AnyRecord> {
  find (query: FindQuery<R>): Promise<R[]>
  /** The record, or `undefined` when there is none with that id. */
  findOne (id: RecordId): Promise<R | undefined>
  /** Stores a new record and returns it with its primary key set. */
  create (values: Partial<R>): Promise<R>
  /** Applies the changes and returns the updated record, or `undefined` when there is none with that id. */
  update (id: RecordId, changes: Partial<R>): Promise<R | undefined>
  /** Removes the record and returns it, or `undefined` when there was none with that id. */
  destroy (id: RecordId): Promise<R | undefined>
}

/** Options of `memoryStore()`. */
export interface MemoryStoreOptions<R> {
  /**
   * Attribute holding the id.
   * @default 'id'
   */
  primaryKey?: string
  /** Records to start with; each must carry its id. New ids continue after the largest numeric one. */
  records?: readonly R[]
}

function compare (a: unknown, b: unknown): number {
  if (a === b) return 0
  if (a === undefined || a === null) return -1
  if (b === undefined || b === null) return 1
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : 1
}

/**
 * The embedded default store: records in a Map, numeric ids that auto-increment from 1 (or after the
 * largest seeded id). Records are copied in and out, so callers cannot change stored state by accident.
 * Good for examples, tests and prototypes; it keeps nothing across restarts.
 *
 * @example
 * ```ts
 * const users = memoryStore<User>({ records: [{ id: 0, name: 'root' }] })
 * await users.create({ name: 'ada' }) // { id: 1, name: 'ada' }
 * ```
 */
export function memoryStore<R extends object = AnyRecord> (options: MemoryStoreOptions<R> = {}): Store<R> {
  if (options === null || typeof options !== 'object') throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID('memoryStore options must be an object')
  for (const name of Object.keys(options)) {
    if (name !== 'primaryKey' && name !== 'records') throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID(`memoryStore: ${unknownOption(name, ['primaryKey', 'records'])}`)
  }
  const primaryKey = options.primaryKey ?? 'id'
  if (typeof primaryKey !== 'string' || primaryKey.length === 0) throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID('memoryStore primaryKey must be a non-empty string')
  if (options.records !== undefined && !Array.isArray(options.records)) throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID('memoryStore records must be an array')
  const records = new Map<RecordId, AnyRecord>()
  let next = 1
  for (const record of options.records ?? []) {
    if (record === null || typeof record !== 'object') throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID('memoryStore records must be objects')
    const id = (record as AnyRecord)[primaryKey]
    if (typeof id !== 'number' && typeof id !== 'string') {
      throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID(`memoryStore seed record without a number or string '${primaryKey}'`)
    }
    if (records.has(id)) throw new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID(`memoryStore seed records share the id ${String(id)}`)
    records.set(id, structuredClone(record) as AnyRecord)
    if (typeof id === 'number' && id >= next) next = Math.floor(id) + 1
  }
  // A string id from a caller that skipped coercion still finds a numeric record.
  const key = (id: RecordId): RecordId => typeof id === 'string' && !records.has(id) && /^-?\d+$/.test(id) ? Number(id) : id
  const out = (record: AnyRecord | undefined): R | undefined => record === undefined ? undefined : structuredClone(record) as R

  return {
    async find (query) {
      let list = [...records.values()]
      const where = query.where as AnyRecord | undefined
      if (where !== undefined) {
        const entries = Object.entries(where).filter(([, value]) => value !== undefined)
        list = list.filter((record) => entries.every(([name, value]) => record[name] === value))
      }
      const sort = query.sort ?? []
      if (sort.length > 0) {
        list.sort((a, b) => {
          for (const [name, direction] of sort) {
            const order = compare(a[name], b[name])
            if (order !== 0) return direction === 'desc' ? -order : order
          }
          return 0
        })
      }
      const skip = query.skip ?? 0
      const end = query.limit === undefined ? undefined : skip + query.limit
      return list.slice(skip, end).map((record) => structuredClone(record) as R)
    },
    async findOne (id) {
      return out(records.get(key(id)))
    },
    async create (values) {
      const id = next++
      const record: AnyRecord = { ...structuredClone(values) as AnyRecord, [primaryKey]: id }
      records.set(id, record)
      return structuredClone(record) as R
    },
    async update (id, changes) {
      const k = key(id)
      const current = records.get(k)
      if (current === undefined) return undefined
      const record: AnyRecord = { ...current, ...structuredClone(changes) as AnyRecord, [primaryKey]: current[primaryKey] }
      records.set(k, record)
      return structuredClone(record) as R
    },
    async destroy (id) {
      const k = key(id)
      const current = records.get(k)
      if (current !== undefined) records.delete(k)
      return out(current)
    }
  }
}
