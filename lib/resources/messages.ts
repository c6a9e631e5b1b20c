import { Type, type TObject, type Static } from '@sinclair/typebox'

// The messages a resource pushes, in the Sails v1 shapes, and their TypeBox schema.

/** A record's primary key value. `0` and `''`-free strings are valid (Sails drops a falsy id; we do not). */
export type RecordId = string | number

/** Any record: an object keyed by attribute name. */
export type AnyRecord = Record<string, unknown>

/** `{ verb: 'created', id, data }`: sent to the watchers of a resource (its class room). */
export interface CreatedMessage<R> { verb: 'created', id: RecordId, data: R }
/** `{ verb: 'updated', id, data, previous? }`: sent to the subscribers of the record. */
export interface UpdatedMessage<R> { verb: 'updated', id: RecordId, data: Partial<R>, previous?: R }
/** `{ verb: 'destroyed', id, previous? }`: sent to the subscribers of the record. */
export interface DestroyedMessage<R> { verb: 'destroyed', id: RecordId, previous?: R }
/** `{ verb: 'addedTo', id, attribute, addedId }`: one message per child, scalar `addedId` as on Sails' wire. */
export interface AddedToMessage<R> { verb: 'addedTo', id: RecordId, attribute: keyof R & string, addedId: RecordId }
/** `{ verb: 'removedFrom', id, attribute, removedId }`: one message per child, scalar `removedId`. */
export interface RemovedFromMessage<R> { verb: 'removedFrom', id: RecordId, attribute: keyof R & string, removedId: RecordId }

/**
 * Every message a resource pushes under its identity as event name (the Sails v1 shapes).
 *
 * @example
 * ```ts
 * socket.on('user', (msg: ResourceMessage<User>) => {
 *   if (msg.verb === 'updated') console.log(msg.id, msg.data, msg.previous)
 * })
 * ```
 */
export type ResourceMessage<R = AnyRecord> =
  | CreatedMessage<R> | UpdatedMessage<R> | DestroyedMessage<R> | AddedToMessage<R> | RemovedFromMessage<R>

/** The record type of a resource: `Static<S>` with a schema, else `R`. */
export type ResourceRecord<S extends TObject | undefined, R extends object = AnyRecord> = S extends TObject ? Static<S> : R

/**
 * A TypeBox schema of the messages a resource with this record schema sends, for declaring the identity
 * as a typed event (so clients' `on('<identity>')` are typed) or for checking messages in a client.
 * `publish()` sends free-form data that this union does not cover; don't declare it for identities you `publish` on.
 *
 * @example
 * ```ts
 * const UserMessage = resourceMessages(User)
 * declare module 'fastify-sockets' {
 *   interface SocketEvents { user: typeof UserMessage }
 * }
 * ```
 */
export function resourceMessages<S extends TObject> (schema: S) {
  const Id = Type.Union([Type.String(), Type.Number()])
  return Type.Union([
    Type.Object({ verb: Type.Literal('created'), id: Id, data: schema }),
    Type.Object({ verb: Type.Literal('updated'), id: Id, data: Type.Partial(schema), previous: Type.Optional(schema) }),
    Type.Object({ verb: Type.Literal('destroyed'), id: Id, previous: Type.Optional(schema) }),
    Type.Object({ verb: Type.Literal('addedTo'), id: Id, attribute: Type.String(), addedId: Id }),
    Type.Object({ verb: Type.Literal('removedFrom'), id: Id, attribute: Type.String(), removedId: Id })
  ])
}
