// Shared by the node --test files: paths, the canonical-JSON comparison, the
// emulator (moto's server) and a recording fake of an SDK v3 KMS client.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const DEMO = join(here, '..', '..', 'examples', 'data', 'demo-account.json')
export const FIXTURE = join(here, 'fixtures', 'demo-rust.json')
export const readFixture = () => JSON.parse(readFileSync(FIXTURE, 'utf8'))

/** A report as JSON text and back, without the fields tests/canonical_json.rs drops too. */
export function canonical(report) {
  const value = JSON.parse(JSON.stringify(report))
  delete value.generated_at
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
 * Credentials for a fresh account of the emulator (moto keeps accounts apart,
 * so tests neither see nor reset each other's keys): STS AssumeRole into it.
 */
export async function assumeFreshAccount(endpoint) {
  const accountId = freshAccountId()
  const roleArn = `arn:aws:iam::${accountId}:role/KmsRotationNodeTests`
  const body = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: roleArn,
    RoleSessionName: 'kms-rotation-node-tests',
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
    accountId,
    roleArn,
    credentials: {
      accessKeyId: pick('AccessKeyId'),
      secretAccessKey: pick('SecretAccessKey'),
      sessionToken: pick('SessionToken'),
    },
  }
}

const ACCOUNT = '111122223333'

/** A KMS key as DescribeKey answers, with SDK v3's `Date` objects. */
export function keyMetadata(region, keyId, overrides = {}) {
  return {
    AWSAccountId: ACCOUNT,
    KeyId: keyId,
    Arn: `arn:aws:kms:${region}:${ACCOUNT}:key/${keyId}`,
    CreationDate: new Date('2024-01-02T03:04:05.678Z'),
    Enabled: true,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: 'Enabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    KeySpec: 'SYMMETRIC_DEFAULT',
    ...overrides,
  }
}

function awsError(name, message) {
  const error = new Error(message)
  error.name = name
  error.$fault = 'client'
  return error
}

/**
 * An in-memory stand-in for `new KMS({ region })` that records every call.
 * `keys`: [{ id, metadata?, rotation?, tags?, aliases?, fail?: { method: errorName } }].
 */
export function fakeKms({ region = 'us-east-1', keys = [], pageSize = 1000, omit = [], regionAs = 'provider' } = {}) {
  const calls = []
  const byId = new Map(keys.map((k) => [k.id, k]))
  const find = (keyId) => {
    const id = String(keyId).split('/').pop()
    const key = byId.get(id) ?? keys.find((k) => (k.aliases ?? []).includes(keyId))
    if (!key) throw awsError('NotFoundException', `Key '${keyId}' does not exist`)
    return key
  }
  const failIfAsked = (key, method) => {
    const name = key.fail?.[method]
    if (name) throw awsError(name, `${method} refused by the fake`)
  }
  const page = (items, marker, size) => {
    const start = marker ? Number(marker) : 0
    const next = start + size
    return next < items.length
      ? { items: items.slice(start, next), NextMarker: String(next), Truncated: true }
      : { items: items.slice(start), Truncated: false }
  }
  const client = {
    calls,
    async listKeys(input) {
      calls.push(['listKeys', input])
      const { items, ...rest } = page(keys, input.Marker, Math.min(pageSize, input.Limit))
      const Keys = items.map((k) => ({ KeyId: k.id, KeyArn: keyMetadata(region, k.id).Arn }))
      return { Keys, ...rest, $metadata: { httpStatusCode: 200 } }
    },
    async listAliases(input) {
      calls.push(['listAliases', input])
      const aliases = keys
        .filter((k) => !input.KeyId || k.id === find(input.KeyId).id)
        .flatMap((k) => (k.aliases ?? []).map((AliasName) => ({ AliasName, TargetKeyId: k.id })))
      const { items, ...rest } = page(aliases, input.Marker, Math.min(pageSize, input.Limit))
      return { Aliases: items, ...rest }
    },
    async describeKey(input) {
      calls.push(['describeKey', input])
      const key = find(input.KeyId)
      failIfAsked(key, 'describeKey')
      return { KeyMetadata: keyMetadata(region, key.id, key.metadata) }
    },
    async getKeyRotationStatus(input) {
      calls.push(['getKeyRotationStatus', input])
      const key = find(input.KeyId)
      failIfAsked(key, 'getKeyRotationStatus')
      return { KeyId: key.id, ...(key.rotation ?? { KeyRotationEnabled: false }) }
    },
    async enableKeyRotation(input) {
      calls.push(['enableKeyRotation', input])
      const key = find(input.KeyId)
      failIfAsked(key, 'enableKeyRotation')
      key.rotation = {
        KeyRotationEnabled: true,
        RotationPeriodInDays: input.RotationPeriodInDays,
        NextRotationDate: new Date(Date.now() + input.RotationPeriodInDays * 86400000),
      }
      return { $metadata: { httpStatusCode: 200 } }
    },
    async listResourceTags(input) {
      calls.push(['listResourceTags', input])
      const { items, ...rest } = page(find(input.KeyId).tags ?? [], input.Marker, Math.min(pageSize, input.Limit))
      return { Tags: items, ...rest }
    },
  }
  if (regionAs === 'provider') client.config = { region: async () => region }
  else if (regionAs === 'string') client.config = { region }
  for (const method of omit) delete client[method]
  return client
}

export const KEY_A = '1234abcd-12ab-34cd-56ef-1234567890ab'
export const KEY_B = '2234abcd-12ab-34cd-56ef-1234567890ab'
export const KEY_C = '3234abcd-12ab-34cd-56ef-1234567890ab'
