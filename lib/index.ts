import { fastifySockets } from './plugin.js'
import * as errorCodes from './errors.js'

export { fastifySockets, errorCodes }
export default fastifySockets

export type { FastifySocketsOptions, ClusterOptions, RedisClientLike } from './options.js'
export type { ClusterHealth, ClusterStatus } from './cluster.js'
export type { Sockets, SocketId, SocketTarget, Except, BroadcastOptions } from './sockets.js'
export type { JWR } from './virtual-request.js'
export type { SocketEvents, SocketRooms, EventName, EventPayload, RoomName } from './events.js'
export { DENIED_REQUEST_HEADERS, VERBS } from './packet.js'
