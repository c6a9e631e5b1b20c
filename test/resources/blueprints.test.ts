import t from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import { createRequire } from 'node:module'
import { Type, type Static } from '@sinclair/typebox'
import { buildApp, connect, request, nextEvent, collect, urlOf, flush } from '../helpers/app.js'
import fastifySockets, { blueprints, memoryStore, type Store, type ResourceMessage } from '../../lib/index.js'

const User = Type.Object({
  id: Type.Integer({ minimum: 0 }),
  name: Type.String({ minLength: 1, maxLength: 50 }),
  age: Type.Optional(Type.Integer({ minimum: 0 }))
}, { additionalProperties: false })
type User = Static<typeof User>

async function http (app: FastifyInstance, method: string, path: string, body?: unknown): Promise<{ statusCode: number, body: any }> {
  const res = await fetch(urlOf(app) + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body)
  })
  return { statusCode: res.status, body: await res.json() }
}

t.test('memoryStore: auto-increment ids, copies in and out, find, seeds, coded option errors', async (t) => {
  const store = memoryStore<{ id: number, name: string, tags?: string[] }>({ records: [{ id: 0, name: 'zero' }, { id: 5, name: 'five' }] })
  const made = await store.create({ id: 1, name: 'six', tags: ['a'] } as never)
  t.same(made, { id: 6, name: 'six', tags: ['a'] }, 'ids continue after the largest seed; a given id is ignored')
  made.tags?.push('mutated')
  t.same((await store.findOne(6))?.tags, ['a'], 'returned records are copies')
  t.same(await store.findOne('6'), { id: 6, name: 'six', tags: ['a'] }, 'a numeric string finds a numeric id')
  t.same(await store.update(6, { name: 'SIX', id: 9 } as never), { id: 6, name: 'SIX', tags: ['a'] }, 'the id cannot change')
  t.equal(await store.update(99, { name: 'x' }), undefined)
  t.same((await store.find({ sort: [['name', 'desc']], skip: 1, limit: 1 })).map((r) => r.name), ['five'])
  t.same((await store.find({ where: { name: 'zero' } })).map((r) => r.id), [0])
  t.same(await store.destroy(0), { id: 0, name: 'zero' })
  t.equal(await store.destroy(0), undefined)
  t.equal(await store.findOne(0), undefined)
  const code = { code: 'FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID' }
  for (const options of [null, { primaryKey: '' }, { records: {} }, { records: [null] }, { records: [{ name: 'no id' }] },
    { records: [{ id: 1 }, { id: 1 }] }, { colour: 'red' }] as unknown[]) {
    t.throws(() => memoryStore(options as never), code, JSON.stringify(options))
  }
})

t.test('the Sails sequence with three real clients', async (t) => {
  const app = await buildApp(t, {}, async (app) => { await app.register(blueprints, { identity: 'user', schema: User }) })
  const users = app.sockets.resource('user')
  const [a, b, c] = await Promise.all([connect(t, app), connect(t, app), connect(t, app)])
  const heard = { a: collect<ResourceMessage<User>>(a, 'user'), b: collect<ResourceMessage<User>>(b, 'user'), c: collect(c, 'user') }

  // A reads the list: subscribed to what it found (nothing yet) and watching.
  const list = await request(a, 'get', '/user')
  t.equal(list.statusCode, 200)
  t.same(list.body, [])
  t.same(await app.sockets.rooms(a.id as string), ['sails_model_create_user'])

  // B creates: A hears `created`, B (the requester) nothing; both end up subscribed to the record.
  const created = nextEvent(a, 'user')
  const post = await request(b, 'post', '/user', { name: 'ada' })
  t.equal(post.statusCode, 200, 'Sails answers a create with 200')
  t.same(post.body, { id: 1, name: 'ada' })
  t.same(await created, { verb: 'created', id: 1, data: { id: 1, name: 'ada' } })
  t.same((await app.sockets.members(users.getRoomName(1))).sort(), [a.id, b.id].sort())

  // B updates: A hears `updated` with the changes (and the id, as Sails) and `previous`.
  const updated = nextEvent(a, 'user')
  const patch = await request(b, 'patch', '/user/1', { name: 'max' })
  t.equal(patch.statusCode, 200)
  t.same(patch.body, { id: 1, name: 'max' })
  t.same(await updated, { verb: 'updated', id: 1, data: { name: 'max', id: 1 }, previous: { id: 1, name: 'ada' } })

  // An HTTP client deletes: every subscriber hears it, the HTTP client has no socket to skip.
  const destroyedA = nextEvent(a, 'user')
  const destroyedB = nextEvent(b, 'user')
  const del = await http(app, 'DELETE', '/user/1')
  t.equal(del.statusCode, 200)
  t.same(del.body, { id: 1, name: 'max' })
  const destroyed = { verb: 'destroyed', id: 1, previous: { id: 1, name: 'max' } }
  t.same(await destroyedA, destroyed)
  t.same(await destroyedB, destroyed)
  t.same(await app.sockets.members(users.getRoomName(1)), [], 'nobody stays subscribed to a destroyed record')

  await flush(app, [a, b, c])
  t.equal(heard.a.length, 3, 'A heard created, updated, destroyed')
  t.same(heard.b, [destroyed], 'B heard only what it did not do itself')
  t.same(heard.c, [], 'a socket that never read the resource hears nothing')
})

