// The billing seed's calls with the official stripe-node SDK, unmodified, on a test clock.
// Usage: node billing.js http://127.0.0.1:12111
// Prints "ok <check>" per check and "ALL OK" at the end; any failure exits non-zero.
'use strict';

const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const Stripe = require('stripe');

const base = new URL(process.argv[2] || 'http://127.0.0.1:12111');
const key = 'sk_test_node_' + crypto.randomBytes(12).toString('hex');
const options = {
  host: base.hostname,
  port: Number(base.port),
  protocol: base.protocol.replace(':', ''),
  maxNetworkRetries: 0,
};
const stripe = new Stripe(key, options);
// The seed was written for an API version that still had `invoice.payment_intent`.
const seedStripe = new Stripe(key, {...options, apiVersion: '2024-06-20'});
const START = 1767225600; // 2026-01-01
const FEB_1 = 1769904000;

function ok(name) {
  console.log('ok ' + name);
}

async function main() {
  const clock = await stripe.testHelpers.testClocks.create({frozen_time: START});
  const product = await stripe.products.create({
    name: 'Professional Plan',
    description: 'Full platform access',
  });
  const price = await stripe.prices.create({
    product: product.id,
    unit_amount: 4900,
    currency: 'eur',
    recurring: {interval: 'month'},
  });
  const customer = await stripe.customers.create({
    email: 'client@example.com',
    name: 'Company ABC',
    metadata: {internal_id: 'CLI-0042'},
    test_clock: clock.id,
  });
  const subscription = await seedStripe.subscriptions.create({
    customer: customer.id,
    items: [{price: price.id}],
    payment_behavior: 'default_incomplete',
    expand: ['latest_invoice.payment_intent'],
  });
  assert.equal(subscription.status, 'incomplete');
  const pi = subscription.latest_invoice.payment_intent;
  assert.equal(pi.status, 'requires_payment_method');
  const pm = await stripe.paymentMethods.attach('pm_card_visa', {customer: customer.id});
  await stripe.customers.update(customer.id, {
    invoice_settings: {default_payment_method: pm.id},
  });
  await stripe.paymentIntents.confirm(pi.id, {payment_method: pm.id});
  assert.equal((await stripe.subscriptions.retrieve(subscription.id)).status, 'active');
  ok('subscribe (seed calls, default_incomplete + latest_invoice.payment_intent)');

  await stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: FEB_1 + 7200});
  let ready = await stripe.testHelpers.testClocks.retrieve(clock.id);
  assert.equal(ready.status, 'ready');
  const invoices = await stripe.invoices.list({customer: customer.id, limit: 12, status: 'paid'});
  assert.equal(invoices.data.length, 2);
  assert.deepEqual(invoices.data.map((i) => i.billing_reason), [
    'subscription_cycle',
    'subscription_create',
  ]);
  ok('renewal on the test clock');

  const invoiceItem = await stripe.invoiceItems.create({
    customer: customer.id,
    amount: 15000,
    currency: 'eur',
    description: 'Consulting services - March 2026',
  });
  const invoice = await stripe.invoices.create({
    customer: customer.id,
    auto_advance: true,
    pending_invoice_items_behavior: 'include',
  });
  assert.equal(invoice.lines.data[0].parent.invoice_item_details.invoice_item, invoiceItem.id);
  await stripe.invoices.finalizeInvoice(invoice.id);
  const sent = await stripe.invoices.sendInvoice(invoice.id);
  assert.equal(sent.status, 'open');
  assert.ok(sent.hosted_invoice_url && sent.invoice_pdf);
  const paid = await stripe.invoices.pay(invoice.id);
  assert.equal(paid.status, 'paid');
  assert.equal(paid.amount_paid, 15000);
  ok('one-off invoice');

  await stripe.subscriptions.update(subscription.id, {cancel_at_period_end: true});
  await stripe.testHelpers.testClocks.advance(clock.id, {frozen_time: FEB_1 + 30 * 86400});
  const ended = await stripe.subscriptions.retrieve(subscription.id);
  assert.equal(ended.status, 'canceled');
  const events = await stripe.events.list({type: 'customer.subscription.deleted'});
  assert.equal(events.data.length, 1);
  ok('cancel at period end');
  console.log('ALL OK');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
