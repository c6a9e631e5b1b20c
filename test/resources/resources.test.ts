import t from 'tap'
import { Type } from '@sinclair/typebox'
import type { Socket as ClientSocket } from 'socket.io-client'
import { Value } from '@sinclair/typebox/value'
import { buildApp, connect, request, nextEvent, collect, flush } from '../helpers/app.js'
import { resourceMessages } from '../../lib/index.js'

const User = Type.Object({
  id: Type.Integer({ minimum: 0 }),
  name: Type.String({ minLength: 1 }),
  pets: Type.Optional(Type.Array(Type.Integer()))
})

t.test('resource() validates, caches one Resource per identity, and names rooms as Sails does', async (t) => {
  const app = await buildApp(t)
  const users = app.sockets.resource('user', { schema: User })
  t.equal(app.sockets.resource('user'), users, 'same object without options')
  t.equal(app.sockets.resource('user', { schema: User }), users, 'same object with the same options')
  t.equal(app.sockets.resource('user', { primaryKey: 'id' }), users, 'same object when the options given match')
  t.equal(users.identity, 'user')
  t.equal(users.primaryKey, 'id')
  t.equal(users.watchRoom, 'sails_model_create_user')
  t.equal(users.getRoomName(7), 'sails_model_user_7:user')
  t.equal(users.getRoomName(0), 'sails_model_user_0:user', 'an id of 0 has a room (Sails returns undefined)')
  t.equal(users.getRoomName('7'), 'sails_model_user_7:user', 'a numeric string is coerced to the integer primary key')

  const code = (code: string) => ({ code })
  t.throws(() => app.sockets.resource('user', { primaryKey: 'uid' }), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'other options conflict')
  t.throws(() => app.sockets.resource('user', { schema: Type.Object({ id: Type.Integer() }) }), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'))
  for (const identity of ['', 'has space', '1user', 'disconnect', 'x'.repeat(65), 5, null] as unknown[]) {
    t.throws(() => app.sockets.resource(identity as string), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), `identity ${String(identity)}`)
  }
  t.throws(() => app.sockets.resource('pet', { schema: Type.String() } as never), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'non-object schema')
  t.throws(() => app.sockets.resource('pet', { schema: Type.Object({ name: Type.String() }) }), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'schema without the primary key')
  t.throws(() => app.sockets.resource('pet', { schema: { type: 'object', properties: { id: { type: 'integer' } } } } as never),
    code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'plain JSON schema (not TypeBox) is refused at creation, not at publish')
  t.throws(() => app.sockets.resource('pet', { colour: 'red' } as never), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'unknown option')
  t.throws(() => app.sockets.resource('pet', 'id' as never), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'options not an object')
  t.throws(() => app.sockets.resource('pet', { primaryKey: '' }), code('FST_SOCKETS_RESOURCE_OPTIONS_INVALID'), 'empty primary key')

  for (const id of [Number.NaN, Infinity, '', 'abc', 1.5, -1, 'x'.repeat(101), {}, null, undefined] as unknown[]) {
    t.throws(() => users.getRoomName(id as number), code('FST_SOCKETS_RESOURCE_ID_INVALID'), `id ${String(id)}`)
  }
  t.throws(() => users.getRoomName('abc'), { message: "Invalid user id: 'abc' (expected an integer matching the primary key's schema)" })
  const tags = app.sockets.resource('tag', { primaryKey: 'slug' })
  t.equal(tags.getRoomName('a-b'), 'sails_model_tag_a-b:tag', 'no schema: strings pass as they are')
  t.equal(tags.getRoomName(0), 'sails_model_tag_0:tag')
})

