import { fastifySockets } from './plugin.js'
import * as errorCodes from './errors.js'

export { fastifySockets, errorCodes }
export default fastifySockets

export type { FastifySocketsOptions, ClusterOptions, RecoveryOptions, RedisClientLike } from './options.js'
export type { ClusterError } from './errors.js'
export type { ClusterHealth, ClusterStatus } from './cluster/cluster.js'
export type { Sockets, SocketId, SocketTarget, Except, BroadcastOptions, JoinOptions, SocketsStats } from './rooms/sockets.js'
export type { JWR } from './virtual-request/jwr.js'
export type {
  SocketEvents, SocketRooms, EventName, EventPayload, RoomName,
  SocketEventMap, SocketListenEvents, RoomParams, JoinGuard, RoomSpec, RoomDeclaration, SchemaOf,
  EventSchemas, RoomSchemas, RegistryOptions, RegistryJson
} from './rooms/declarations.js'
export { DENIED_REQUEST_HEADERS } from './virtual-request/headers.js'
export { VERBS } from './virtual-request/envelope.js'
export { defineRoom } from './rooms/declarations.js'

// ---- resources and blueprints ----
export { blueprints, PUBLISH_ERROR_HEADER } from './resources/blueprints.js'
export type { BlueprintOptions } from './resources/blueprints.js'
export { memoryStore } from './resources/store.js'
export { resourceMessages } from './resources/messages.js'
export type { Store, FindQuery, SortClause, MemoryStoreOptions } from './resources/store.js'
export type { Resource, ResourceOptions, PublishOptions, PublishChangeOptions, SubscribeTarget } from './resources/resource.js'
export type {
  ResourceMessage, RecordId, AnyRecord,
  CreatedMessage, UpdatedMessage, DestroyedMessage, AddedToMessage, RemovedFromMessage
} from './resources/messages.js'
