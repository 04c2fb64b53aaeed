// Bring-your-own client: objects shaped like the SDK v3 `KMS` client, with the
// requests they receive, their errors, and the checks made before any call.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'

import { checkAccount, checkKey, loadSnapshot, remediate } from '../index.js'
import { DEMO, KEY_A, KEY_B, KEY_C, fakeKms, rejectsWith } from './helpers.mjs'

const rotating = { KeyRotationEnabled: true, RotationPeriodInDays: 365, NextRotationDate: new Date('2027-01-01T00:00:00Z') }

describe('requests and responses', () => {
  it('sends the documented requests and reads SDK v3 responses with Dates', async () => {
    const client = fakeKms({
      keys: [
        { id: KEY_A, aliases: ['alias/app'], rotation: rotating },
        { id: KEY_B, rotation: { KeyRotationEnabled: false } },
      ],
    })
    const report = await checkAccount({ client })
    assert.deepEqual(report.regions, [{ region: 'us-east-1', state: 'scanned', keys_listed: 2 }])
    const a = report.findings.find((f) => f.key_id === KEY_A)
    assert.equal(a.status, 'PASS')
    assert.deepEqual(a.aliases, ['alias/app'])
    assert.equal(a.rotation.next_rotation_date, '2027-01-01T00:00:00Z')
    assert.equal(report.findings.find((f) => f.key_id === KEY_B).status, 'FAIL')

    const requests = (method) => client.calls.filter(([m]) => m === method).map(([, input]) => input)
    assert.deepEqual(requests('listKeys'), [{ Limit: 1000 }])
    assert.deepEqual(requests('listAliases'), [{ Limit: 100 }])
    assert.deepEqual(requests('describeKey').map((r) => r.KeyId).sort(), [KEY_A, KEY_B])
    assert.equal(requests('listResourceTags').length, 0) // no tag exemption, no tag calls
  })

  it('follows every page of ListKeys, ListAliases and ListResourceTags', async () => {
    const keys = [KEY_A, KEY_B, KEY_C].map((id, i) => ({
      id,
      aliases: [`alias/k${i}`, `alias/k${i}-more`],
      tags: [
        { TagKey: 'team', TagValue: 'x' },
        { TagKey: 'exempt', TagValue: i === 2 ? 'yes' : 'no' },
      ],
      rotation: rotating,
    }))
    const client = fakeKms({ keys, pageSize: 1 })
    const report = await checkAccount({ client, exemptions: ['tag:exempt=yes'] })
    assert.equal(report.findings.length, 3)
    assert.deepEqual(
      report.findings.map((f) => f.aliases.length),
      [2, 2, 2],
    )
    assert.equal(report.findings.find((f) => f.key_id === KEY_C).status, 'EXEMPT')
    const markers = client.calls.filter(([m]) => m === 'listKeys').map(([, input]) => input.Marker)
    assert.deepEqual(markers, [undefined, '1', '2'])
    const tagRequests = client.calls.filter(([m]) => m === 'listResourceTags').map(([, input]) => input)
    assert.ok(tagRequests.every((r) => r.Limit === 50))
    assert.ok(tagRequests.some((r) => r.Marker === '1'))
  })

  it('calls enableKeyRotation with the period when remediating', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A, rotation: { KeyRotationEnabled: false } }] })
    const report = await checkAccount({ client })
    const applied = await remediate(report, { client, dryRun: false, rotationPeriodDays: 180 })
    assert.equal(applied.actions[0].outcome, 'CHANGED')
    assert.equal(applied.actions[0].verified, true)
    const enables = client.calls.filter(([m]) => m === 'enableKeyRotation').map(([, input]) => input)
    assert.deepEqual(enables, [{ KeyId: report.findings[0].key_arn, RotationPeriodInDays: 180 }])
  })

  it('accepts methods that answer plain values instead of promises', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A, rotation: rotating }] })
    // A synchronous method: the settled answer, returned as is.
    const answer = await client.describeKey({ KeyId: KEY_A })
    client.describeKey = () => answer
    const finding = await checkKey(KEY_A, { client })
    assert.equal(finding.status, 'PASS')
  })

  it('takes the region from config.region (string or provider) or the options', async () => {
    for (const regionAs of ['provider', 'string']) {
      const client = fakeKms({ region: 'eu-west-1', regionAs, keys: [{ id: KEY_A, rotation: rotating }] })
      const report = await checkAccount({ client })
      assert.equal(report.regions[0].region, 'eu-west-1')
    }
    const bare = fakeKms({ region: 'eu-west-1', regionAs: 'none', keys: [{ id: KEY_A, rotation: rotating }] })
    assert.equal((await checkAccount({ client: bare, regions: ['eu-west-1'] })).findings[0].region, 'eu-west-1')
    assert.equal((await checkKey(KEY_A, { client: bare, region: 'eu-west-1' })).status, 'PASS')
    await rejectsWith(checkAccount({ client: bare }), 'CONFIGURATION', /which region/)
  })
})

