// Private state lives under symbols: no JSON, header or query an HTTP client sends can set them.

/** On the raw request of a virtual request (lib/dispatch.ts): its socket context. */
export const kSocketContext = Symbol('fastify-sockets.socketContext')
/** On a socket.io socket's `data`-free slot: per-socket state of the plugin. */
export const kSocketState = Symbol('fastify-sockets.socketState')
