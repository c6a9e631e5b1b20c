import Fastify, { type FastifyRequest } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { expect } from 'tstyche'
import fastifySockets, { blueprints, memoryStore, resourceMessages, type Resource, type ResourceMessage, type Store, type BlueprintOptions } from '../lib/index.js'

const User = Type.Object({ id: Type.Integer(), name: Type.String(), pets: Type.Optional(Type.Array(Type.Integer())) })
interface User { id: number, name: string, pets?: number[] }

const app = Fastify()
await app.register(fastifySockets)

// With a schema, the record type comes from it.
const users = app.sockets.resource('user', { schema: User })
expect(users).type.toBe<Resource<{ id: number, name: string, pets?: number[] }>>()
expect(users.publishUpdate).type.toBeCallableWith(1, { name: 'max' }, { previous: { id: 1, name: 'ada' } })
expect(users.publishUpdate).type.not.toBeCallableWith(1, { name: 5 })
expect(users.publishUpdate).type.not.toBeCallableWith(1, { name: 'max' }, { previous: { id: 1 } })
expect(users.publishCreate).type.toBeCallableWith({ id: 1, name: 'ada' })
expect(users.publishCreate).type.not.toBeCallableWith({ name: 'ada' })
expect(users.publishAdd).type.toBeCallableWith(1, 'pets', 2)
expect(users.publishAdd).type.not.toBeCallableWith(1, 'friends', 2)
expect(users.publishRemove).type.not.toBeCallableWith(1, 'pets', [2])
expect(users.getRoomName(0)).type.toBe<string>()
declare const request: FastifyRequest
expect(users.subscribe(request, [1, 2])).type.toBe<Promise<void>>()
expect(users.subscribe).type.not.toBeCallableWith(request, [{ id: 1 }])

// Without a schema: a record type parameter, or any record.
expect(app.sockets.resource<User>('person')).type.toBe<Resource<User>>()
expect(app.sockets.resource('thing').publishCreate).type.toBeCallableWith({ anything: true })
expect(app.sockets.resource).type.not.toBeCallableWith('user', { primaryKey: 1 })

// Messages narrow by verb.
declare const message: ResourceMessage<User>
if (message.verb === 'updated') expect(message.previous).type.toBe<User | undefined>()
if (message.verb === 'addedTo') expect(message.addedId).type.toBe<string | number>()

// Blueprints: the store must hold the schema's records.
expect(app.register).type.toBeCallableWith(blueprints, { identity: 'user', schema: User, store: memoryStore<User>() })
expect(app.register).type.toBeCallableWith(blueprints, { identity: 'user', schema: User })
// register() cannot carry the schema's type into the store (Fastify infers plugin options without
// generics); BlueprintOptions<typeof Schema> checks it where the options are written.
declare const wrong: Store<{ id: string, title: string }>
expect({ identity: 'user', schema: User, store: memoryStore<User>() }).type.toBeAssignableTo<BlueprintOptions<typeof User>>()
expect({ identity: 'user', schema: User, store: wrong }).type.not.toBeAssignableTo<BlueprintOptions<typeof User>>()
expect(app.register).type.not.toBeCallableWith(blueprints, { identity: 'user' })

// resourceMessages(): a TypeBox union whose static type narrows by verb.
const UserMessage = resourceMessages(User)
declare const typed: Static<typeof UserMessage>
if (typed.verb === 'created') expect(typed.data).type.toBe<{ id: number, name: string, pets?: number[] }>()