t.test('routes: find criteria, findOne, PUT, responses over HTTP and sockets alike', async (t) => {
  const store = memoryStore<User>({
    records: [{ id: 0, name: 'zed', age: 40 }, { id: 1, name: 'ada', age: 36 }, { id: 2, name: 'bob', age: 3 }, { id: 3, name: 'cy', age: 3 }]
  })
  const app = await buildApp(t, {}, async (app) => { await app.register(blueprints, { identity: 'user', schema: User, store, defaultLimit: 3 }) })
  const a = await connect(t, app)
  const names = (body: unknown) => (body as User[]).map((user) => user.name)

  t.same(names((await request(a, 'get', '/user')).body), ['zed', 'ada', 'bob'], 'defaultLimit applies')
  t.same(names((await request(a, 'get', '/user', { sort: 'age desc, name', limit: 10 })).body), ['zed', 'ada', 'bob', 'cy'])
  t.same(names((await request(a, 'get', '/user', { sort: 'name ASC', skip: 1, limit: 2 })).body), ['bob', 'cy'])
  t.same(names((await request(a, 'get', '/user', { where: { age: 3 }, sort: 'name desc' })).body), ['cy', 'bob'], 'where object over a socket')
  t.same(names((await request(a, 'get', '/user?age=3&sort=name')).body), ['bob', 'cy'], 'attribute filters, coerced by the route schema')
  t.same(names((await http(app, 'GET', '/user?where=' + encodeURIComponent('{"name":"ada"}'))).body), ['ada'], 'where over HTTP')
  t.same((await app.sockets.rooms(a.id as string)).sort(), ['sails_model_create_user', 'sails_model_user_0:user', 'sails_model_user_1:user',
    'sails_model_user_2:user', 'sails_model_user_3:user'], 'find subscribed A to every record it found')

  const one = await request(a, 'get', '/user/2')
  t.equal(one.statusCode, 200)
  t.same(one.body, { id: 2, name: 'bob', age: 3 })

  const put = await http(app, 'PUT', '/user/2', { age: 4 })
  t.equal(put.statusCode, 200, 'PUT is a partial update, as in Sails')
  t.same(put.body, { id: 2, name: 'bob', age: 4 })
  const patched = await request(a, 'patch', '/user/2', { id: 99, name: 'rob' })
  t.equal(patched.statusCode, 200)
  t.same(patched.body, { id: 2, name: 'rob', age: 4 }, 'the primary key cannot be changed (dropped from the body)')
  const created = await http(app, 'POST', '/user', { id: 0, name: 'new' })
  t.same(created.body, { id: 4, name: 'new' }, 'the store assigns ids; a posted id is ignored')
})

