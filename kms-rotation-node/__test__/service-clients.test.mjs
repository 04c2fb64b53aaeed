// Organisation runs through the caller's own clients (`serviceClientFactory`):
// on moto's server, the AWS SDK v3 clients from sdkClientFactory give the very
// report (and remediation plan) the built-in Rust client gives for the same
// organisation, through the fault proxy refusing AssumeRole into one member;
// without the emulator, hand-written STS / Organizations objects and Snapshot
// KMS fakes show what the factory is called with, and the errors. The emulator
// test skips without KMS_ROTATION_MOTO_ENDPOINT, except under CI, where it fails.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'

import { Account } from '@aws-sdk/client-account'
import { KMS } from '@aws-sdk/client-kms'
import { Organizations } from '@aws-sdk/client-organizations'
import { STS } from '@aws-sdk/client-sts'

import { Snapshot, checkAccount, checkOrganization, remediateOrganization, sdkClientFactory } from '../index.js'
import {
  canonical,
  createOrganization,
  faultProxy,
  keyMetadata,
  motoEndpoint,
  organizations,
  rejectsWith,
} from './helpers.mjs'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'

const REGION = 'us-east-1'
const ROLE = 'KmsRotationAudit'
const KEY_ON = '1234abcd-12ab-34cd-56ef-1234567890ab'
const KEY_OFF = '2234abcd-12ab-34cd-56ef-1234567890ab'

/** Keys in an account on the emulator: rotation on (PASS), off (FAIL); their ids. */
async function seed(endpoint, credentials) {
  const kms = new KMS({ region: REGION, endpoint, credentials, maxAttempts: 1 })
  const on = (await kms.createKey({})).KeyMetadata.KeyId
  await kms.enableKeyRotation({ KeyId: on })
  const off = (await kms.createKey({})).KeyMetadata.KeyId
  return [on, off]
}

describe('serviceClientFactory on moto', () => {
  it('gives the built-in client report and plan through the AWS SDK v3 clients', async (t) => {
    const endpoint = motoEndpoint(t)
    if (!endpoint) return
    const org = await createOrganization(endpoint, ['sdk-a', 'sdk-b', 'sdk-norole', 'sdk-closed'], { closed: 1 })
    const [a, b, norole] = org.members
    const keys = { [org.management]: await seed(endpoint, org.admin) }
    for (const member of [a, b, norole]) keys[member] = await seed(endpoint, await org.member(member))

    const proxy = await faultProxy(endpoint)
    t.after(() => proxy.stop())
    await proxy.set([
      {
        op: 'AssumeRole',
        action: 'error',
        code: 'AccessDenied',
        message: 'User is not authorized to perform: sts:AssumeRole',
        key: norole,
      },
    ])
    const scope = { regions: [REGION], organization: true, roleName: ROLE, sessionName: 'org-tests', maxAccountsInFlight: 2 }
    const builtIn = { ...scope, endpointUrl: proxy.url, credentials: org.admin }
    const made = []
    const sdk = sdkClientFactory({ KMS, STS, Organizations, Account }, { endpoint: proxy.url, credentials: org.admin })
    const own = {
      ...scope,
      serviceClientFactory: (service, region, credentials) => {
        made.push({ service, region, credentials })
        return sdk(service, region, credentials)
      },
    }

    const expected = await checkOrganization(builtIn)
    const report = await checkOrganization(own)
    assert.deepEqual(canonical(report), canonical(expected))
    const refused = report.accounts.find((entry) => entry.account_id === norole)
    assert.equal(refused.state, 'error')
    assert.equal(refused.error.code, 'AccessDenied')
    assert.equal(refused.error.operation, 'AssumeRole')
    assert.deepEqual(report.account_summary, { total: 5, checked: 3, skipped: 1, error: 1 })
    for (const account of [org.management, a, b]) {
      const verdicts = keys[account].map((id) => report.findings.find((f) => f.key_id === id))
      assert.deepEqual(
        verdicts.map((f) => [f.account_id, f.status]),
        [
          [account, 'PASS'],
          [account, 'FAIL'],
        ],
      )
    }

    // The caller's own clients get no credentials; each member's KMS client gets its role's, with their expiry.
    assert.ok(made.some((m) => m.service === 'sts' && m.credentials === undefined))
    assert.ok(made.some((m) => m.service === 'organizations' && m.credentials === undefined))
    const kms = made.filter((m) => m.service === 'kms')
    assert.equal(kms.filter((m) => m.credentials === undefined).length, 1, 'the management account, with the caller credentials')
    const assumed = kms.filter((m) => m.credentials !== undefined)
    assert.equal(assumed.length, 2, 'members a and b')
    for (const { region, credentials } of assumed) {
      assert.equal(region, REGION)
      assert.ok(credentials.accessKeyId && credentials.secretAccessKey && credentials.sessionToken)
      assert.ok(credentials.expiration instanceof Date && credentials.expiration > new Date())
    }
    // One STS client for every AssumeRole: clients are kept per service, region and credentials.
    assert.equal(made.filter((m) => m.service === 'sts').length, 1)

    const plan = await remediateOrganization(report, own)
    assert.deepEqual(canonical(plan), canonical(await remediateOrganization(expected, builtIn)))
    assert.deepEqual(
      plan.actions.map((action) => [action.account_id, action.outcome]).sort(),
      [org.management, a, b].map((account) => [account, 'WOULD_CHANGE']).sort(),
    )
  })
})

