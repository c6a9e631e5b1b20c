// Private state lives under symbols: no JSON, header or query an HTTP client sends can set them.

/** On a raw (light-my-request) request: the socket context of a virtual request. */
export const kSocketContext = Symbol('fastify-sockets.socketContext')
/** On a socket.io socket's `data`-free slot: per-socket state of the plugin. */
export const kSocketState = Symbol('fastify-sockets.socketState')
