// Shared by the node --test files: paths, the canonical-JSON comparison, the
// emulator (moto's server), and accounts served by the snapshot's SDK v3-shaped fake.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { Snapshot } from '../index.js'

const here = dirname(fileURLToPath(import.meta.url))
export const DEMO = join(here, '..', '..', 'examples', 'data', 'demo-account.json')
export const FIXTURE = join(here, 'fixtures', 'demo-rust.json')
export const readFixture = () => JSON.parse(readFileSync(FIXTURE, 'utf8'))

/** A report as JSON text and back, without the fields tests/canonical_json.rs drops too. */
export function canonical(report) {
  const value = JSON.parse(JSON.stringify(report))
  delete value.generated_at
  // Where the keys were read: the snapshot's path as this test spelled it (the Rust fixture is made without one).
  delete value.source
  if (value.stats) delete value.stats.duration_ms
  for (const action of value.actions ?? []) {
    if (action.after) delete action.after.next_rotation_date
  }
  return value
}

/** Asserts that `promise` rejects with an `Error` whose `code` is `code`; returns the error. */
export async function rejectsWith(promise, code, pattern) {
  let error
  await assert.rejects(promise, (e) => {
    error = e
    return true
  })
  assert.ok(error instanceof Error, `expected an Error, got ${error}`)
  assert.equal(error.code, code, `expected code ${code}, got ${error.code}: ${error.message}`)
  if (pattern) assert.match(error.message, pattern)
  return error
}

const ENDPOINT_VAR = 'KMS_ROTATION_MOTO_ENDPOINT'

/**
 * The emulator's endpoint, or null after marking the test skipped (outside CI
 * only: under CI a missing emulator fails the test).
 */
export function motoEndpoint(t) {
  const endpoint = process.env[ENDPOINT_VAR]
  if (endpoint) return endpoint
  const ci = process.env.CI
  if (ci && ci !== '0' && ci !== 'false') {
    assert.fail(`${ENDPOINT_VAR} is not set, but CI is: start moto's server with eval "$(scripts/moto.sh start)"`)
  }
  t.skip(`${ENDPOINT_VAR} is not set: start moto's server with eval "$(scripts/moto.sh start)" to run this test`)
  return null
}

let accounts = 0
/** A 12-digit account id no other test (or earlier run on the same server) uses. */
export function freshAccountId() {
  accounts += 1
  const unique = BigInt(Date.now()) * 1000n + BigInt(process.pid % 1000) * 7n + BigInt(accounts) * 131n
  return String((unique % 900000000000n) + 100000000000n)
}

/**
 * STS AssumeRole on the emulator, signed as the default caller (moto assumes
 * any role, and the credentials it returns act in the role's account).
 */
export async function assumeRole(endpoint, roleArn, sessionName = 'kms-rotation-node-tests') {
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: sessionName,
  })
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    body,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      // moto reads the caller from the signature's credential scope only.
      authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=0',
    },
  })
  const xml = await response.text()
  assert.equal(response.status, 200, `AssumeRole failed: ${xml}`)
  const pick = (tag) => xml.match(new RegExp(`<${tag}>([^<]*)</${tag}>`))?.[1]
  return {
    accessKeyId: pick('AccessKeyId'),
    secretAccessKey: pick('SecretAccessKey'),
    sessionToken: pick('SessionToken'),
  }
}

/**
 * Credentials for a fresh account of the emulator (moto keeps accounts apart,
 * so tests neither see nor reset each other's keys): STS AssumeRole into it.
 */
export async function assumeFreshAccount(endpoint) {
  const accountId = freshAccountId()
  const roleArn = `arn:aws:iam::${accountId}:role/KmsRotationNodeTests`
  return { accountId, roleArn, credentials: await assumeRole(endpoint, roleArn) }
}

/** An Organizations call (JSON 1.1) as `credentials`' account; moto reads the caller from the key id. */
export async function organizations(endpoint, credentials, operation, input) {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSOrganizationsV20161128.${operation}`,
      'x-amz-security-token': credentials.sessionToken,
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20260101/us-east-1/organizations/aws4_request, SignedHeaders=host, Signature=0`,
    },
  })
  const text = await response.text()
  assert.equal(response.status, 200, `${operation}: ${text}`)
  return JSON.parse(text)
}