/** An account of the fake organisation: its KMS served by a Snapshot. */
function fakeAccount(accountId) {
  const key = (id, enabled) => ({
    KeyMetadata: { ...keyMetadata(REGION, id), AWSAccountId: accountId, Arn: `arn:aws:kms:${REGION}:${accountId}:key/${id}` },
    RotationStatus: { KeyRotationEnabled: enabled, ...(enabled ? { RotationPeriodInDays: 365 } : {}) },
  })
  const file = { account_id: accountId, regions: { [REGION]: { keys: [key(KEY_ON, true), key(KEY_OFF, false)] } } }
  return Snapshot.fromJson(JSON.stringify(file))
}

/**
 * A hand-written organisation: a caller in 111111111111 and members
 * 222222222222 and 333333333333, whose roles STS hands out as credentials
 * named after the account; `kms(region, credentials)` makes its KMS clients.
 */
function fakeOrganization(kms, { lifetimeMs = 3600_000 } = {}) {
  const accounts = { '111111111111': fakeAccount('111111111111'), '222222222222': fakeAccount('222222222222'), '333333333333': fakeAccount('333333333333') }
  const made = []
  let assumed = 0
  const sts = {
    getCallerIdentity: async () => ({ Account: '111111111111', Arn: 'arn:aws:iam::111111111111:user/auditor', UserId: 'AIDA' }),
    assumeRole: async ({ RoleArn }) => {
      assumed += 1
      return {
        Credentials: {
          // The account, then which AssumeRole this was.
          AccessKeyId: `ASIA${RoleArn.split(':')[4]}${assumed > 2 ? `-${assumed}` : ''}`,
          SecretAccessKey: 'fake-secret',
          SessionToken: 'fake-token',
          Expiration: new Date(Date.now() + lifetimeMs),
        },
      }
    },
  }
  const organizations = {
    listAccounts: async () => ({
      Accounts: Object.keys(accounts).map((Id) => ({ Id, Name: `account ${Id}`, Status: 'ACTIVE' })),
    }),
  }
  const factory = (service, region, credentials) => {
    made.push([service, region, credentials?.accessKeyId ?? null])
    if (service === 'sts') return sts
    if (service === 'organizations') return organizations
    if (service === 'kms') {
      const account = credentials ? credentials.accessKeyId.slice(4, 16) : '111111111111'
      return kms(accounts[account], region, credentials)
    }
    throw new Error(`no ${service} client here`)
  }
  return { factory, made, assumed: () => assumed }
}

const ORG = { regions: [REGION], organization: true, roleName: ROLE }

