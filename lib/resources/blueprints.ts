import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { Type, type TObject, type TSchema, type Static } from '@sinclair/typebox'
import { FASTIFY_REGISTER_KEYS } from '../options.js'
import { unknownOption } from '../common/values.js'
import type { RecordId, AnyRecord } from './messages.js'
import type { Resource } from './resource.js'
import { memoryStore, type Store } from './store.js'
import { findCriteria, type FindQuerystring } from './criteria.js'
import {
  FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID, FST_SOCKETS_BLUEPRINT_NO_PLUGIN, FST_SOCKETS_RECORD_NOT_FOUND, FST_SOCKETS_CLUSTER_UNAVAILABLE
} from '../errors.js'

/**
 * The response header of a blueprint mutation whose write committed but whose publish failed (the
 * cluster became unavailable, or a node did not acknowledge): its value is the error code, e.g.
 * `FST_SOCKETS_CLUSTER_UNAVAILABLE`. The status and body are the write's; other sockets may not have
 * heard of it, so clients that care re-fetch. Set it from your own routes the same way.
 *
 * @example
 * ```ts
 * const jwr = await socket.post('/user', { name: 'ada' })
 * if (jwr.headers[PUBLISH_ERROR_HEADER] !== undefined) await refreshUsers() // stored; others may not know yet
 * ```
 */
export const PUBLISH_ERROR_HEADER = 'fastify-sockets-publish-error'

/**
 * Options of the blueprints plugin: REST + realtime routes for one resource.
 *
 * @example
 * ```ts
 * const User = Type.Object({ id: Type.Integer(), name: Type.String({ minLength: 1 }) })
 * await app.register(fastifySockets)
 * await app.register(blueprints, { identity: 'user', schema: User })
 * ```
 */
export interface BlueprintOptions<S extends TObject = TObject> {
  /** The resource identity: event name of its messages, and the route path unless `path` is given. */
  identity: string
  /** TypeBox object schema of a record; it must hold the primary key. Route schemas are derived from it. */
  schema: S
  /**
   * Where records live.
   * @default memoryStore({ primaryKey })
   */
  store?: Store<Static<S>>
  /**
   * Attribute holding the id; its schema types the `:id` route parameter.
   * @default 'id'
   */
  primaryKey?: string
  /**
   * Path of the routes (Fastify's `prefix` register option still applies in front of it).
   * @default `/${identity}`
   */
  path?: string
  /**
   * `true` sends a socket's own changes back to it too; by default the requesting socket is excluded
   * (Sails' `blueprints.mirror`).
   * @default false
   */
  mirror?: boolean
  /**
   * `find` over a socket also watches the resource (hears `created`), as Sails' `autoWatch`.
   * @default true
   */
  autoWatch?: boolean
  /**
   * Records `find` returns when the request gives no `limit` (Sails' `defaultLimit`).
   * @default 30
   */
  defaultLimit?: number
  /**
   * The largest `limit` a request may ask for (larger ones get 400).
   * @default 1000
   */
  maxLimit?: number
}

// Fastify passes its own register options to the plugin too.
const KNOWN = new Set(['identity', 'schema', 'store', 'primaryKey', 'path', 'mirror', 'autoWatch', 'defaultLimit', 'maxLimit',
  ...FASTIFY_REGISTER_KEYS])
const STORE_METHODS = ['find', 'findOne', 'create', 'update', 'destroy'] as const

interface Resolved {
  identity: string
  schema: TObject
  store: Store<AnyRecord>
  primaryKey: string
  path: string
  mirror: boolean
  autoWatch: boolean
  defaultLimit: number
  maxLimit: number
}

function invalid (reason: string): Error {
  return new FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID(reason)
}

function positiveInteger (value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw invalid(`${name} must be an integer >= 1`)
  return value
}

function optionalBoolean (value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback
  if (typeof value !== 'boolean') throw invalid(`${name} must be a boolean`)
  return value
}

