import { createError, type FastifyError } from '@fastify/error'

// Every coded error of the plugin. One prefix, FST_SOCKETS_; codes are never reused.
// Registration-time errors are 500 TypeErrors (Fastify core convention); errors a socket
// client can see carry the HTTP status they are answered with.

// ---- registration and options ----
export const FST_SOCKETS_OPTIONS_INVALID = createError<[string]>(
  'FST_SOCKETS_OPTIONS_INVALID', 'Invalid fastify-sockets options: %s', 500, TypeError)
export const FST_SOCKETS_ORIGINS_REQUIRED = createError(
  'FST_SOCKETS_ORIGINS_REQUIRED',
  'NODE_ENV is production but neither allowedOrigins nor allowRequest is set: any web page could open a socket with your users\' cookies',
  500, TypeError)

export const FST_SOCKETS_ALREADY_REGISTERED = createError(
  'FST_SOCKETS_ALREADY_REGISTERED', 'fastify-sockets is already registered on this app: register it once, at the root', 500, TypeError)
export const FST_SOCKETS_NOT_AT_ROOT = createError(
  'FST_SOCKETS_NOT_AT_ROOT',
  'fastify-sockets must be registered at the root of the app (app.register(fastifySockets) outside other plugins): ' +
  'its socket.io server, fastify.sockets and request.isSocket serve every route of the app', 500, TypeError)
export const FST_SOCKETS_CLUSTER_NOT_READY = createError<[number]>(
  'FST_SOCKETS_CLUSTER_NOT_READY', 'Redis was not ready within cluster.readyTimeout (%d ms) and cluster.requireReady is set', 500)

// ---- virtual requests (answered to the socket as a JWR) ----
export const FST_SOCKETS_BAD_REQUEST = createError<[string]>(
  'FST_SOCKETS_BAD_REQUEST', 'Invalid socket request: %s', 400)
export const FST_SOCKETS_SDK_VERSION = createError<[string]>(
  'FST_SOCKETS_SDK_VERSION', 'Unsupported sails.io.js SDK version %s: expected a semver version >= 0.11.0', 400)
export const FST_SOCKETS_REQUEST_TIMEOUT = createError<[number]>(
  'FST_SOCKETS_REQUEST_TIMEOUT', 'The socket request was not answered within %d ms', 504)
export const FST_SOCKETS_SERVER_CLOSING = createError(
  'FST_SOCKETS_SERVER_CLOSING', 'The server is closing', 503)
export const FST_SOCKETS_DISPATCH_FAILED = createError<[string]>(
  'FST_SOCKETS_DISPATCH_FAILED', 'The socket request could not be dispatched: %s', 500)
/** Logged, never answered: the answer that set the cookie reached its socket; the socket's jar did not keep it. */
export const FST_SOCKETS_COOKIE_REFUSED = createError<[string, string]>(
  'FST_SOCKETS_COOKIE_REFUSED', "The socket's cookie jar refused cookie '%s': %s", 500)

// ---- fastify.sockets API misuse (thrown or rejected to the calling code) ----
export const FST_SOCKETS_NOT_SOCKET_REQUEST = createError(
  'FST_SOCKETS_NOT_SOCKET_REQUEST', 'Expected a socket request (request.isSocket), got an HTTP request', 500, TypeError)
export const FST_SOCKETS_INVALID_TARGET = createError<[string]>(
  'FST_SOCKETS_INVALID_TARGET', 'Invalid socket target: %s (expected a socket request, a socket id, or an array of them)', 500, TypeError)
export const FST_SOCKETS_INVALID_ROOM = createError<[string]>(
  'FST_SOCKETS_INVALID_ROOM', 'Invalid room name: %s', 500, TypeError)
export const FST_SOCKETS_INVALID_EVENT = createError<[string]>(
  'FST_SOCKETS_INVALID_EVENT', 'Invalid event name: %s', 500, TypeError)

// ---- typed events and rooms ----
export const FST_SOCKETS_INVALID_PAYLOAD = createError<[string, string, string]>(
  'FST_SOCKETS_INVALID_PAYLOAD', "Invalid payload for event '%s' at %s: %s (nothing was sent)", 500, TypeError)
export const FST_SOCKETS_UNDECLARED_EVENT = createError<[string]>(
  'FST_SOCKETS_UNDECLARED_EVENT', "Event '%s' is not declared in the events option (nothing was sent)", 500, TypeError)
export const FST_SOCKETS_UNDECLARED_ROOM = createError<[string]>(
  'FST_SOCKETS_UNDECLARED_ROOM', "Room '%s' matches no pattern of the rooms option", 500, TypeError)
export const FST_SOCKETS_JOIN_REFUSED = createError<[string]>(
  'FST_SOCKETS_JOIN_REFUSED', "Joining room '%s' was refused", 403)

// ---- client: browser bundle and test client ----
export const FST_SOCKETS_CLIENT_BUNDLE_MISSING = createError(
  'FST_SOCKETS_CLIENT_BUNDLE_MISSING', 'The browser bundle is not built: run `npm run build` (it writes dist/browser/fastify-sockets.js)', 500)