describe('errors from the client', () => {
  it('maps a rejection to the AWS code in its name, as SDK v3 names exceptions', async () => {
    const client = fakeKms({
      keys: [
        { id: KEY_A, fail: { getKeyRotationStatus: 'AccessDeniedException' } },
        { id: KEY_B, fail: { describeKey: 'KMSInternalException' } },
      ],
    })
    const report = await checkAccount({ client })
    const a = report.findings.find((f) => f.key_id === KEY_A)
    assert.equal(a.status, 'ERROR')
    assert.deepEqual(a.error, {
      code: 'AccessDeniedException',
      message: 'getKeyRotationStatus refused by the fake',
      operation: 'GetKeyRotationStatus',
    })
    // KMSInternalException is retryable: the core retried it (the binding never retries).
    const b = report.findings.find((f) => f.key_id === KEY_B)
    assert.equal(b.error.code, 'KMSInternalException')
    assert.ok(report.stats.retries > 0)
    const describes = client.calls.filter(([m, input]) => m === 'describeKey' && input.KeyId === KEY_B)
    assert.equal(describes.length, report.stats.retries + 1)
  })

  it('retries throttling in the core, then succeeds', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A, rotation: rotating }] })
    const real = client.getKeyRotationStatus
    let throttled = 0
    client.getKeyRotationStatus = async (input) => {
      if (throttled++ === 0) {
        const error = new Error('Rate exceeded')
        error.name = 'ThrottlingException'
        throw error
      }
      return real(input)
    }
    const report = await checkAccount({ client })
    assert.equal(report.findings[0].status, 'PASS')
    assert.equal(report.stats.throttled, 1)
    assert.equal(report.stats.retries, 1)
  })

  it('maps a synchronous throw, a plain Error with a code, and a non-Error rejection', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A }, { id: KEY_B }, { id: KEY_C }] })
    client.getKeyRotationStatus = (input) => {
      if (input.KeyId === KEY_A) {
        const error = new Error('thrown')
        error.name = 'NotFoundException'
        throw error
      }
      if (input.KeyId === KEY_B) {
        return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))
      }
      return Promise.reject('just a string')
    }
    const report = await checkAccount({ client })
    const error = (id) => report.findings.find((f) => f.key_id === id).error
    assert.deepEqual([error(KEY_A).code, error(KEY_A).message], ['NotFoundException', 'thrown'])
    assert.deepEqual([error(KEY_B).code, error(KEY_B).message], ['ECONNREFUSED', 'connect ECONNREFUSED'])
    assert.deepEqual([error(KEY_C).code, error(KEY_C).message], ['Error', 'just a string'])
  })

  it('reports a response that is not the KMS shape as MalformedResponse', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A }] })
    client.describeKey = async () => ({ KeyMetadata: { KeyId: KEY_A } })
    const finding = (await checkAccount({ client })).findings[0]
    assert.equal(finding.status, 'ERROR')
    assert.equal(finding.error.code, 'MalformedResponse')
  })
})