t.test('bad input: 404 JWRs, 400 bodies and criteria, over HTTP and sockets alike; nothing is published', async (t) => {
  const app = await buildApp(t, {}, async (app) => {
    await app.register(blueprints, { identity: 'user', schema: User, store: memoryStore({ records: [{ id: 1, name: 'ada' }] }) })
  })
  const [a, b] = await Promise.all([connect(t, app), connect(t, app)])
  const heard = collect(a, 'user')
  t.equal((await request(a, 'get', '/user')).statusCode, 200)

  for (const [method, url, data] of [['get', '/user/99'], ['patch', '/user/99', { name: 'x' }], ['put', '/user/99', { name: 'x' }], ['delete', '/user/99']] as const) {
    const jwr = await request(b, method, url, data)
    t.equal(jwr.statusCode, 404, `${method} ${url} over a socket`)
    t.match(jwr.body, { statusCode: 404, code: 'FST_SOCKETS_RECORD_NOT_FOUND', message: 'No user with id 99' })
    const res = await http(app, method.toUpperCase(), url, data)
    t.equal(res.statusCode, 404, `${method} ${url} over HTTP`)
    t.equal(res.body.code, 'FST_SOCKETS_RECORD_NOT_FOUND')
  }

  const badBodies: Array<[string, string, unknown]> = [
    ['post', '/user', { name: { first: 'ada' } }], ['post', '/user', {}], ['post', '/user', { name: 'x'.repeat(51) }], ['post', '/user', { name: 'ok', age: -1 }],
    ['patch', '/user/1', { name: '' }], ['put', '/user/1', { age: 'old' }], ['post', '/user', 'text']
  ]
  for (const [method, url, data] of badBodies) {
    const jwr = await request(b, method, url, data)
    t.equal(jwr.statusCode, 400, `${method} ${JSON.stringify(data)} over a socket`)
    t.equal((jwr.body as { code: string }).code, 'FST_ERR_VALIDATION')
    t.equal((await http(app, method.toUpperCase(), url, data)).statusCode, 400, `${method} ${JSON.stringify(data)} over HTTP`)
  }

  const badQueries = ['/user/abc', '/user/-1', '/user?limit=1001', '/user?skip=-1', '/user?where=nope', '/user?where=[1]',
    '/user?where=' + encodeURIComponent('{"password":"x"}'), '/user?where=' + encodeURIComponent('{"__proto__":{"x":1}}'),
    '/user?where=' + encodeURIComponent('{"age":"old"}'), '/user?where=' + encodeURIComponent('{"name":{"contains":"a"}}'),
    '/user?sort=password', '/user?sort=name%20sideways', '/user?age=old']
  for (const url of badQueries) {
    const jwr = await request(b, 'get', url)
    t.equal(jwr.statusCode, 400, `GET ${url} over a socket`)
    t.equal((await http(app, 'GET', url)).statusCode, 400, `GET ${url} over HTTP`)
  }
  t.match((await request(b, 'get', '/user?sort=password')).body, { code: 'FST_SOCKETS_BAD_CRITERIA' })

  await flush(app, [a, b])
  t.same(heard, [], 'no failed request published anything')
  t.same((await http(app, 'GET', '/user/1')).body, { id: 1, name: 'ada' }, 'the record is untouched')
})

t.test('a store that throws gives 500 and publishes nothing', async (t) => {
  const records = memoryStore<User>({ records: [{ id: 1, name: 'ada' }] })
  const broken: Store<User> = {
    find: (query) => records.find(query),
    findOne: (id) => records.findOne(id),
    create: async () => { throw new Error('disk full') },
    update: async () => { throw new Error('disk full') },
    destroy: async () => { throw new Error('disk full') }
  }
  const app = await buildApp(t, {}, async (app) => { await app.register(blueprints, { identity: 'user', schema: User, store: broken }) })
  const [a, b] = await Promise.all([connect(t, app), connect(t, app)])
  const heard = collect(a, 'user')
  t.equal((await request(a, 'get', '/user')).statusCode, 200, 'A subscribed and watching')

  for (const [method, url, data] of [['post', '/user', { name: 'x' }], ['patch', '/user/1', { name: 'x' }], ['delete', '/user/1']] as const) {
    t.equal((await request(b, method, url, data)).statusCode, 500, `${method} over a socket`)
    t.equal((await http(app, method.toUpperCase(), url, data)).statusCode, 500, `${method} over HTTP`)
  }
  await flush(app, [a, b])
  t.same(heard, [], 'nothing was published')
})

t.test('ids of 0 work end to end (Sails drops them)', async (t) => {
  const app = await buildApp(t, {}, async (app) => {
    await app.register(blueprints, { identity: 'user', schema: User, store: memoryStore({ records: [{ id: 0, name: 'zero' }] }) })
  })
  const [a, b] = await Promise.all([connect(t, app), connect(t, app)])
  t.same((await request(a, 'get', '/user/0')).body, { id: 0, name: 'zero' })
  const updated = nextEvent(a, 'user')
  t.equal((await request(b, 'patch', '/user/0', { name: 'nil' })).statusCode, 200)
  t.same(await updated, { verb: 'updated', id: 0, data: { name: 'nil', id: 0 }, previous: { id: 0, name: 'zero' } })
  const destroyed = nextEvent(a, 'user')
  t.equal((await http(app, 'DELETE', '/user/0')).statusCode, 200)
  t.same(await destroyed, { verb: 'destroyed', id: 0, previous: { id: 0, name: 'nil' } })
})