export const FST_SOCKETS_CONNECT_CLIENT = createError<[string, { cause: unknown }?]>(
  'FST_SOCKETS_CONNECT_CLIENT', 'connectClient() cannot connect: %s', 500)

// ---- resources and blueprints ----
export const FST_SOCKETS_RESOURCE_OPTIONS_INVALID = createError<[string]>(
  'FST_SOCKETS_RESOURCE_OPTIONS_INVALID', 'Invalid resource: %s', 500, TypeError)
export const FST_SOCKETS_RESOURCE_ID_INVALID = createError<[string, string]>(
  'FST_SOCKETS_RESOURCE_ID_INVALID', 'Invalid %s id: %s', 500, TypeError)
export const FST_SOCKETS_RESOURCE_PAYLOAD_INVALID = createError<[string, string, string]>(
  'FST_SOCKETS_RESOURCE_PAYLOAD_INVALID', 'Invalid %s %s payload, nothing was published: %s', 500, TypeError)
export const FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID = createError<[string]>(
  'FST_SOCKETS_BLUEPRINT_OPTIONS_INVALID', 'Invalid blueprints options: %s', 500, TypeError)
export const FST_SOCKETS_BLUEPRINT_NO_PLUGIN = createError(
  'FST_SOCKETS_BLUEPRINT_NO_PLUGIN', 'The blueprints plugin needs fastify-sockets: register fastify-sockets first, in the same or a parent context', 500, TypeError)
export const FST_SOCKETS_RECORD_NOT_FOUND = createError<[string, string]>(
  'FST_SOCKETS_RECORD_NOT_FOUND', 'No %s with id %s', 404)
export const FST_SOCKETS_BAD_CRITERIA = createError<[string]>(
  'FST_SOCKETS_BAD_CRITERIA', 'Invalid find criteria: %s', 400)

// ---- cluster (Redis): cluster-wide operations rejected to the calling code ----

/** A cluster-wide operation that did not complete everywhere: `nodes` are the nodes that may not have applied it. */
export interface ClusterError extends FastifyError {
  readonly code: 'FST_SOCKETS_CLUSTER_TIMEOUT' | 'FST_SOCKETS_CLUSTER_UNAVAILABLE'
  readonly nodes: readonly string[]
}

const ClusterTimeout = createError<[string, number, string]>(
  'FST_SOCKETS_CLUSTER_TIMEOUT', 'Cluster %s not acknowledged within %d ms by node(s): %s', 503)
/** A cluster-wide operation some live nodes did not acknowledge within `cluster.timeout`. */
export class FST_SOCKETS_CLUSTER_TIMEOUT extends ClusterTimeout implements ClusterError {
  declare readonly code: 'FST_SOCKETS_CLUSTER_TIMEOUT'
  readonly nodes: readonly string[]
  constructor (what: string, timeout: number, nodes: readonly string[]) {
    super(what, timeout, nodes.join(', '))
    this.nodes = Object.freeze([...nodes])
  }
}

const ClusterUnavailable = createError<[string, string]>(
  'FST_SOCKETS_CLUSTER_UNAVAILABLE', 'Cluster %s failed: %s', 503)
/** A cluster-wide operation that could not run across the cluster (Redis unreachable, the server closing). */
export class FST_SOCKETS_CLUSTER_UNAVAILABLE extends ClusterUnavailable implements ClusterError {
  declare readonly code: 'FST_SOCKETS_CLUSTER_UNAVAILABLE'
  readonly nodes: readonly string[]
  constructor (what: string, reason: string, nodes: readonly string[] = []) {
    super(what, reason)
    this.nodes = Object.freeze([...nodes])
  }
}

// ---- limits, handshake hooks and room guards (hardening) ----
export const FST_SOCKETS_TOO_MANY_REQUESTS = createError<[number]>(
  'FST_SOCKETS_TOO_MANY_REQUESTS', 'Too many socket requests in flight on this socket (maxInFlight is %d): wait for answers before sending more', 429)
export const FST_SOCKETS_CONNECTION_REFUSED = createError(
  'FST_SOCKETS_CONNECTION_REFUSED', 'Connection refused', 403)
export const FST_SOCKETS_ORIGIN_REFUSED = createError<[string]>(
  'FST_SOCKETS_ORIGIN_REFUSED', 'Engine.IO request refused: %s (allowedOrigins)', 403)
export const FST_SOCKETS_SLOW_CONSUMER = createError<[number, number]>(
  'FST_SOCKETS_SLOW_CONSUMER', 'Disconnected: %d bytes queued for a client that does not read them (maxQueuedBytes is %d)', 429)
export const FST_SOCKETS_ROOM_LIMIT = createError<[number]>(
  'FST_SOCKETS_ROOM_LIMIT', 'The socket is already in %d rooms (maxRoomsPerSocket): leave some first', 400)
export const FST_SOCKETS_ROOM_NAME = createError<[string]>(
  'FST_SOCKETS_ROOM_NAME', 'Room name refused: %s', 400)
export const FST_SOCKETS_ROOM_RESERVED = createError<[string]>(
  'FST_SOCKETS_ROOM_RESERVED', 'Room %s is reserved: only the server joins sockets to it (pass { allowReserved: true } if it really means to)', 403)
