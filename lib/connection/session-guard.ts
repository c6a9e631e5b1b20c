import type { FastifyBaseLogger } from 'fastify'
import type { Server } from 'socket.io'
import { ThinnedCount } from '../common/log.js'
import { connectionById, queryOf, useEngineMiddleware } from './engine.js'

// Engine.IO trusts whoever presents a session id (`sid`): any request carrying it may poll, post packets,
// or "upgrade" the session to a new websocket, and it checks neither origin nor address. For Engine.IO 3
// clients (sails.io.js, socket.io-client 2), socket.io makes the socket id *equal* to that session id, and
// socket ids are public (`members()`, presence lists, Sails apps broadcasting `getId(req)`). Knowing one was
// enough to take over the session: the attacker's websocket "upgraded" it, received the victim's private
// emits, and made virtual requests with the victim's cookie (verified against socket.io 4.8 / engine.io 6.6).
//
// So, for every request that names an existing session:
// - a session already on websocket never legitimately sees another request: refused;
// - an Engine.IO 3 session (whose id is public) only accepts requests from the address it opened from.
//   Behind a proxy every address is the proxy's, so this check cannot tell clients apart there; sails.io.js
//   is websocket-only by default, which the first rule covers fully.

export function guardSessions (io: Server, log: FastifyBaseLogger): void {
  const refused = new ThinnedCount()
  useEngineMiddleware(io, (req, _res, next) => {
    const sid = queryOf(req)?.sid
    if (sid === undefined) return next()
    const session = connectionById(io, sid)
    if (session === undefined) return next() // Engine.IO answers an unknown sid itself
    let reason: string | undefined
    if (session.transport?.name === 'websocket') reason = 'the session is already on a websocket'
    else if (session.protocol === 3 && req.socket.remoteAddress !== session.remoteAddress) reason = 'an Engine.IO 3 session used from another address'
    if (reason === undefined) return next()
    // attacker-driven: thinned
    const n = refused.next()
    if (n !== undefined) {
      log.warn({ address: req.socket.remoteAddress, refused: n }, `fastify-sockets: request for an existing session refused: ${reason}`)
    }
    next(new Error(reason))
  })
}