describe('serviceClientFactory', () => {
  it('makes every client of the run, with the role credentials for members', async () => {
    const { factory, made } = fakeOrganization((snapshot, region) => snapshot.kmsClient(region))
    const report = await checkOrganization({ ...ORG, serviceClientFactory: factory })
    assert.deepEqual(report.account_summary, { total: 3, checked: 3, skipped: 0, error: 0 })
    assert.deepEqual(report.summary.PASS, 3)
    assert.deepEqual(report.summary.FAIL, 3)
    assert.deepEqual(
      report.findings.map((f) => [f.account_id, f.key_id, f.status]),
      ['111111111111', '222222222222', '333333333333'].flatMap((account) => [
        [account, KEY_ON, 'PASS'],
        [account, KEY_OFF, 'FAIL'],
      ]),
    )
    assert.deepEqual(
      made.filter(([service]) => service === 'kms').sort(),
      [
        ['kms', REGION, null],
        ['kms', REGION, 'ASIA222222222222'],
        ['kms', REGION, 'ASIA333333333333'],
      ],
    )
    const plan = await remediateOrganization(report, { ...ORG, serviceClientFactory: factory })
    assert.deepEqual(plan.summary, { WOULD_CHANGE: 3 })
  })

  it('assumes the role again before the credentials expire, and asks for new clients', async () => {
    // Credentials that are due when handed out (the core renews once fewer than 5 minutes,
    // or less than half their life, are left) are renewed before each KMS call.
    const { factory, made, assumed } = fakeOrganization((snapshot, region) => snapshot.kmsClient(region), { lifetimeMs: 0 })
    const report = await checkOrganization({ ...ORG, serviceClientFactory: factory, maxAccountsInFlight: 1 })
    assert.deepEqual(report.account_summary, { total: 3, checked: 3, skipped: 0, error: 0 })
    assert.deepEqual([report.summary.PASS, report.summary.FAIL, report.summary.ERROR], [3, 3, 0])
    assert.ok(assumed() > 2, `AssumeRole ${assumed()} times`)
    const memberClients = new Set(made.filter(([service, , key]) => service === 'kms' && key).map(([, , key]) => key))
    assert.ok(memberClients.size > 2, [...memberClients].join(', '))
  })

  it('reports a factory that throws, naming the call', async () => {
    const throwing = () => {
      throw new Error('no SDK here')
    }
    const error = await rejectsWith(
      checkOrganization({ ...ORG, serviceClientFactory: throwing }),
      'API_ERROR',
      /serviceClientFactory\("sts", "us-east-1"\) failed: it threw: no SDK here/,
    )
    assert.equal(error.operation, 'GetCallerIdentity')

    // A member whose KMS client cannot be made is that account's error entry; the others are checked.
    const { factory } = fakeOrganization((snapshot, region, credentials) => {
      if (credentials?.accessKeyId === 'ASIA333333333333') throw new Error('KMS client refused')
      return snapshot.kmsClient(region)
    })
    const report = await checkOrganization({ ...ORG, serviceClientFactory: factory })
    const entry = report.accounts.find((a) => a.account_id === '333333333333')
    assert.equal(entry.state, 'error')
    assert.match(entry.error.message, /serviceClientFactory\("kms", "us-east-1", <assumed-role credentials>\) failed: it threw: KMS client refused/)
    assert.doesNotMatch(JSON.stringify(report), /fake-secret|fake-token/)
    assert.deepEqual(report.account_summary, { total: 3, checked: 2, skipped: 0, error: 1 })

    // What it returns must be a client.
    await rejectsWith(
      checkOrganization({ ...ORG, serviceClientFactory: () => 'sts' }),
      'API_ERROR',
      /serviceClientFactory\("sts", "us-east-1"\) failed: it returned no client/,
    )
  })

  it('is refused before any call without an organisation, when not a function, or beside the built-in client options', async () => {
    const calls = []
    const factory = (...args) => calls.push(args)
    for (const run of [
      () => checkAccount({ serviceClientFactory: factory, regions: [REGION] }),
      () => checkOrganization({ serviceClientFactory: factory, regions: [REGION] }),
    ]) {
      const error = await rejectsWith(run(), 'INVALID_INPUT', /serviceClientFactory/)
      assert.equal(error.argument, 'serviceClientFactory')
    }
    const error = await rejectsWith(checkOrganization({ ...ORG, serviceClientFactory: 'sdk' }), 'INVALID_INPUT', /serviceClientFactory must be a function, not a string/)
    assert.equal(error.argument, 'serviceClientFactory')
    await rejectsWith(
      checkOrganization({ ...ORG, serviceClientFactory: factory, endpointUrl: 'http://127.0.0.1:1' }),
      'INVALID_INPUT',
      /endpointUrl/,
    )
    await rejectsWith(checkOrganization({ ...ORG, regions: 'all', serviceClientFactory: factory }), 'INVALID_INPUT', /regions/)
    assert.deepEqual(calls, [])
  })
})

