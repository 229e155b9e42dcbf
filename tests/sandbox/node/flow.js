// A payment flow against the paydesk sandbox with the official stripe-node SDK, unmodified.
// Usage: node flow.js http://127.0.0.1:12111
// Prints "ok <check>" per check and "ALL OK" at the end; any failure exits non-zero.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const Stripe = require('stripe');

const base = new URL(process.argv[2] || 'http://127.0.0.1:12111');
const key = 'sk_test_node_' + crypto.randomBytes(12).toString('hex');
const stripe = new Stripe(key, {
  host: base.hostname,
  port: Number(base.port),
  protocol: base.protocol.replace(':', ''),
  maxNetworkRetries: 0,
});

function ok(name) {
  console.log('ok ' + name);
}

async function rejects(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

async function customersAndPagination() {
  const made = [];
  for (let i = 0; i < 5; i++) {
    made.push((await stripe.customers.create({email: `c${i}@example.com`})).id);
  }
  const newestFirst = [...made].reverse();
  const page = await stripe.customers.list({limit: 2});
  assert.deepEqual(page.data.map((c) => c.id), newestFirst.slice(0, 2));
  assert.equal(page.has_more, true);
  assert.equal(page.url, '/v1/customers');
  const next = await stripe.customers.list({limit: 2, starting_after: page.data[1].id});
  assert.deepEqual(next.data.map((c) => c.id), newestFirst.slice(2, 4));
  const before = await stripe.customers.list({limit: 2, ending_before: made[0]});
  assert.deepEqual(before.data.map((c) => c.id), [made[2], made[1]]);
  const all = await stripe.customers.list({limit: 2}).autoPagingToArray({limit: 100});
  assert.deepEqual(all.map((c) => c.id), newestFirst);
  ok('pagination');
  return made[0];
}

async function paymentAndRefund(customer) {
  const pi = await stripe.paymentIntents.create({
    amount: 2500,
    currency: 'usd',
    customer,
    payment_method: 'pm_card_visa',
    payment_method_types: ['card'],
    confirm: true,
  });
  assert.equal(pi.status, 'succeeded');
  assert.equal(pi.amount_received, 2500);
  ok('payment_intent confirm pm_card_visa');

  const partial = await stripe.refunds.create({payment_intent: pi.id, amount: 1000});
  assert.equal(partial.status, 'succeeded');
  assert.equal(partial.amount, 1000);
  const rest = await stripe.refunds.create({payment_intent: pi.id});
  assert.equal(rest.amount, 1500);
  const charge = await stripe.charges.retrieve(pi.latest_charge);
  assert.equal(charge.refunded, true);
  assert.equal(charge.amount_refunded, 2500);
  const tooMuch = await rejects(stripe.refunds.create({payment_intent: pi.id, amount: 1}));
  assert.ok(tooMuch instanceof Stripe.errors.StripeInvalidRequestError);
  ok('refunds');
}

async function declines() {
  const cases = [
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
  ];
  for (const [pm, declineCode] of cases) {
    const err = await rejects(
      stripe.paymentIntents.create({
        amount: 1000,
        currency: 'usd',
        payment_method: pm,
        payment_method_types: ['card'],
        confirm: true,
      }),
    );
    assert.ok(err instanceof Stripe.errors.StripeCardError, `${pm}: ${err}`);
    assert.equal(err.type, 'StripeCardError');
    assert.equal(err.statusCode, 402);
    assert.equal(err.code, 'card_declined');
    assert.equal(err.decline_code, declineCode);
    assert.ok(err.requestId.startsWith('req_'));
    assert.equal(err.raw.payment_intent.status, 'requires_payment_method');
  }
  ok('declines');
}

async function errors() {
  const missing = await rejects(stripe.customers.retrieve('cus_missing'));
  assert.ok(missing instanceof Stripe.errors.StripeInvalidRequestError);
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.code, 'resource_missing');
  assert.equal(missing.param, 'id');
  const bad = await rejects(stripe.customers.list({limit: 1000}));
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.param, 'limit');
  const anonymous = new Stripe('pk_test_nope', {
    host: base.hostname,
    port: Number(base.port),
    protocol: base.protocol.replace(':', ''),
    maxNetworkRetries: 0,
  });
  const denied = await rejects(anonymous.customers.list());
  assert.ok(denied instanceof Stripe.errors.StripeAuthenticationError);
  ok('errors');
}

async function idempotency() {
  const idempotencyKey = crypto.randomUUID();
  const first = await stripe.customers.create({email: 'idem@example.com'}, {idempotencyKey});
  const again = await stripe.customers.create({email: 'idem@example.com'}, {idempotencyKey});
  assert.equal(again.id, first.id);
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true');
  const refused = await rejects(
    stripe.customers.create({email: 'other@example.com'}, {idempotencyKey}),
  );
  assert.ok(refused instanceof Stripe.errors.StripeIdempotencyError);
  ok('idempotency');
}

async function webhooks() {
  const received = [];
  let firstAnswer = 500; // the first delivery fails: the sandbox must try again
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({body: Buffer.concat(chunks), signature: req.headers['stripe-signature']});
      res.statusCode = firstAnswer;
      firstAnswer = 200;
      res.end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const endpoint = await stripe.webhookEndpoints.create({
      url: `http://127.0.0.1:${server.address().port}/hook`,
      enabled_events: ['customer.created'],
    });
    const customer = await stripe.customers.create({email: 'hook@example.com'});
    const deadline = Date.now() + 20000;
    while (received.length < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(received.length, 2, 'the event was delivered again after the 500');
    for (const got of received) {
      const event = stripe.webhooks.constructEvent(got.body, got.signature, endpoint.secret);
      assert.equal(event.type, 'customer.created');
      assert.equal(event.data.object.id, customer.id);
    }
    assert.throws(() => stripe.webhooks.constructEvent(received[0].body, received[0].signature,
        'whsec_wrong'));
    ok('webhooks constructEvent');
  } finally {
    server.close();
  }
}

async function main() {
  const customer = await customersAndPagination();
  await paymentAndRefund(customer);
  await declines();
  await errors();
  await idempotency();
  await webhooks();
  console.log('ALL OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