describe('checks before any call', () => {
  it('names a missing method, and needs only the methods the call uses', async () => {
    const readOnly = fakeKms({ keys: [{ id: KEY_A }], omit: ['enableKeyRotation', 'listResourceTags'] })
    const report = await checkAccount({ client: readOnly }) // fine without them
    await remediate(report, { client: readOnly }) // a dry run needs no enableKeyRotation
    const calls = readOnly.calls.length
    await rejectsWith(remediate(report, { client: readOnly, dryRun: false }), 'INVALID_INPUT', /enableKeyRotation/)
    await rejectsWith(checkAccount({ client: readOnly, exemptions: ['tag:a=b'] }), 'INVALID_INPUT', /listResourceTags/)
    assert.equal(readOnly.calls.length, calls)

    const bare = fakeKms({ omit: ['listKeys'] })
    const error = await rejectsWith(checkAccount({ client: bare }), 'INVALID_INPUT', /listKeys/)
    assert.equal(error.argument, 'client')
    assert.match(error.message, /@aws-sdk\/client-kms/)
    await rejectsWith(checkAccount({ client: { listKeys: 42 } }), 'INVALID_INPUT', /listKeys is not a function/)
  })

  it('rejects bad input before calling the client', async () => {
    const client = fakeKms({ keys: [{ id: KEY_A }] })
    const cases = [
      [() => checkKey('not a key', { client }), /key reference/],
      [() => checkKey(42, { client }), /key must be a string/],
      [() => checkKey('arn:aws:kms:eu-west-1:111122223333:key/' + KEY_A, { client, region: 'us-east-1' }), /ARN is in eu-west-1/],
      [() => checkKey(KEY_A, { client, region: 'Mars' }), /region/],
      [() => checkAccount({ client, maxRotationPeriodDays: 89 }), /maxRotationPeriodDays "89".*90 to 2560/],
      [() => checkAccount({ client, maxRotationPeriodDays: 365.5 }), /whole number/],
      [() => checkAccount({ client, maxRotationPeriodDays: 'yearly' }), /maxRotationPeriodDays/],
      [() => checkAccount({ client, exemptions: ['tag:=x'] }), /exemption/],
      [() => checkAccount({ client, regions: [] }), /at least one region/],
      [() => checkAccount({ client, regions: ['us-east-1', 'not a region'] }), /not a region/],
      [() => checkAccount({ client, regions: 'everywhere' }), /'all'/],
      [() => checkAccount({ client, maxRequestsPerSecond: 0 }), /positive/],
      [() => checkAccount({ client, maxRotationDays: 180 }), /unknown option "maxRotationDays"/],
      [() => checkAccount('us-east-1'), /options must be an object/],
      [() => checkAccount({ client: 'kms' }), /client must be/],
      [() => checkAccount({ endpointUrl: 'localhost:4566' }), /endpointUrl.*http/],
      [() => checkAccount({ roleArn: 'arn:aws:iam::1:role/x' }), /roleArn/],
      [() => checkAccount({ externalId: 'x-1' }), /externalId needs roleArn/],
      [() => remediate({ not: 'a report' }, { client }), /report/],
      [() => remediate('{', { client }), /report/],
      [() => remediate(null, { client }), /report must be/],
    ]
    for (const [call, pattern] of cases) {
      await rejectsWith(call(), 'INVALID_INPUT', pattern)
    }
    const report = await checkAccount({ client: loadSnapshot(DEMO) })
    const before = client.calls.length
    await rejectsWith(remediate(report, { client, rotationPeriodDays: 2561 }), 'INVALID_INPUT', /rotationPeriodDays/)
    await rejectsWith(remediate(report, { client, rotationPeriodDays: 400 }), 'INVALID_INPUT', /policy maximum of 365/)
    await rejectsWith(remediate(report, { client, dryrun: false }), 'INVALID_INPUT', /unknown option "dryrun"/)
    assert.equal(client.calls.length, before)
    assert.equal(before, 0)
  })

  it('names what a clientFactory got wrong', async () => {
    await rejectsWith(
      checkAccount({ regions: ['us-east-1'], clientFactory: () => fakeKms({ omit: ['describeKey'] }) }),
      'CONFIGURATION',
      /clientFactory\("us-east-1"\).*describeKey/,
    )
    await rejectsWith(
      checkAccount({
        regions: ['us-east-1'],
        clientFactory: () => {
          throw new Error('no credentials for that region')
        },
      }),
      'CONFIGURATION',
      /no credentials for that region/,
    )
    await rejectsWith(
      checkAccount({ regions: ['us-east-1'], clientFactory: () => 'nope' }),
      'CONFIGURATION',
      /client must be/,
    )
  })

  it('says which region has no client', async () => {
    await rejectsWith(
      checkAccount({ client: loadSnapshot(DEMO), regions: ['ap-south-1'] }),
      'CONFIGURATION',
      /ap-south-1/,
    )
  })
})