/**
 * An organisation on the emulator: a fresh management account (`admin`: its
 * credentials) and one member account per name, the last `closed` of them closed
 * (SUSPENDED); `member(id)` gives credentials acting in a member.
 */
export async function createOrganization(endpoint, names, { closed = 0 } = {}) {
  const management = await assumeFreshAccount(endpoint)
  const admin = management.credentials
  await organizations(endpoint, admin, 'CreateOrganization', { FeatureSet: 'ALL' })
  const members = []
  for (const name of names) {
    const out = await organizations(endpoint, admin, 'CreateAccount', { AccountName: name, Email: `${name}@example.com` })
    members.push(out.CreateAccountStatus.AccountId)
  }
  for (const id of members.slice(members.length - closed)) {
    await organizations(endpoint, admin, 'CloseAccount', { AccountId: id })
  }
  const member = (id) => assumeRole(endpoint, `arn:aws:iam::${id}:role/Seeder`, 'seed')
  return { management: management.accountId, admin, members, member }
}

/**
 * The fault proxy (scripts/fault_proxy.py, python3) in front of the emulator:
 * `url` to call through it, `set(faults)` to replace its faults, `stop()`.
 */
export async function faultProxy(upstream) {
  const script = join(here, '..', '..', 'scripts', 'fault_proxy.py')
  const child = spawn('python3', [script, '--upstream', upstream, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('\n')) resolve(out.split('\n')[0].trim())
    })
    child.on('error', reject)
    child.on('exit', (code) => reject(new Error(`the fault proxy exited (${code}) before listening`)))
  })
  const url = `http://127.0.0.1:${port}`
  return {
    url,
    async set(faults) {
      const response = await fetch(`${url}/__faults`, { method: 'POST', body: JSON.stringify(faults) })
      assert.equal(response.status, 200, await response.text())
    },
    /** The calls the proxy saw since the faults were last set. */
    async calls() {
      const response = await fetch(`${url}/__calls`)
      return response.json()
    },
    stop() {
      child.kill()
    },
  }
}

const ACCOUNT = '111122223333'

/** A KMS key as DescribeKey answers. */
export function keyMetadata(region, keyId, overrides = {}) {
  return {
    AWSAccountId: ACCOUNT,
    KeyId: keyId,
    Arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`,
    CreationDate: '2024-01-02T03:04:05Z',
    Enabled: true,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    ...overrides,
  }
}

/**
 * An account in a Snapshot (the real fake), and its SDK v3-shaped client for `region`.
 * `keys`: [{ id, metadata?, rotation?, tags?, aliases?, errors?: { Operation: { Code, Message?, Times? } } }].
 */
export function fakeAccount({ region = 'us-east-1', keys = [] } = {}) {
  const entry = (k) => ({
    KeyMetadata: keyMetadata(region, k.id, k.metadata),
    RotationStatus: k.rotation ?? { KeyRotationEnabled: false },
    Aliases: k.aliases ?? [],
    Tags: k.tags ?? [],
    ...(k.errors ? { Errors: k.errors } : {}),
  })
  const file = { account_id: ACCOUNT, regions: { [region]: { keys: keys.map(entry) } } }
  const snapshot = Snapshot.fromJson(JSON.stringify(file))
  return { snapshot, kms: snapshot.kmsClient(region) }
}

export const METHODS = [
  'listKeys',
  'listAliases',
  'describeKey',
  'getKeyRotationStatus',
  'enableKeyRotation',
  'listResourceTags',
  'listKeyRotations',
  'rotateKeyOnDemand',
]

/**
 * A plain object calling `fake`'s methods and recording each request as
 * `[method, input]`; `region` is how it tells its region (`'provider'`,
 * `'string'` or `'none'`), `omit` the methods it lacks.
 */
export function recording(fake, { region = 'provider', omit = [] } = {}) {
  const calls = []
  const client = { calls }
  for (const method of METHODS.filter((m) => !omit.includes(m))) {
    client[method] = (input) => {
      calls.push([method, input])
      return fake[method](input)
    }
  }
  const own = fake.config.region
  if (region === 'provider') client.config = { region: async () => own }
  else if (region === 'string') client.config = { region: own }
  return client
}

export const KEY_A = '1234abcd-12ab-34cd-56ef-1234567890ab'
export const KEY_B = '2234abcd-12ab-34cd-56ef-1234567890ab'
export const KEY_C = '3234abcd-12ab-34cd-56ef-1234567890ab'
