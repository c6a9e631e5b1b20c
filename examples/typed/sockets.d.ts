// Declares the registry for the compiler. Declaration merging is global to a compilation, so in this
// repository (several example apps, one test suite) each app's declaration lives in its own .d.ts,
// checked by its own tsconfig.json and left out of the root program. In your app, this block can sit
// anywhere in your sources.
import type { Score, GameOver } from './registry.js'

declare module 'fastify-sockets' {
  interface SocketEvents { score: typeof Score, gameOver: typeof GameOver }
  interface SocketRooms { game: `game:${number}`, lobby: 'lobby' }
}