t.test('options: mirror, autoWatch, path, prefix, string ids; validation with coded errors', async (t) => {
  const Note = Type.Object({ slug: Type.String({ pattern: '^[a-z]+$' }), text: Type.String() })
  const notes: Store<Static<typeof Note>> = (() => {
    const map = new Map<string, Static<typeof Note>>()
    let n = 0
    return {
      async find () { return [...map.values()] },
      async findOne (id) { return map.get(String(id)) },
      async create (values) { const note = { slug: 'n' + 'abcdefghij'[n++], text: values.text ?? '' }; map.set(note.slug, note); return note },
      async update (id, changes) { const note = map.get(String(id)); if (note === undefined) return undefined; Object.assign(note, changes); return { ...note } },
      async destroy (id) { const note = map.get(String(id)); map.delete(String(id)); return note }
    }
  })()
  const app = await buildApp(t, {}, async (app) => {
    await app.register(blueprints, { identity: 'user', schema: User, mirror: true, autoWatch: false })
    await app.register(blueprints, { identity: 'note', schema: Note, store: notes, primaryKey: 'slug', path: '/notes', prefix: '/api' })
  })
  const a = await connect(t, app)
  t.equal((await request(a, 'get', '/user')).statusCode, 200)
  t.same(await app.sockets.rooms(a.id as string), [], 'autoWatch: false does not watch')
  const own = nextEvent(a, 'user')
  await request(a, 'post', '/user', { name: 'ada' })
  await request(a, 'patch', '/user/1', { name: 'max' })
  t.same(await own, { verb: 'updated', id: 1, data: { name: 'max', id: 1 }, previous: { id: 1, name: 'ada' } }, 'mirror: the requester hears its own change')

  const b = await connect(t, app)
  t.equal((await request(b, 'get', '/api/notes')).statusCode, 200)
  const created = nextEvent(b, 'note')
  const post = await request(a, 'post', '/api/notes', { text: 'hello' })
  t.same(post.body, { slug: 'na', text: 'hello' })
  t.same(await created, { verb: 'created', id: 'na', data: { slug: 'na', text: 'hello' } })
  t.equal((await request(a, 'get', '/api/notes/NOPE')).statusCode, 400, 'the :id parameter has the primary key schema')

  const code = { code: 'FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID' }
  const bad: unknown[] = [
    null, {}, { identity: 'user' }, { identity: 'user', schema: Type.String() }, { identity: 'user', schema: User, colour: 1 },
    { identity: 'user', schema: User, store: {} }, { identity: 'user', schema: User, store: { ...notes, destroy: 1 } },
    { identity: 'user', schema: User, path: 'user' }, { identity: 'user', schema: User, path: '/u/' }, { identity: 'user', schema: User, path: '/u/:x' },
    { identity: 'user', schema: User, mirror: 'yes' }, { identity: 'user', schema: User, defaultLimit: 0 },
    { identity: 'user', schema: User, defaultLimit: 50, maxLimit: 10 }, { identity: 'user', schema: User, primaryKey: '' }
  ]
  for (const options of bad) {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(fastifySockets)
    await t.rejects(async () => { await app.register(blueprints, options as never) }, code, JSON.stringify(options))
  }
  const noPk = Fastify()
  t.teardown(() => noPk.close())
  await noPk.register(fastifySockets)
  await t.rejects(async () => { await noPk.register(blueprints, { identity: 'user', schema: User, primaryKey: 'uid' }) }, { code: 'FST_SOCKETS_RESOURCE_OPTIONS_INVALID' })
  const bare = Fastify()
  t.teardown(() => bare.close())
  await t.rejects(async () => { await bare.register(blueprints, { identity: 'user', schema: User }) }, { code: 'FST_SOCKETS_BLUEPRINT_NO_PLUGIN' })
})