function resolve (raw: unknown): Resolved {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid('options must be an object')
  const opts = raw as Record<string, unknown>
  for (const key of Object.keys(opts)) if (!KNOWN.has(key)) throw invalid(unknownOption(key, [...KNOWN]))
  const identity = opts.identity
  if (typeof identity !== 'string') throw invalid('identity is required and must be a string')
  const schema = opts.schema
  if (schema === null || typeof schema !== 'object' || (schema as TSchema).type !== 'object') {
    throw invalid('schema is required and must be a TypeBox object schema (Type.Object)')
  }
  const primaryKey = opts.primaryKey ?? 'id'
  if (typeof primaryKey !== 'string' || primaryKey.length === 0) throw invalid('primaryKey must be a non-empty string')
  const path = opts.path ?? `/${identity}`
  if (typeof path !== 'string' || !/^\/[\w\-./]*$/.test(path) || path.includes('//') || (path.length > 1 && path.endsWith('/'))) {
    throw invalid('path must start with / and hold only letters, digits, _ - . / (no trailing slash)')
  }
  const store = opts.store ?? memoryStore({ primaryKey })
  if (store === null || typeof store !== 'object') throw invalid('store must be an object implementing Store')
  for (const method of STORE_METHODS) {
    if (typeof (store as Record<string, unknown>)[method] !== 'function') throw invalid(`store.${method} must be a function`)
  }
  const defaultLimit = positiveInteger(opts.defaultLimit, 'defaultLimit', 30)
  const maxLimit = positiveInteger(opts.maxLimit, 'maxLimit', 1000)
  if (defaultLimit > maxLimit) throw invalid(`defaultLimit (${defaultLimit}) must not exceed maxLimit (${maxLimit})`)
  return {
    identity,
    schema: schema as TObject,
    store: store as Store<AnyRecord>,
    primaryKey,
    path: path === '/' ? '' : path,
    mirror: optionalBoolean(opts.mirror, 'mirror', false),
    autoWatch: optionalBoolean(opts.autoWatch, 'autoWatch', true),
    defaultLimit,
    maxLimit
  }
}

type IdRequest = FastifyRequest<{ Params: { id: RecordId } }>

const plugin: FastifyPluginAsync<BlueprintOptions> = async function blueprints (fastify: FastifyInstance, raw) {
  if (!fastify.hasDecorator('sockets')) throw new FST_SOCKETS_BLUEPRINT_NO_PLUGIN()
  const opts = resolve(raw)
  const { identity, schema, store, primaryKey, path, mirror, autoWatch, defaultLimit, maxLimit } = opts
  // Validates identity, schema and primary key (coded errors), and is the same object the app gets from resource().
  const resource: Resource<AnyRecord> = fastify.sockets.resource(identity, { primaryKey, schema })
  const pkSchema = schema.properties[primaryKey] as TSchema

  // ---- route schemas, built once from the record schema ----
  const writable = Type.Omit(schema, [primaryKey])
  const params = Type.Object({ id: pkSchema })
  const criteria = findCriteria(schema, defaultLimit, maxLimit)
  const except = (request: FastifyRequest): FastifyRequest | undefined => mirror ? undefined : request
  // The store owns ids: a body's primary key (kept when the schema allows additional properties) never reaches it.
  const withoutKey = (body: AnyRecord): AnyRecord => {
    if (!Object.hasOwn(body, primaryKey)) return body
    const { [primaryKey]: _ignored, ...rest } = body
    return rest
  }

  // A mutation writes, then publishes; its answer must never say "failed" for a write that happened. So
  // nothing is written while this node knows the cluster is unavailable (503, safe to retry), and a
  // publish that fails after the write still answers the write's success, with the loss logged and
  // named in PUBLISH_ERROR_HEADER.
  const cluster = fastify.sockets.cluster
  function refuseWhileUnavailable (verb: string): void {
    if (cluster === undefined || cluster.ready) return
    const status = cluster.status()
    throw new FST_SOCKETS_CLUSTER_UNAVAILABLE(`${identity} ${verb}`, `${status.reason ?? 'not ready'}; nothing was written`, status.nodes)
  }
  async function publishAfterWrite (request: FastifyRequest, reply: FastifyReply, verb: string, publish: () => Promise<void>): Promise<void> {
    let failure: unknown
    try { await publish() } catch (err) { failure = err }
    // a broadcast does not fail: while Redis is away its cross-node copy is dropped or held, which only `ready` tells
    if (failure === undefined && (cluster === undefined || cluster.ready)) return
    const code = (failure as { code?: unknown } | undefined)?.code
    const named = typeof code === 'string' ? code : failure === undefined ? 'FST_SOCKETS_CLUSTER_UNAVAILABLE' : failure instanceof Error ? failure.name : 'Error'
    request.log.error({ err: failure, code: named, identity }, `fastify-sockets blueprints: ${identity} ${verb} committed, but its publish failed: other sockets may not hear of it`)
    void reply.header(PUBLISH_ERROR_HEADER, named)
  }

  async function mustFind (id: RecordId): Promise<AnyRecord> {
    const record = await store.findOne(id)
    if (record === undefined) throw new FST_SOCKETS_RECORD_NOT_FOUND(identity, String(id))
    return record
  }

  // find: over a socket, subscribes to what it found and watches the resource (Sails v1).
  fastify.get<{ Querystring: FindQuerystring }>(path === '' ? '/' : path, {
    schema: { querystring: criteria.querystring, response: { 200: Type.Array(schema) } }
  }, async (request) => {
    const records = await store.find(criteria.parse(request.query))
    await resource.subscribe(request, records.map((record) => record[primaryKey] as RecordId))
    if (autoWatch) await resource.watch(request)
    return records
  })

  // findOne: subscribes to the record (it does not watch, as in Sails).
  fastify.get(`${path}/:id`, { schema: { params, response: { 200: schema } } }, async (request: IdRequest) => {
    const record = await mustFind(request.params.id)
    await resource.subscribe(request, request.params.id)
    return record
  })

  // create: tells the watchers (not the creator), subscribes them and the creator to the new record.
  fastify.post<{ Body: AnyRecord }>(path === '' ? '/' : path, { schema: { body: writable, response: { 200: schema } } }, async (request, reply) => {
    refuseWhileUnavailable('create')
    const record = await store.create(withoutKey(request.body))
    const id = record[primaryKey] as RecordId
    await publishAfterWrite(request, reply, 'create', async () => {
      await resource.subscribe(request, id)
      await resource.publishCreate(record, { except: except(request) })
    })
    return record
  })

  // update (PATCH and PUT, both partial as in Sails): `data` is the changes with the id, `previous` the record before.
  const updateSchema = { params, body: Type.Partial(writable), response: { 200: schema } }
  async function update (request: FastifyRequest<{ Params: { id: RecordId }, Body: AnyRecord }>, reply: FastifyReply): Promise<AnyRecord> {
    refuseWhileUnavailable('update')
    const id = request.params.id
    const changes = withoutKey(request.body)
    const previous = await mustFind(id)
    const record = await store.update(id, changes)
    if (record === undefined) throw new FST_SOCKETS_RECORD_NOT_FOUND(identity, String(id))
    await publishAfterWrite(request, reply, 'update', async () => {
      await resource.subscribe(request, id)
      await resource.publishUpdate(id, { ...changes, [primaryKey]: id }, { previous, except: except(request) })
    })
    return record
  }
  fastify.patch(`${path}/:id`, { schema: updateSchema }, update)
  fastify.put(`${path}/:id`, { schema: updateSchema }, update)

  // destroy: tells the subscribers, then empties the record's room (the requester is unsubscribed with everyone).
  fastify.delete(`${path}/:id`, { schema: { params, response: { 200: schema } } }, async (request: IdRequest, reply) => {
    refuseWhileUnavailable('destroy')
    const id = request.params.id
    const previous = await store.destroy(id)
    if (previous === undefined) throw new FST_SOCKETS_RECORD_NOT_FOUND(identity, String(id))
    await publishAfterWrite(request, reply, 'destroy', async () => { await resource.publishDestroy(id, { previous, except: except(request) }) })
    return previous
  })
}

