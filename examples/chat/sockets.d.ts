// Declares the chat's socket registry for the compiler (see examples/typed/sockets.d.ts for why it
// sits in its own file in this repository).
import type { Message, Presence } from './registry.js'

declare module 'fastify-sockets' {
  interface SocketEvents { message: typeof Message, presence: typeof Presence }
  interface SocketRooms { chat: `chat:${string}` }
}
