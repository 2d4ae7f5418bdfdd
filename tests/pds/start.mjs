// Runs the real Bluesky PDS (@atproto/pds) and an in-memory PLC directory on 127.0.0.1, for
// tests/test_bluesky_pds.py. Usage: node start.mjs DATA_DIR
// Prints one JSON line {"pds": url, "plc": url} on stdout once both answer; stops on SIGTERM.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'

import { Secp256k1Keypair } from '@atproto/crypto'
import { PDS } from '@atproto/pds'
import plc from '@did-plc/server'

const LOOPBACK = '127.0.0.1'

// PDS and PLC call listen(port), which binds every interface: keep them on loopback.
const listen = net.Server.prototype.listen
net.Server.prototype.listen = function (...args) {
  const [first] = args
  if (first !== null && typeof first === 'object' && first.path === undefined) {
    args[0] = { ...first, host: LOOPBACK }
  } else if (typeof first === 'number' || /^\d+$/.test(String(first))) {
    if (typeof args[1] === 'string') args[1] = LOOPBACK
    else args.splice(1, 0, LOOPBACK)
  }
  return listen.apply(this, args)
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const probe = net.createServer()
    probe.once('error', reject)
    probe.listen(0, () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })

const dataDir = process.argv[2]
if (!dataDir) {
  console.error('usage: node start.mjs DATA_DIR')
  process.exit(2)
}
fs.mkdirSync(path.join(dataDir, 'blobs'), { recursive: true })

const plcServer = plc.PlcServer.create({ db: plc.Database.mock(), port: 0 })
const plcHttp = await plcServer.start()
const plcUrl = `http://${LOOPBACK}:${plcHttp.address().port}`

const port = await freePort()
const closed = await freePort() // nothing listens there: no AppView, no moderation service
const rotationKey = await Secp256k1Keypair.create({ exportable: true })
Object.assign(process.env, {
  PDS_PORT: String(port),
  PDS_HOSTNAME: 'localhost',
  PDS_DATA_DIRECTORY: dataDir,
  PDS_BLOBSTORE_DISK_LOCATION: path.join(dataDir, 'blobs'),
  PDS_DID_PLC_URL: plcUrl,
  PDS_JWT_SECRET: crypto.randomBytes(16).toString('hex'),
  PDS_ADMIN_PASSWORD: crypto.randomBytes(16).toString('hex'),
  PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: Buffer.from(await rotationKey.export()).toString('hex'),
  PDS_DEV_MODE: 'true',
  PDS_INVITE_REQUIRED: 'false',
  PDS_SERVICE_HANDLE_DOMAINS: '.test',
  PDS_BSKY_APP_VIEW_URL: `http://${LOOPBACK}:${closed}`,
  PDS_BSKY_APP_VIEW_DID: 'did:web:appview.invalid',
  PDS_MOD_SERVICE_URL: `http://${LOOPBACK}:${closed}`,
  PDS_MOD_SERVICE_DID: 'did:web:moderation.invalid',
  PDS_CRAWLERS: '',
})
const pds = await PDS.fromEnv()
await pds.start()

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await pds.destroy()
  await plcServer.destroy()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
console.log(JSON.stringify({ pds: `http://${LOOPBACK}:${port}`, plc: plcUrl }))
