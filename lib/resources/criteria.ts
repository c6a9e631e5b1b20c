import { Type, type TObject, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { FST_SOCKETS_BAD_CRITERIA } from '../errors.js'
import type { AnyRecord } from './messages.js'
import type { FindQuery, SortClause } from './store.js'

// The `find` blueprint's criteria, as Sails front ends send them: `?where={"name":"ada"}` (equality only),
// `?name=ada`, `?sort=age desc,name`, `?skip=10&limit=5`.

/** The query string of a `find` request, after its route schema coerced it. */
export interface FindQuerystring { where?: string, sort?: string, skip?: number, limit?: number, [attribute: string]: unknown }

const FIND_KEYS = new Set(['where', 'sort', 'skip', 'limit'])
const SCALAR_TYPES = new Set(['string', 'number', 'integer', 'boolean'])
const SORT_CLAUSE = /^([A-Za-z_$][\w$]*)(?:\s+(asc|desc))?$/i

/** The querystring schema of a resource's `find` route, and the parser of its criteria; built once per resource. */
export function findCriteria (schema: TObject, defaultLimit: number, maxLimit: number): {
  querystring: TObject
  parse: (query: FindQuerystring) => FindQuery<AnyRecord>
} {
  const scalarAttributes: Record<string, TSchema> = {}
  for (const [name, property] of Object.entries(schema.properties)) {
    if (!FIND_KEYS.has(name) && SCALAR_TYPES.has(String((property as TSchema).type))) scalarAttributes[name] = Type.Optional(property as TSchema)
  }
  // `?name=ada` filters like `?where={"name":"ada"}` (Sails); the route schema coerces each to its attribute type.
  const querystring = Type.Object({
    ...scalarAttributes,
    where: Type.Optional(Type.String({ maxLength: 4096 })),
    sort: Type.Optional(Type.String({ maxLength: 512 })),
    skip: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Optional(Type.Integer({ minimum: 0, maximum: maxLimit }))
  })
  const checkWhere = TypeCompiler.Compile(Type.Partial(schema))
  const scalars = Object.keys(scalarAttributes)

  function parse (query: FindQuerystring): FindQuery<AnyRecord> {
    const where: AnyRecord = {}
    for (const name of scalars) if (query[name] !== undefined) where[name] = query[name]
    if (query.where !== undefined) {
      let parsed: unknown
      try { parsed = JSON.parse(query.where) } catch { throw new FST_SOCKETS_BAD_CRITERIA('where is not JSON') }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FST_SOCKETS_BAD_CRITERIA('where must be a JSON object')
      for (const [name, value] of Object.entries(parsed)) {
        if (!Object.hasOwn(schema.properties, name)) throw new FST_SOCKETS_BAD_CRITERIA(`unknown attribute '${name.slice(0, 64)}'`)
        if (value !== null && typeof value === 'object') throw new FST_SOCKETS_BAD_CRITERIA(`where.${name} must be a plain value (equality only)`)
        where[name] = value
      }
      if (!checkWhere.Check(where)) {
        const error = checkWhere.Errors(where).First()
        throw new FST_SOCKETS_BAD_CRITERIA(`where${error?.path.replaceAll('/', '.') ?? ''}: ${error?.message ?? 'does not match the schema'}`)
      }
    }
    const sort: Array<SortClause<AnyRecord>> = []
    if (query.sort !== undefined) {
      for (const clause of query.sort.split(',')) {
        const match = SORT_CLAUSE.exec(clause.trim())
        const name = match?.[1]
        if (match === null || name === undefined || !Object.hasOwn(schema.properties, name)) {
          throw new FST_SOCKETS_BAD_CRITERIA(`sort clause '${clause.trim().slice(0, 64)}' is not '<attribute> [asc|desc]'`)
        }
        sort.push([name, (match[2] ?? 'asc').toLowerCase() as 'asc' | 'desc'])
      }
    }
    return { where, sort, skip: query.skip ?? 0, limit: query.limit ?? defaultLimit }
  }

  return { querystring, parse }
}
