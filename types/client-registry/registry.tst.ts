// Declarations merged into the server's registry type the client. This folder is excluded from
// types/tsconfig.json, so tstyche checks this file in a program of its own and the declaration below
// does not leak into the other type tests.
import { expect } from 'tstyche'
import type { Static, TObject, TString } from '@sinclair/typebox'
import { connect } from '../../lib/client/index.js'

declare module '../../lib/rooms/declarations.js' {
  interface SocketEvents { hello: TObject<{ howdy: TString }> }
}

const socket = connect('http://127.0.0.1:3000')
socket.on('hello', (data) => { expect(data).type.toBe<Static<TObject<{ howdy: TString }>>>() })
expect(socket.on).type.not.toBeCallableWith('unknown-event', () => {})
expect(socket.on).type.not.toBeCallableWith('hello', (data: { howdy: number }) => data)
socket.on('connect', () => {})
