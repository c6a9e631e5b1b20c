import { fastifySockets } from './plugin.js'
import * as errorCodes from './errors.js'

export { fastifySockets, errorCodes }
export default fastifySockets

export type { FastifySocketsOptions, ClusterOptions, RedisClientLike } from './options.js'
export type { ClusterHealth, ClusterStatus } from './cluster.js'
export type { Sockets, SocketId, SocketTarget, Except, BroadcastOptions, JoinOptions, SocketsStats } from './sockets.js'
export type { JWR } from './virtual-request.js'
export type { SocketEvents, SocketRooms, EventName, EventPayload, RoomName } from './events.js'
export type {
  SocketEventMap, SocketListenEvents, RoomParams, JoinGuard, RoomSpec, RoomDeclaration, SchemaOf,
  EventSchemas, RoomSchemas, RegistryOptions, RegistryJson
} from './events.js'
export { DENIED_REQUEST_HEADERS, VERBS } from './packet.js'
export { defineRoom } from './events.js'

// ---- resources and blueprints ----
export { blueprints } from './blueprints.js'
export type { BlueprintOptions } from './blueprints.js'
export { memoryStore } from './store.js'
export { resourceMessages } from './resources.js'
export type { Store, FindQuery, SortClause, MemoryStoreOptions } from './store.js'
export type {
  Resource, ResourceOptions, ResourceMessage, RecordId, AnyRecord, PublishOptions, PublishChangeOptions, SubscribeTarget,
  CreatedMessage, UpdatedMessage, DestroyedMessage, AddedToMessage, RemovedFromMessage
} from './resources.js'
