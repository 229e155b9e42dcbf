/*
 * paydesk sandbox: the inside of an Element's iframe (card, cardNumber, cardExpiry, cardCvc,
 * payment, linkAuthentication, address).
 *
 * The card number, expiry and CVC typed here never leave this frame except in the API calls it
 * makes itself, to the sandbox it was served from. The embedding page gets Stripe's change
 * events (empty, complete, error, brand) and the API's answers, never the card.
 * Messages are accepted only from the parent window at the origin the page declared, and that
 * origin must be our real ancestor.
 */
(function () {
  'use strict';

  var config;
  try {
    config = JSON.parse(decodeURIComponent(window.location.hash.slice(1)));
  } catch (e) {
    config = null;
  }
  var root = document.getElementById('root');
  var ancestors = window.location.ancestorOrigins;
  if (!config || window.parent === window ||
      (ancestors && ancestors.length && ancestors[0] !== config.origin)) {
    root.textContent = 'This frame is part of a payment form and only works inside it.';
    return;
  }

  var PARENT = config.origin;
  var TYPE = config.type;
  var OPTIONS = config.options || {};
  var SHARED = config.elements || {};
  var BASE = window.location.origin +
    window.location.pathname.replace(/\/v3\/elements-inner\.html$/, '');
  var VERSION = 'paydesk-sandbox-v3';
  var channel = 'BroadcastChannel' in window
    ? new BroadcastChannel('paydesk-elements:' + config.group) : null;

  var MESSAGES = {
    incomplete_number: 'Your card number is incomplete.',
    invalid_number: 'Your card number is invalid.',
    incomplete_expiry: "Your card's expiration date is incomplete.",
    invalid_expiry_month: "Your card's expiration date is invalid.",
    invalid_expiry_month_past: "Your card's expiration date is in the past.",
    invalid_expiry_year_past: "Your card's expiration year is in the past.",
    invalid_expiry_year: "Your card's expiration year is invalid.",
    incomplete_cvc: "Your card's security code is incomplete.",
    incomplete_zip: 'Your postal code is incomplete.',
    incomplete_email: 'Your email is incomplete.',
    invalid_email: 'Your email address is invalid.',
    incomplete_name: 'Your name is incomplete.',
    incomplete_address: 'Your address is incomplete.',
    incomplete_city: 'Your city is incomplete.'
  };

  function validationError(code) {
    return { type: 'validation_error', code: code, message: MESSAGES[code] };
  }

  function send(message) {
    message.__paydesk = true;
    message.frameId = config.frameId;
    window.parent.postMessage(message, PARENT);
  }

  // -- card rules --------------------------------------------------------------------------------

  var BRANDS = [
    ['amex', /^3[47]/, [15], 4, [4, 6, 5]],
    ['diners', /^3(0[0-5]|[689])/, [14, 16], 3, [4, 6, 4]],
    ['jcb', /^35/, [16], 3, [4, 4, 4, 4]],
    ['visa', /^4/, [16], 3, [4, 4, 4, 4]],
    ['mastercard', /^(5[1-5]|2[2-7])/, [16], 3, [4, 4, 4, 4]],
    ['discover', /^(6011|65|64[4-9])/, [16], 3, [4, 4, 4, 4]],
    ['unionpay', /^62/, [16], 3, [4, 4, 4, 4]]
  ];
  var UNKNOWN = ['unknown', null, [16], 4, [4, 4, 4, 4]];

  function brandOf(digits) {
    for (var i = 0; i < BRANDS.length; i++) {
      if (BRANDS[i][1].test(digits)) {
        return BRANDS[i];
      }
    }
    return UNKNOWN;
  }

  function luhn(digits) {
    var sum = 0;
    for (var i = 0; i < digits.length; i++) {
      var d = +digits[digits.length - 1 - i];
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
    }
    return sum % 10 === 0;
  }

  function groups(digits, sizes) {
    var out = [];
    var at = 0;
    for (var i = 0; i < sizes.length && at < digits.length; i++) {
      out.push(digits.slice(at, at + sizes[i]));
      at += sizes[i];
    }
    return out.join(' ');
  }

  function digitsOf(value) {
    return String(value || '').replace(/\D/g, '');
  }

  // Each field: format(raw) -> shown value; check(value) -> {empty, complete, code, hard};
  // `hard` errors show at once, incomplete ones only once the buyer leaves the field.
  var FIELDS = {
    number: {
      format: function (raw) {
        var digits = digitsOf(raw);
        var brand = brandOf(digits);
        var max = Math.max.apply(null, brand[2]);
        return groups(digits.slice(0, max), brand[4]);
      },
      check: function (value) {
        var digits = digitsOf(value);
        var brand = brandOf(digits);
        if (!digits) {
          return { empty: true, complete: false, code: 'incomplete_number' };
        }
        var max = Math.max.apply(null, brand[2]);
        if (brand[2].indexOf(digits.length) < 0) {
          return digits.length >= max
            ? { complete: false, code: 'invalid_number', hard: true }
            : { complete: false, code: 'incomplete_number' };
        }
        if (!luhn(digits)) {
          return { complete: false, code: 'invalid_number', hard: true };
        }
        return { complete: true };
      }
    },
    expiry: {
      format: function (raw) {
        var text = String(raw || '');
        var long = /^\s*(\d{1,2})\s*\/\s*\d\d(\d\d)\s*$/.exec(text);
        var digits = long ? (long[1].length === 1 ? '0' : '') + long[1] + long[2] : digitsOf(text);
        if (digits.length === 1 && +digits > 1) {
          digits = '0' + digits;
        }
        digits = digits.slice(0, 4);
        return digits.length > 2 ? digits.slice(0, 2) + ' / ' + digits.slice(2) : digits;
      },
      check: function (value) {
        var digits = digitsOf(value);
        if (!digits) {
          return { empty: true, complete: false, code: 'incomplete_expiry' };
        }
        if (digits.length < 4) {
          return { complete: false, code: 'incomplete_expiry' };
        }
        var month = +digits.slice(0, 2);
        var year = 2000 + +digits.slice(2);
        var now = new Date();
        var thisYear = now.getFullYear();
        if (month < 1 || month > 12) {
          return { complete: false, code: 'invalid_expiry_month', hard: true };
        }
        if (year < thisYear) {
          return { complete: false, code: 'invalid_expiry_year_past', hard: true };
        }
        if (year === thisYear && month < now.getMonth() + 1) {
          return { complete: false, code: 'invalid_expiry_month_past', hard: true };
        }
        if (year > thisYear + 50) {
          return { complete: false, code: 'invalid_expiry_year', hard: true };
        }
        return { complete: true };
      }
    },
    cvc: {
      format: function (raw) {
        return digitsOf(raw).slice(0, cvcLength());
      },
      check: function (value) {
        var digits = digitsOf(value);
        if (!digits) {
          return { empty: true, complete: false, code: 'incomplete_cvc' };
        }
        var brand = currentBrand();
        var ok = brand === 'unknown' ? digits.length >= 3 : digits.length === cvcLength();
        return ok ? { complete: true } : { complete: false, code: 'incomplete_cvc' };
      }
    },
    postal: {
      format: function (raw) {
        return String(raw || '').slice(0, 10);
      },
      check: function (value) {
        var text = String(value || '').trim();
        if (!text) {
          return { empty: true, complete: false, code: 'incomplete_zip' };
        }
        if (/^\d+$/.test(text) && text.length < 5 && countryOf() === 'US') {
          return { complete: false, code: 'incomplete_zip' };
        }
        return { complete: true };
      }
    },
    email: {
      format: function (raw) { return String(raw || ''); },
      check: function (value) {
        var text = String(value || '').trim();
        if (!text) {
          return { empty: true, complete: false, code: 'incomplete_email' };
        }
        return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(text)
          ? { complete: true } : { complete: false, code: 'invalid_email' };
      }
    },
    text: function (code, optional) {
      return {
        format: function (raw) { return String(raw || ''); },
        check: function (value) {
          var text = String(value || '').trim();
          if (!text) {
            return { empty: true, complete: !!optional, code: optional ? null : code };
          }
          return { complete: true };
        }
      };
    }
  };

  // -- the form ----------------------------------------------------------------------------------

  var fields = [];       // {key, rule, input, error, touched}
  var siblings = {};     // split card elements: what cardExpiry / cardCvc hold
  var countrySelect = null;

  function currentBrand() {
    var number = field('number');
    var digits = number ? digitsOf(number.input.value) : (siblings.cardNumber || {}).digits || '';
    return siblings.cardNumber && !number ? siblings.cardNumber.brand : brandOf(digits)[0];
  }

  function cvcLength() {
    var brand = currentBrand();
    return brand === 'amex' || brand === 'unknown' ? 4 : 3;
  }

  function countryOf() {
    return countrySelect ? countrySelect.value : 'US';
  }

  function field(key) {
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].key === key) {
        return fields[i];
      }
    }
    return null;
  }

  function input(key, rule, attrs) {
    var el = document.createElement('input');
    el.className = 'InputElement is-empty Input Input--empty';
    el.type = attrs.type || 'text';
    Object.keys(attrs).forEach(function (name) {
      if (name !== 'type') {
        el.setAttribute(name, attrs[name]);
      }
    });
    el.setAttribute('aria-invalid', 'false');
    el.setAttribute('spellcheck', 'false');
    var entry = { key: key, rule: rule, input: el, error: null, touched: false };
    el.addEventListener('input', function () {
      var formatted = rule.format(el.value);
      if (formatted !== el.value) {
        el.value = formatted;
      }
      changed(entry);
    });
    el.addEventListener('blur', function () {
      entry.touched = true;
      render();
    });
    el.addEventListener('keydown', function (event) {
      if (event.key === 'Enter') {
        event.preventDefault();
        send({ type: 'submit' });
      } else if (event.key === 'Escape') {
        send({ type: 'escape' });
      }
    });
    fields.push(entry);
    return el;
  }

  function labelled(labelText, control, id, full) {
    var wrap = document.createElement('div');
    wrap.className = 'p-Field' + (full ? ' p-Field--full' : '');
    var label = document.createElement('label');
    label.className = 'p-Label';
    label.setAttribute('for', id);
    label.textContent = labelText;
    control.id = id;
    control.classList.add('p-Input');
    var error = document.createElement('p');
    error.className = 'p-FieldError';
    error.setAttribute('role', 'alert');
    error.id = id + '-error';
    wrap.appendChild(label);
    wrap.appendChild(control);
    wrap.appendChild(error);
    return wrap;
  }

  function brandIcon() {
    var icon = document.createElement('span');
    icon.className = 'CardBrandIcon';
    icon.setAttribute('data-brand', 'unknown');
    icon.setAttribute('aria-hidden', 'true');
    icon.textContent = '';
    return icon;
  }

  function buildCardRow() {
    var row = document.createElement('div');
    row.className = 'CardRow';
    var placeholders = OPTIONS.placeholder;
    if (TYPE === 'card' || (TYPE === 'cardNumber' && OPTIONS.showIcon)) {
      row.appendChild(brandIcon());
    }
    if (TYPE === 'card' || TYPE === 'cardNumber') {
      var number = input('number', FIELDS.number, {
        name: 'cardnumber', autocomplete: 'cc-number', inputmode: 'numeric',
        'aria-label': 'Credit or debit card number',
        placeholder: TYPE === 'cardNumber' ? placeholders || '1234 1234 1234 1234' : 'Card number',
        'data-elements-stable-field-name': 'cardNumber'
      });
      row.appendChild(wrapCell(number, 'CardField-number'));
    }
    if (TYPE === 'card' || TYPE === 'cardExpiry') {
      row.appendChild(wrapCell(input('expiry', FIELDS.expiry, {
        name: 'exp-date', autocomplete: 'cc-exp', inputmode: 'numeric',
        'aria-label': 'Credit or debit card expiration date',
        placeholder: TYPE === 'cardExpiry' && placeholders ? placeholders : 'MM / YY',
        'data-elements-stable-field-name': 'cardExpiry'
      }), 'CardField-expiry'));
    }
    if (TYPE === 'card' || TYPE === 'cardCvc') {
      row.appendChild(wrapCell(input('cvc', FIELDS.cvc, {
        name: 'cvc', autocomplete: 'cc-csc', inputmode: 'numeric',
        'aria-label': 'Credit or debit card CVC/CVV',
        placeholder: TYPE === 'cardCvc' && placeholders ? placeholders : 'CVC',
        'data-elements-stable-field-name': 'cardCvc'
      }), 'CardField-cvc'));
    }
    if (TYPE === 'card' && !OPTIONS.hidePostalCode) {
      var postal = input('postal', FIELDS.postal, {
        name: 'postal', autocomplete: 'postal-code', 'aria-label': 'ZIP',
        placeholder: 'ZIP', 'data-elements-stable-field-name': 'postalCode'
      });
      if (OPTIONS.value && OPTIONS.value.postalCode) {
        postal.value = OPTIONS.value.postalCode;
      }
      row.appendChild(wrapCell(postal, 'CardField-postal'));
    }
    root.appendChild(row);
  }

  function wrapCell(control, className) {
    var cell = document.createElement('span');
    cell.className = className;
    cell.appendChild(control);
    return cell;
  }

  var COUNTRIES = [['US', 'United States'], ['GB', 'United Kingdom'], ['CA', 'Canada'],
    ['AU', 'Australia'], ['DE', 'Germany'], ['FR', 'France'], ['ES', 'Spain'], ['IT', 'Italy'],
    ['NL', 'Netherlands'], ['BE', 'Belgium'], ['IE', 'Ireland'], ['JP', 'Japan'],
    ['SE', 'Sweden'], ['CH', 'Switzerland'], ['AT', 'Austria'], ['PT', 'Portugal']];
  var POSTAL_COUNTRIES = ['US', 'GB', 'CA', 'AU'];

  function countryControl(initial) {
    var select = document.createElement('select');
    select.name = 'country';
    select.setAttribute('autocomplete', 'billing country');
    COUNTRIES.forEach(function (pair) {
      var option = document.createElement('option');
      option.value = pair[0];
      option.textContent = pair[1];
      select.appendChild(option);
    });
    select.value = initial || 'US';
    select.addEventListener('change', function () {
      layoutPostal();
      changed(null);
    });
    return select;
  }

  function layoutPostal() {
    var postal = field('postal');
    if (postal) {
      var shown = POSTAL_COUNTRIES.indexOf(countryOf()) >= 0;
      postal.input.closest('.p-Field').style.display = shown ? '' : 'none';
      postal.disabled = !shown;
      postal.input.previousSibling.textContent = countryOf() === 'US' ? 'ZIP code' : 'Postal code';
    }
  }

  function buildPayment() {
    var form = document.createElement('div');
    form.className = 'p-Form';
    var tab = document.createElement('button');
    tab.type = 'button';
    tab.className = 'p-Tab';
    tab.id = 'card-tab';
    tab.setAttribute('aria-selected', 'true');
    tab.setAttribute('role', 'button');
    tab.setAttribute('data-testid', 'card');
    tab.textContent = 'Card';
    form.appendChild(tab);
    var grid = document.createElement('div');
    grid.className = 'p-Grid';
    grid.appendChild(labelled('Card number', input('number', FIELDS.number, {
      name: 'number', autocomplete: 'billing cc-number', inputmode: 'numeric',
      placeholder: '1234 1234 1234 1234', 'data-elements-stable-field-name': 'cardNumber'
    }), 'Field-numberInput', true));
    grid.appendChild(labelled('Expiration date', input('expiry', FIELDS.expiry, {
      name: 'expiry', autocomplete: 'billing cc-exp', inputmode: 'numeric',
      placeholder: 'MM / YY', 'data-elements-stable-field-name': 'cardExpiry'
    }), 'Field-expiryInput'));
    grid.appendChild(labelled('Security code', input('cvc', FIELDS.cvc, {
      name: 'cvc', autocomplete: 'billing cc-csc', inputmode: 'numeric', placeholder: 'CVC',
      'data-elements-stable-field-name': 'cardCvc'
    }), 'Field-cvcInput'));
    var billing = ((OPTIONS.fields || {}).billingDetails);
    var address = billing === 'never' ? 'never' : (billing && billing.address);
    if (address !== 'never') {
      var defaults = ((OPTIONS.defaultValues || {}).billingDetails || {}).address || {};
      countrySelect = countryControl(defaults.country);
      grid.appendChild(labelled('Country', countrySelect, 'Field-countryInput'));
      var postal = input('postal', FIELDS.postal, {
        name: 'postalCode', autocomplete: 'billing postal-code', placeholder: '12345',
        'data-elements-stable-field-name': 'postalCode'
      });
      postal.value = defaults.postal_code || '';
      grid.appendChild(labelled('ZIP code', postal, 'Field-postalCodeInput'));
    }
    form.appendChild(grid);
    var notice = document.createElement('p');
    notice.className = 'p-Notice';
    notice.textContent = 'Test mode: use 4242 4242 4242 4242, any future date and any CVC.';
    form.appendChild(notice);
    root.appendChild(form);
    layoutPostal();
  }

  function buildEmail() {
    var form = document.createElement('div');
    form.className = 'p-Form';
    var email = input('email', FIELDS.email, {
      type: 'email', name: 'email', autocomplete: 'email', placeholder: 'you@example.com'
    });
    email.value = ((OPTIONS.defaultValues || {}).email) || '';
    form.appendChild(labelled('Email', email, 'Field-emailInput', true));
    root.appendChild(form);
  }

  function buildAddress() {
    var form = document.createElement('div');
    form.className = 'p-Form';
    var grid = document.createElement('div');
    grid.className = 'p-Grid';
    var values = (OPTIONS.defaultValues || {});
    var addr = values.address || {};
    function add(key, label, id, rule, attrs, full, initial) {
      var control = input(key, rule, attrs);
      control.value = initial || '';
      grid.appendChild(labelled(label, control, id, full));
    }
    add('name', 'Full name', 'Field-nameInput', FIELDS.text('incomplete_name'),
      { name: 'name', autocomplete: 'name' }, true, values.name);
    countrySelect = countryControl(addr.country);
    grid.appendChild(labelled('Country or region', countrySelect, 'Field-countryInput', true));
    add('line1', 'Address line 1', 'Field-addressLine1Input', FIELDS.text('incomplete_address'),
      { name: 'addressLine1', autocomplete: 'address-line1' }, true, addr.line1);
    add('line2', 'Address line 2', 'Field-addressLine2Input', FIELDS.text(null, true),
      { name: 'addressLine2', autocomplete: 'address-line2' }, true, addr.line2);
    add('city', 'City', 'Field-localityInput', FIELDS.text('incomplete_city'),
      { name: 'locality', autocomplete: 'address-level2' }, false, addr.city);
    add('state', 'State', 'Field-administrativeAreaInput', FIELDS.text(null, true),
      { name: 'administrativeArea', autocomplete: 'address-level1' }, false, addr.state);
    add('postal', 'ZIP code', 'Field-postalCodeInput', FIELDS.postal,
      { name: 'postalCode', autocomplete: 'postal-code' }, false, addr.postal_code);
    form.appendChild(grid);
    root.appendChild(form);
    layoutPostal();
  }

  // -- state and events --------------------------------------------------------------------------

  function active() {
    return fields.filter(function (f) { return !f.disabled; });
  }

  function status() {
    var list = active();
    var empty = true;
    var complete = true;
    var first = null;
    var shown = null;
    list.forEach(function (f) {
      var result = f.rule.check(f.input.value);
      f.result = result;
      if (!result.empty) {
        empty = false;
      }
      if (!result.complete) {
        complete = false;
        if (!first && result.code) {
          first = result.code;
        }
        if (!shown && result.code && (result.hard || f.touched)) {
          shown = result.code;
        }
      }
    });
    return { empty: empty, complete: complete, first: first, shown: shown };
  }

  function render() {
    var state = status();
    active().forEach(function (f) {
      var result = f.result;
      var invalid = !result.complete && !!result.code && (result.hard || f.touched) &&
        !(result.empty && !f.touched);
      f.input.classList.toggle('Input--invalid', invalid);
      f.input.classList.toggle('is-invalid', invalid);
      f.input.classList.toggle('is-empty', !!result.empty);
      f.input.classList.toggle('Input--empty', !!result.empty);
      f.input.classList.toggle('is-complete', !!result.complete && !result.empty);
      f.input.setAttribute('aria-invalid', invalid ? 'true' : 'false');
      var errorNode = document.getElementById(f.input.id + '-error');
      if (errorNode) {
        errorNode.textContent = invalid ? MESSAGES[result.code] : '';
      }
    });
    var icon = document.querySelector('.CardBrandIcon');
    if (icon) {
      var brand = currentBrand();
      icon.setAttribute('data-brand', brand);
      icon.textContent = brand === 'unknown' ? '' : brand.slice(0, 4);
    }
    emitChange(state);
    resize();
    return state;
  }

  var lastChange = null;

  function emitChange(state) {
    var event = { empty: state.empty, complete: state.complete };
    if (TYPE === 'payment') {
      event.collapsed = false;
      event.value = { type: 'card' };
    } else if (TYPE === 'linkAuthentication') {
      event.value = { email: field('email').input.value.trim() };
    } else if (TYPE === 'address') {
      event.isNewAddress = true;
      event.value = addressValue();
    } else {
      event.error = state.shown ? validationError(state.shown) : undefined;
      if (TYPE === 'card' || TYPE === 'cardNumber') {
        event.brand = currentBrand();
      }
      if (TYPE === 'card') {
        var postal = field('postal');
        event.value = { postalCode: postal ? postal.input.value.trim() : '' };
      }
    }
    var serialized = JSON.stringify(event);
    if (serialized !== lastChange) {
      if (lastChange !== null || !state.empty) {
        send({ type: 'change', event: event });
      }
      lastChange = serialized;
    }
    broadcast();
  }

  function addressValue() {
    function v(key) {
      var f = field(key);
      return f ? f.input.value.trim() : '';
    }
    return {
      name: v('name'),
      address: {
        line1: v('line1'), line2: v('line2') || null, city: v('city'), state: v('state'),
        postal_code: v('postal'), country: countryOf()
      }
    };
  }

  function changed(entry) {
    if (entry && entry.rule.check(entry.input.value).hard) {
      entry.touched = true;
    }
    render();
  }

  var lastHeight = 0;

  function resize() {
    var height = Math.ceil(root.getBoundingClientRect().height);
    if (height && height !== lastHeight) {
      lastHeight = height;
      send({ type: 'resize', height: height });
    }
  }

  var focused = false;
  document.addEventListener('focusin', function () {
    if (!focused) {
      focused = true;
      send({ type: 'focus' });
    }
  });
  document.addEventListener('focusout', function () {
    setTimeout(function () {
      if (focused && (!document.hasFocus() || document.activeElement === document.body)) {
        focused = false;
        send({ type: 'blur' });
      }
    }, 0);
  });

  // -- split card elements share what they hold, inside the sandbox's origin only ------------------

  function cardPart() {
    var out = {};
    var number = field('number');
    var expiry = field('expiry');
    var cvc = field('cvc');
    if (number) {
      out.digits = digitsOf(number.input.value);
      out.brand = brandOf(out.digits)[0];
    }
    if (expiry) {
      out.expiry = expiry.input.value;
    }
    if (cvc) {
      out.cvc = cvc.input.value;
    }
    return out;
  }

  function broadcast() {
    if (channel && (TYPE === 'cardNumber' || TYPE === 'cardExpiry' || TYPE === 'cardCvc')) {
      channel.postMessage({ from: TYPE, part: cardPart() });
    }
  }

  if (channel) {
    channel.onmessage = function (event) {
      var data = event.data || {};
      if (data.hello) {
        broadcast();
      } else if (data.touch && TYPE !== 'cardNumber') {
        fields.forEach(function (f) { f.touched = true; });
        render();
      } else if (data.from && data.from !== TYPE) {
        siblings[data.from] = data.part;
        if (data.from === 'cardNumber' && TYPE === 'cardCvc') {
          render();
        }
      }
    };
  }

  // The card as the API takes it, from this frame and (for split elements) its siblings.
  function cardData() {
    var own = cardPart();
    var expiry = own.expiry !== undefined ? own.expiry : (siblings.cardExpiry || {}).expiry;
    var cvc = own.cvc !== undefined ? own.cvc : (siblings.cardCvc || {}).cvc;
    var exp = digitsOf(expiry);
    return {
      number: own.digits,
      exp_month: +exp.slice(0, 2),
      exp_year: 2000 + +exp.slice(2, 4),
      cvc: digitsOf(cvc)
    };
  }

  function validate() {
    fields.forEach(function (f) { f.touched = true; });
    var state = render();
    if (!state.complete) {
      return validationError(state.first || 'incomplete_number');
    }
    if (TYPE === 'cardNumber') {
      if (channel) {
        channel.postMessage({ touch: true });
      }
      var expiry = FIELDS.expiry.check((siblings.cardExpiry || {}).expiry);
      if (!expiry.complete) {
        return validationError(expiry.code);
      }
      var cvc = FIELDS.cvc.check((siblings.cardCvc || {}).cvc);
      if (!cvc.complete) {
        return validationError(cvc.code);
      }
    }
    return null;
  }

  // -- requests from the page --------------------------------------------------------------------

  function encode(value, prefix, out) {
    if (value === undefined || value === null) {
      return out;
    }
    if (Array.isArray(value)) {
      value.forEach(function (item, i) { encode(item, prefix + '[' + i + ']', out); });
    } else if (typeof value === 'object') {
      Object.keys(value).forEach(function (name) {
        encode(value[name], prefix ? prefix + '[' + name + ']' : name, out);
      });
    } else {
      out.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(value)));
    }
    return out;
  }

  function post(path, params) {
    var body = encode(Object.assign({ key: config.key }, params), '', []).join('&');
    return fetch(BASE + path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body
    }).then(function (response) {
      return response.json().then(function (json) {
        return { status: response.status, body: json };
      });
    }, function () {
      return {
        status: 0,
        body: { error: { type: 'api_connection_error',
          message: 'We could not connect to the payments server. Try again.' } }
      };
    });
  }

  // Billing details this frame collected (postal code, country) under what the page passed.
  function billingDetails(given) {
    var details = Object.assign({}, given || {});
    var postal = field('postal');
    if (postal && !postal.disabled && postal.input.value.trim()) {
      var address = Object.assign({}, details.address || {});
      if (!address.postal_code) {
        address.postal_code = postal.input.value.trim();
      }
      if (countrySelect && !address.country) {
        address.country = countryOf();
      }
      details.address = address;
    } else if (countrySelect && TYPE === 'payment') {
      details.address = Object.assign({ country: countryOf() }, details.address || {});
    }
    return details;
  }

  function paymentMethodData(given) {
    var data = Object.assign({}, given || {});
    data.type = 'card';
    data.card = cardData();
    data.billing_details = billingDetails(data.billing_details);
    data.payment_user_agent = VERSION;
    return data;
  }

  var OPS = {
    validate: function () {
      var error = validate();
      return Promise.resolve(error ? { error: error } : {});
    },
    confirm: function (payload) {
      var params = Object.assign({}, payload.params);
      // The path comes from the intent's own client secret, never from the page: card data
      // goes only to this sandbox's confirm endpoints.
      var found = /^((pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(params.client_secret || '');
      if (!found) {
        return Promise.resolve({ status: 400, body: { error: { type: 'invalid_request_error',
          message: 'Invalid client_secret.' } } });
      }
      var path = (found[2] === 'pi' ? '/v1/payment_intents/' : '/v1/setup_intents/') +
        found[1] + '/confirm';
      params.payment_method_data = paymentMethodData(params.payment_method_data);
      return post(path, params);
    },
    createPaymentMethod: function (payload) {
      var params = Object.assign({}, payload.params);
      params.card = cardData();
      params.billing_details = billingDetails(params.billing_details);
      return post('/v1/payment_methods', params);
    },
    createToken: function (payload) {
      var card = cardData();
      var extra = payload.params || {};
      Object.keys(extra).forEach(function (name) {
        card[name] = extra[name];
      });
      var postal = field('postal');
      if (postal && postal.input.value.trim() && !card.address_zip) {
        card.address_zip = postal.input.value.trim();
      }
      return post('/v1/tokens', { card: card });
    }
  };

  function handleRequest(data) {
    var op = OPS[data.op];
    var done = function (result) {
      send({ type: 'response', requestId: data.requestId, result: result });
    };
    if (!op) {
      return done({ status: 400, body: { error: { type: 'invalid_request_error',
        message: 'Unknown request.' } } });
    }
    if (data.op !== 'validate' && TYPE !== 'payment' && TYPE !== 'card' && TYPE !== 'cardNumber') {
      return done({ status: 400, body: { error: { type: 'invalid_request_error',
        message: 'This Element does not hold a card.' } } });
    }
    var error = data.op === 'validate' ? null : validate();
    if (error) {
      return done({ status: 400, body: { error: error } });
    }
    op(data.payload || {}).then(done);
  }

  // The page's style options become CSS inside this frame: only the properties Stripe allows,
  // and values that cannot close the rule or load anything.
  var STYLE_PROPERTIES = ['color', 'backgroundColor', 'fontFamily', 'fontSize', 'fontStyle',
    'fontVariant', 'fontWeight', 'fontSmoothing', 'letterSpacing', 'lineHeight', 'padding',
    'textAlign', 'textDecoration', 'textShadow', 'textTransform', 'iconColor',
    'WebkitFontSmoothing', 'MozOsxFontSmoothing'];
  var PSEUDOS = [':hover', ':focus', '::placeholder', '::selection', ':-webkit-autofill',
    ':disabled', '::-ms-clear'];
  var SAFE_VALUE = /^[^{};<>@\\]*$/;

  function safeStyle(name, value) {
    return STYLE_PROPERTIES.indexOf(name) >= 0 && SAFE_VALUE.test(String(value)) &&
      !/url\s*\(|expression\s*\(/i.test(String(value));
  }

  function applyStyle(style) {
    var css = [];
    function rules(selector, values) {
      var decls = [];
      Object.keys(values || {}).forEach(function (name) {
        var value = values[name];
        if (PSEUDOS.indexOf(name) >= 0 && typeof value === 'object') {
          rules(selector + name, value);
        } else if (typeof value !== 'object' && name !== 'iconColor' && safeStyle(name, value)) {
          decls.push(name.replace(/[A-Z]/g, function (c) { return '-' + c.toLowerCase(); }) +
            ':' + value);
        }
      });
      if (decls.length) {
        css.push(selector + '{' + decls.join(';') + '}');
      }
    }
    if (style) {
      rules('body, .Input', style.base);
      rules('.Input.Input--invalid', style.invalid);
      rules('.Input.is-complete', style.complete);
      rules('.Input.is-empty', style.empty);
    }
    var node = document.getElementById('element-style') || document.createElement('style');
    node.id = 'element-style';
    node.textContent = css.join('\n');
    document.head.appendChild(node);
  }

  function applyAppearance(appearance) {
    var form = document.querySelector('.p-Form');
    if (!form || !appearance) {
      return;
    }
    form.classList.toggle('Theme--night', appearance.theme === 'night');
    var vars = appearance.variables || {};
    Object.keys(vars).forEach(function (name) {
      if (!SAFE_VALUE.test(String(vars[name])) || /url\s*\(/i.test(String(vars[name]))) {
        return;
      }
      form.style.setProperty('--p-' + name, String(vars[name]));
      if (name === 'fontFamily') {
        document.body.style.fontFamily = vars[name];
      }
    });
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.source !== window.parent || event.origin !== PARENT || !data ||
        data.__paydesk !== true) {
      return;
    }
    if (data.type === 'request') {
      handleRequest(data);
    } else if (data.type === 'focus') {
      var target = active().filter(function (f) { return !f.result || !f.result.complete; })[0] ||
        active()[0];
      if (target) {
        target.input.focus();
      }
    } else if (data.type === 'blur') {
      if (document.activeElement) {
        document.activeElement.blur();
      }
    } else if (data.type === 'clear') {
      fields.forEach(function (f) { f.input.value = ''; f.touched = false; });
      render();
    } else if (data.type === 'update') {
      Object.assign(OPTIONS, data.options || {});
      applyStyle(OPTIONS.style);
      if (data.options && data.options.value && data.options.value.postalCode && field('postal')) {
        field('postal').input.value = data.options.value.postalCode;
      }
      var disabled = !!OPTIONS.disabled;
      fields.forEach(function (f) { f.input.disabled = disabled; });
      render();
    } else if (data.type === 'elements') {
      SHARED = data.elements || {};
      applyAppearance(SHARED.appearance);
    }
  });

  // -- start ---------------------------------------------------------------------------------------

  if (TYPE === 'payment') {
    buildPayment();
  } else if (TYPE === 'linkAuthentication') {
    buildEmail();
  } else if (TYPE === 'address') {
    buildAddress();
  } else {
    buildCardRow();
  }
  applyStyle(OPTIONS.style);
  applyAppearance(SHARED.appearance);
  if (OPTIONS.disabled) {
    fields.forEach(function (f) { f.input.disabled = true; });
  }
  if (channel) {
    channel.postMessage({ hello: true });
  }
  render();
  send({ type: 'ready' });
  resize();
})();
