// The Membership contract on the in-memory backend: one node, every socket in this process.
import t from 'tap'
import { buildApp } from '../helpers/app.js'
import { membershipContract } from './contract.js'

membershipContract(t, async (t, setup) => [await buildApp(t, {}, setup)])
