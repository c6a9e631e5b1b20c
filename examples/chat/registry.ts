// The chat's socket registry: what the server pushes, and which rooms exist. sockets.d.ts types
// the sockets API from these values; the plugin validates against them at run time.
import { Type } from '@sinclair/typebox'

/** Pushed to a room when someone says something in it. */
export const Message = Type.Object({
  room: Type.String(),
  from: Type.String({ minLength: 1, maxLength: 32 }),
  text: Type.String({ minLength: 1, maxLength: 500 }),
  at: Type.Number()
})

export const events = { message: Message }

/** `chat:<room>`, one socket.io room per chat room. */
export const ChatRoom = Type.TemplateLiteral('chat:${string}')

export const rooms = { chat: ChatRoom }