describe('sdkClientFactory', () => {
  class Fake {
    constructor(config) {
      this.config = config
    }
  }
  const classes = { KMS: class extends Fake {}, STS: class extends Fake {}, Organizations: class extends Fake {} }

  it('makes each service client with the config, the region and the role credentials', () => {
    const own = { accessKeyId: 'AKIAOWN', secretAccessKey: 's' }
    const make = sdkClientFactory(classes, { endpoint: 'http://127.0.0.1:4566', credentials: own })
    const kms = make('kms', 'eu-west-1')
    assert.ok(kms instanceof classes.KMS)
    assert.deepEqual(kms.config, { maxAttempts: 1, endpoint: 'http://127.0.0.1:4566', credentials: own, region: 'eu-west-1' })
    const role = { accessKeyId: 'ASIAROLE', secretAccessKey: 's', sessionToken: 't', expiration: new Date() }
    const sts = make('sts', 'us-east-1', role)
    assert.ok(sts instanceof classes.STS)
    assert.deepEqual(sts.config, { endpoint: 'http://127.0.0.1:4566', credentials: role, region: 'us-east-1' })
    assert.ok(make('organizations', 'us-east-1') instanceof classes.Organizations)
    assert.equal(sdkClientFactory(classes, { maxAttempts: 3 })('kms', 'us-east-1').config.maxAttempts, 3)
    assert.deepEqual(sdkClientFactory(classes)('kms', 'us-east-1').config, { maxAttempts: 1, region: 'us-east-1' })
  })

  it('names what is missing or wrong', () => {
    assert.throws(() => sdkClientFactory({ KMS: Fake, STS: Fake }), { code: 'INVALID_INPUT', argument: 'classes', message: /classes\.Organizations .*@aws-sdk\/client-organizations/ })
    assert.throws(() => sdkClientFactory({ ...classes, STS: {} }), { code: 'INVALID_INPUT', argument: 'classes', message: /classes\.STS/ })
    assert.throws(() => sdkClientFactory(KMS), { code: 'INVALID_INPUT', argument: 'classes' })
    assert.throws(() => sdkClientFactory(classes, 'http://127.0.0.1'), { code: 'INVALID_INPUT', argument: 'config' })
    const make = sdkClientFactory(classes)
    assert.throws(() => make('account', REGION), { code: 'INVALID_INPUT', message: /no Account class: pass \{ Account \} from @aws-sdk\/client-account/ })
    assert.throws(() => make('s3', REGION), { code: 'INVALID_INPUT', argument: 'service', message: /"s3"/ })
  })
})

const FAULT_CASES = JSON.parse(
  readFileSync(new URL('../../scripts/parity/organization-faults.json', import.meta.url), 'utf8'),
).cases

describe('organisation listing faults through SDK v3 clients on moto', () => {
  let org
  let root
  const organisation = async (endpoint) => {
    if (!org) {
      org = await createOrganization(endpoint, ['node-faults-a', 'node-faults-b'])
      const roots = await organizations(endpoint, org.admin, 'ListRoots', {})
      root = roots.Roots[0].Id
    }
    return org
  }
  for (const testCase of FAULT_CASES) {
    it(testCase.name, async (t) => {
      const endpoint = motoEndpoint(t)
      if (!endpoint) return
      const { admin, management, members } = await organisation(endpoint)
      const proxy = await faultProxy(endpoint)
      t.after(() => proxy.stop())
      await proxy.set(testCase.faults)
      // The SDK's own retries off: what recovers is the library's one retry layer.
      const factory = sdkClientFactory(
        { KMS, STS, Organizations, Account },
        { endpoint: proxy.url, credentials: admin, maxAttempts: 1 },
      )
      const scope = testCase.scope === 'root' ? { organizationalUnit: root } : { organization: true }
      const run = checkOrganization({ ...scope, roleName: ROLE, regions: [REGION], serviceClientFactory: factory })
      const bounded = Promise.race([
        run,
        new Promise((_, reject) => setTimeout(() => reject(new Error(`${testCase.name}: the run hung`)), 60_000).unref()),
      ])
      if (testCase.expect.error) {
        const error = await rejectsWith(bounded, 'API_ERROR', /a second time/)
        assert.equal(error.operation, testCase.expect.error.operation)
        assert.equal(error.awsCode, testCase.expect.error.code)
        return
      }
      const report = await bounded
      assert.deepEqual(
        report.accounts.map((entry) => entry.account_id),
        [management, ...members].sort(),
      )
      assert.ok(report.accounts.every((entry) => entry.state === 'checked'), JSON.stringify(report.accounts))
      if (testCase.retried) assert.ok(report.stats.retries > 0, 'nothing was retried')
    })
  }
})