t.test('subscribe, watch and the publish verbs reach exactly the right sockets in the Sails shapes', async (t) => {
  const app = await buildApp(t)
  const users = app.sockets.resource('user', { schema: User })
  const [a, b, c] = await Promise.all([connect(t, app), connect(t, app), connect(t, app)])
  const heard = { a: collect(a, 'user'), b: collect(b, 'user'), c: collect(c, 'user') }
  const ids = (socket: ClientSocket) => socket.id as string

  await users.subscribe(ids(a), [1, 2])
  await users.subscribe(ids(b), 2)
  await users.watch(ids(c))
  t.same((await app.sockets.rooms(ids(a))).sort(), [users.getRoomName(1), users.getRoomName(2)])
  t.same(await app.sockets.rooms(ids(c)), ['sails_model_create_user'])

  // publish: raw data, no envelope; a socket in two of the rooms hears it once.
  await users.publish([1, 2], { verb: 'typing', by: 3 })
  await users.publishUpdate(2, { name: 'max' }, { previous: { id: 2, name: 'ada' }, except: ids(b) })
  await users.publishAdd(1, 'pets', 12)
  await users.publishRemove(1, 'pets', 0)
  await flush(app, [a, b, c])
  const UserMessage = resourceMessages(User)
  t.ok(heard.a.slice(1).every((message) => Value.Check(UserMessage, message)), 'resourceMessages() describes every verb')
  t.notOk(Value.Check(UserMessage, heard.a[0]), 'free-form publish data is outside it')
  t.same(heard.a, [
    { verb: 'typing', by: 3 },
    { verb: 'updated', id: 2, data: { name: 'max' }, previous: { id: 2, name: 'ada' } },
    { verb: 'addedTo', id: 1, attribute: 'pets', addedId: 12 },
    { verb: 'removedFrom', id: 1, attribute: 'pets', removedId: 0 }
  ])
  t.same(heard.b, [{ verb: 'typing', by: 3 }], 'b excluded from the update it was told to skip')
  t.same(heard.c, [], 'a watcher hears no record events before it is subscribed')

  // publishCreate: watchers hear it, then every watcher is subscribed to the new record.
  heard.a.length = 0; heard.b.length = 0
  await users.publishCreate({ id: 0, name: 'zero' })
  await flush(app, [a, b, c])
  t.same(heard.c, [{ verb: 'created', id: 0, data: { id: 0, name: 'zero' } }])
  t.ok(Value.Check(resourceMessages(User), heard.c[0]))
  t.same(heard.a, [], 'non-watchers do not hear creations')
  t.same(await app.sockets.members(users.getRoomName(0)), [ids(c)], 'the watcher was introduced to record 0')

  // publishDestroy: subscribers hear it, then nobody stays in the record's room.
  await users.subscribe(ids(a), 0)
  await users.publishDestroy(0, { previous: { id: 0, name: 'zero' }, except: ids(a) })
  await flush(app, [a, b, c])
  t.same(heard.c.at(-1), { verb: 'destroyed', id: 0, previous: { id: 0, name: 'zero' } })
  t.same(heard.a, [], 'the excluded socket heard nothing')
  t.same(await app.sockets.members(users.getRoomName(0)), [], 'the room of a destroyed record is empty')
  t.same(await app.sockets.rooms(ids(c)), ['sails_model_create_user'], 'still watching')

  // unsubscribe and unwatch
  await users.unsubscribe(ids(a), [1, 2])
  await users.unwatch(ids(c))
  t.same(await app.sockets.rooms(ids(a)), [])
  t.same(await app.sockets.rooms(ids(c)), [])
  heard.a.length = 0; heard.c.length = 0
  await users.publishCreate({ id: 5, name: 'five' })
  await users.publishUpdate(1, { name: 'one' })
  await flush(app, [a, b, c])
  t.same(heard.a, [])
  t.same(heard.c, [])
})

t.test('routes subscribe with the request; HTTP requests are a no-op, as in Sails', async (t) => {
  const app = await buildApp(t, {}, (app) => {
    const users = app.sockets.resource('user', { schema: User })
    app.get<{ Params: { id: string } }>('/user/:id', async (request) => {
      await users.subscribe(request, request.params.id)
      await users.watch(request)
      return { socket: request.isSocket }
    })
    app.patch<{ Params: { id: string }, Body: { name: string } }>('/user/:id', async (request) => {
      await users.publishUpdate(request.params.id, request.body, { except: request })
      return { ok: true }
    })
    app.delete<{ Params: { id: string } }>('/user/:id', async (request) => {
      await users.unsubscribe(request, request.params.id)
      await users.unwatch(request)
      return { ok: true }
    })
  })
  const users = app.sockets.resource('user')
  const [a, b] = await Promise.all([connect(t, app), connect(t, app)])
  const heard = { a: collect(a, 'user'), b: collect(b, 'user') }

  const http = await app.inject({ method: 'GET', url: '/user/3' })
  t.equal(http.statusCode, 200, 'subscribe and watch with an HTTP request do not throw')
  t.same(http.json(), { socket: false })
  t.equal((await request(a, 'get', '/user/3')).statusCode, 200)
  t.equal((await request(b, 'get', '/user/3')).statusCode, 200)
  t.same((await app.sockets.members(users.getRoomName(3))).sort(), [a.id, b.id].sort())

  // The requester is skipped because the route passes `except: request`; the id '3' reaches clients as 3.
  t.equal((await request(b, 'patch', '/user/3', { name: 'max' })).statusCode, 200)
  t.equal((await app.inject({ method: 'PATCH', url: '/user/3', payload: { name: 'http' } })).statusCode, 200, 'HTTP except skips nobody')
  await flush(app, [a, b])
  t.same(heard.a, [{ verb: 'updated', id: 3, data: { name: 'max' } }, { verb: 'updated', id: 3, data: { name: 'http' } }])
  t.same(heard.b, [{ verb: 'updated', id: 3, data: { name: 'http' } }])

  t.equal((await app.inject({ method: 'DELETE', url: '/user/3' })).statusCode, 200)
  t.equal((await request(a, 'delete', '/user/3')).statusCode, 200)
  t.same(await app.sockets.members(users.getRoomName(3)), [b.id])
  t.same(await app.sockets.members(users.watchRoom), [b.id])
})