Object.defineProperty(plugin, Symbol.for('fastify.display-name'), { value: 'fastify-sockets-blueprints' })

/**
 * REST + realtime routes for one resource over a `Store` (Sails v1 blueprints): `GET /<identity>`,
 * `GET /<identity>/:id`, `POST /<identity>`, `PATCH` and `PUT /<identity>/:id`, `DELETE /<identity>/:id`.
 * Register it after fastify-sockets, once per resource. Socket requests subscribe as in Sails; every
 * mutation (socket or HTTP) publishes before it answers, skipping the requesting socket. With the cluster
 * option, a mutation is refused (503 `FST_SOCKETS_CLUSTER_UNAVAILABLE`, nothing written) while this node
 * is not ready; one whose publish fails after its write answers the write's result with the
 * `fastify-sockets-publish-error` header (`PUBLISH_ERROR_HEADER`).
 *
 * @example
 * ```ts
 * import fastifySockets, { blueprints, memoryStore } from 'fastify-sockets'
 *
 * const User = Type.Object({ id: Type.Integer(), name: Type.String() })
 * await app.register(fastifySockets)
 * await app.register(blueprints, { identity: 'user', schema: User, store: memoryStore() })
 * // client: io.socket.get('/user', cb); io.socket.on('user', (msg) => ...)
 * ```
 * @throws FST_SOCKETS_BLUEPRINT_NO_PLUGIN, FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID, FST_SOCKETS_RESOURCE_OPTIONS_INVALID
 */
export const blueprints: <S extends TObject>(fastify: FastifyInstance, options: BlueprintOptions<S>) => Promise<void> = plugin