t.test('a body\'s primary key never reaches the store, even when the schema allows extra properties', async (t) => {
  const Loose = Type.Object({ id: Type.Integer(), name: Type.String() })
  const inner = memoryStore<Static<typeof Loose>>({ records: [{ id: 1, name: 'ada' }] })
  const seen: unknown[] = []
  const store: Store<Static<typeof Loose>> = {
    ...inner,
    create: async (values) => { seen.push(values); return await inner.create(values) },
    update: async (id, changes) => { seen.push(changes); return await inner.update(id, changes) }
  }
  const app = await buildApp(t, {}, async (app) => { await app.register(blueprints, { identity: 'user', schema: Loose, store }) })
  const [a, b] = await Promise.all([connect(t, app), connect(t, app)])
  await request(a, 'get', '/user/1')
  const updated = nextEvent(a, 'user')
  t.same((await request(b, 'patch', '/user/1', { id: 7, name: 'max', extra: true })).body, { id: 1, name: 'max' })
  t.same(await updated, { verb: 'updated', id: 1, data: { name: 'max', extra: true, id: 1 }, previous: { id: 1, name: 'ada' } })
  t.same((await request(b, 'post', '/user', { id: 7, name: 'cy' })).body, { id: 2, name: 'cy' })
  t.same(seen, [{ name: 'max', extra: true }, { name: 'cy' }])
})

t.test('the same flow with the real sails.io.js 1.2.1 client', async (t) => {
  const app = await buildApp(t, {}, async (app) => { await app.register(blueprints, { identity: 'user', schema: User }) })
  const require = createRequire(import.meta.url)
  const io = require('sails.io.js')(require('socket.io-client-v2'))
  // Set synchronously: the eager socket connects on the next tick.
  io.sails.url = urlOf(app)
  io.sails.environment = 'production'
  const a = io.socket
  const b = io.sails.connect(urlOf(app))
  const c = io.sails.connect(urlOf(app))
  t.teardown(() => { for (const socket of [a, b, c]) if (socket.isConnected()) socket.disconnect() })
  type Callback = (body: unknown, jwr: { statusCode: number, error?: Error }) => void
  const call = (socket: any, method: string, url: string, data?: unknown) =>
    new Promise<{ body: unknown, statusCode: number }>((resolve) => {
      const cb: Callback = (body, jwr) => resolve({ body, statusCode: jwr.statusCode })
      if (data === undefined) socket[method](url, cb)
      else socket[method](url, data, cb)
    })
  const next = (socket: any) => new Promise((resolve) => {
    const on = (msg: unknown) => { socket.off('user', on); resolve(msg) }
    socket.on('user', on)
  })
  const heardB: unknown[] = []
  b.on('user', (msg: unknown) => heardB.push(msg))
  const heardC: unknown[] = []
  c.on('user', (msg: unknown) => heardC.push(msg))
  t.equal((await call(c, 'get', '/hello-nobody')).statusCode, 404, 'C is connected (and reads no user)')

  const list = await call(a, 'get', '/user')
  t.equal(list.statusCode, 200)
  t.same(list.body, [])

  const created = next(a)
  t.same((await call(b, 'post', '/user', { name: 'ada' })).body, { id: 1, name: 'ada' })
  t.same(await created, { verb: 'created', id: 1, data: { id: 1, name: 'ada' } })

  const updated = next(a)
  t.same((await call(b, 'patch', '/user/1', { name: 'max' })).body, { id: 1, name: 'max' })
  t.same(await updated, { verb: 'updated', id: 1, data: { name: 'max', id: 1 }, previous: { id: 1, name: 'ada' } })

  const missing = await call(a, 'get', '/user/42')
  t.equal(missing.statusCode, 404)

  const destroyedA = next(a)
  const destroyedB = next(b)
  t.equal((await http(app, 'DELETE', '/user/1')).statusCode, 200)
  const destroyed = { verb: 'destroyed', id: 1, previous: { id: 1, name: 'max' } }
  t.same(await destroyedA, destroyed)
  t.same(await destroyedB, destroyed)
  t.same(heardB, [destroyed], 'B, the requester of the create and update, heard only the destroy')
  // Order is kept per connection: once C hears this marker, anything sent to it before has arrived.
  const marker = new Promise((resolve) => c.on('flush', resolve))
  app.sockets.blast('flush', 1)
  await marker
  t.same(heardC, [], 'C, which never read the resource, heard nothing')
})