t.test('an invalid payload throws the coded error and nothing is sent', async (t) => {
  const app = await buildApp(t)
  const users = app.sockets.resource('user', { schema: User })
  const a = await connect(t, app)
  const heard = collect(a, 'user')
  await users.subscribe(a.id as string, [1])
  await users.watch(a.id as string)
  const invalid = { code: 'FST_SOCKETS_RESOURCE_PAYLOAD_INVALID' }

  await t.rejects(users.publishCreate({ id: 1, name: 5 } as never), invalid, 'created data')
  await t.rejects(users.publishCreate({ name: 'no id' } as never), invalid, 'created record without its id fails the schema')
  await t.rejects(users.publishUpdate(1, { name: '' }), invalid, 'changes')
  await t.rejects(users.publishUpdate(1, { name: 'ok' }, { previous: { id: 1 } as never }), invalid, 'previous')
  await t.rejects(users.publishDestroy(1, { previous: { id: 'x', name: 'a' } as never }), invalid, 'destroyed previous')
  await t.rejects(users.publishAdd(1, 'friends' as never, 2), invalid, 'attribute outside the schema')
  await t.rejects(users.publishAdd(1, 'pets', Number.NaN), invalid, 'child id')
  await t.rejects(users.publishRemove(1, '' as never, 2), invalid, 'empty attribute')
  await t.rejects(users.publishUpdate(-1, { name: 'ok' }), { code: 'FST_SOCKETS_RESOURCE_ID_INVALID' }, 'id outside the pk schema')
  await t.resolves(users.publish([], { x: 1 }), 'no ids: nothing to do')
  await t.rejects(users.subscribe({} as never, 1), { code: 'FST_SOCKETS_INVALID_TARGET' }, 'a target that is neither a request nor an id')

  await flush(app, [a])
  t.same(heard, [], 'no invalid message went out')
  const errors = (await import('../../lib/index.js')).errorCodes
  t.ok(new errors.FST_SOCKETS_RESOURCE_PAYLOAD_INVALID('user', 'created', 'x') instanceof TypeError)
})

t.test('without a schema, payloads are not checked and ids keep their type', async (t) => {
  const app = await buildApp(t)
  const notes = app.sockets.resource<{ slug: string, text: string }>('note', { primaryKey: 'slug' })
  const a = await connect(t, app)
  const event = nextEvent(a, 'note')
  await notes.watch(a.id as string)
  await notes.publishCreate({ slug: 'hello', text: 'hi' })
  t.same(await event, { verb: 'created', id: 'hello', data: { slug: 'hello', text: 'hi' } })
  t.same(await app.sockets.members(notes.getRoomName('hello')), [a.id])
})

t.test('resources work in an app that declares room patterns and events', async (t) => {
  const User = Type.Object({ id: Type.Integer(), name: Type.String() })
  const app = await buildApp(t, {
    rooms: { chat: Type.TemplateLiteral('chat:${string}') },
    events: { user: resourceMessages(User) }
  } as never, (app) => {
    const users = app.sockets.resource('user', { schema: User })
    app.get('/user/1', async (request) => { await users.subscribe(request, 1); return { id: 1, name: 'ada' } })
    app.patch('/user/1', async (request) => {
      await users.publishUpdate(1, { name: 'max' }, { previous: { id: 1, name: 'ada' }, except: request })
      return { id: 1, name: 'max' }
    })
  })
  const [a, b] = [await connect(t, app), await connect(t, app)]
  t.equal((await request(a, 'get', '/user/1')).statusCode, 200, 'subscribing joins a sails_model_ room despite the declared patterns')
  const updated = nextEvent(a, 'user')
  t.equal((await request(b, 'patch', '/user/1', { name: 'max' })).statusCode, 200)
  t.same(await updated, { verb: 'updated', id: 1, data: { name: 'max' }, previous: { id: 1, name: 'ada' } })
  await t.rejects(app.sockets.join(app.sockets.getId as never, 'sails_model_x'), 'sanity: bad targets still fail')
  t.throws(() => app.sockets.broadcast('lobby' as never, 'user' as never, {} as never), { code: 'FST_SOCKETS_UNDECLARED_ROOM' },
    'other rooms still have to match the declared patterns')
})

t.test('long identities and ids: resource rooms are not capped by maxRoomNameLength (it is for client-chosen names)', async (t) => {
  const identity = 'organizationMembership'
  const longId = 'x'.repeat(100)
  const app = await buildApp(t, { maxRoomNameLength: 64 }, (app) => {
    const members = app.sockets.resource(identity, { primaryKey: 'id' })
    app.get('/m', async (request) => { await members.subscribe(request, longId); await members.watch(request); return {} })
    app.post('/m', async (request) => {
      await members.publishCreate({ id: 'y'.repeat(100) }, { except: request })
      return {}
    })
  })
  const [a, b] = [await connect(t, app), await connect(t, app)]
  t.ok(app.sockets.resource(identity).getRoomName(longId).length > 64, 'the room name is longer than the cap')
  t.equal((await request(a, 'get', '/m')).statusCode, 200, 'subscribe and watch succeed')
  const created = nextEvent(a, identity)
  t.equal((await request(b, 'post', '/m')).statusCode, 200, 'publishCreate (with its watcher join) succeeds')
  t.match(await created, { verb: 'created', id: 'y'.repeat(100) })
})
