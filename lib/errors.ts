import createError from '@fastify/error'

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

// ---- fastify.sockets API misuse (thrown or rejected to the calling code) ----
export const FST_SOCKETS_NOT_SOCKET_REQUEST = createError(
  'FST_SOCKETS_NOT_SOCKET_REQUEST', 'Expected a socket request (request.isSocket), got an HTTP request', 500, TypeError)
export const FST_SOCKETS_INVALID_TARGET = createError<[string]>(
  'FST_SOCKETS_INVALID_TARGET', 'Invalid socket target: %s (expected a socket request, a socket id, or an array of them)', 500, TypeError)
export const FST_SOCKETS_INVALID_ROOM = createError<[string]>(
  'FST_SOCKETS_INVALID_ROOM', 'Invalid room name: %s', 500, TypeError)
export const FST_SOCKETS_INVALID_EVENT = createError<[string]>(
  'FST_SOCKETS_INVALID_EVENT', 'Invalid event name: %s', 500, TypeError)

// ---- cluster (Redis): cluster-wide operations rejected to the calling code ----
export const FST_SOCKETS_CLUSTER_TIMEOUT = createError<[string, number, string]>(
  'FST_SOCKETS_CLUSTER_TIMEOUT', 'Cluster %s not acknowledged within %d ms by node(s): %s', 503)
export const FST_SOCKETS_CLUSTER_UNAVAILABLE = createError<[string, string]>(
  'FST_SOCKETS_CLUSTER_UNAVAILABLE', 'Cluster %s failed: %s', 503)
