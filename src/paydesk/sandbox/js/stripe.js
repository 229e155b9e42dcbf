/*
 * paydesk sandbox: a Stripe.js (v3) compatible client for payments, served at /v3/.
 *
 * A page written for Stripe.js works against the sandbox with only its <script src> changed.
 * The API base is this script's own URL, so nothing else needs configuring.
 *
 * Card fields live in iframes served by the sandbox (elements-inner.html): the merchant's page
 * never sees a card number. The page talks to each frame with postMessage, checking the frame's
 * origin and window; the frames make every API call that carries card data themselves.
 */
(function () {
  'use strict';

  if (window.Stripe && window.Stripe.__paydesk) {
    return;
  }

  var SCRIPT = document.currentScript || findOwnScript();
  var BASE = baseOf(SCRIPT ? SCRIPT.src : window.location.href);
  var ORIGIN = new URL(BASE).origin;
  var VERSION = 'paydesk-sandbox-v3';
  var FORM = 'application/x-www-form-urlencoded';

  function findOwnScript() {
    var scripts = document.getElementsByTagName('script');
    for (var i = scripts.length - 1; i >= 0; i--) {
      if (/\/v3\/?(\?.*)?$/.test(scripts[i].src || '')) {
        return scripts[i];
      }
    }
    return null;
  }

  function baseOf(src) {
    var url = new URL(src, window.location.href);
    var path = url.pathname.replace(/\/v3\/?[^/]*$/, '');
    return url.origin + path;
  }

  function uid() {
    return Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  }

  function IntegrationError(message) {
    var error = new Error(message);
    error.name = 'IntegrationError';
    return error;
  }

  // -- HTTP ------------------------------------------------------------------------------------

  function encode(value, prefix, out) {
    if (value === undefined || value === null) {
      return out;
    }
    if (Array.isArray(value)) {
      value.forEach(function (item, i) {
        encode(item, prefix + '[' + i + ']', out);
      });
    } else if (typeof value === 'object') {
      Object.keys(value).forEach(function (name) {
        encode(value[name], prefix ? prefix + '[' + name + ']' : name, out);
      });
    } else {
      out.push(encodeURIComponent(prefix) + '=' + encodeURIComponent(String(value)));
    }
    return out;
  }

  function request(method, path, params, key) {
    var body = encode(Object.assign({ key: key, payment_user_agent: VERSION }, params), '', []);
    var url = BASE + path;
    var init = { method: method, headers: {} };
    if (method === 'GET') {
      url += '?' + body.join('&');
    } else {
      init.headers['Content-Type'] = FORM;
      init.body = body.join('&');
    }
    return fetch(url, init).then(
      function (response) {
        return response.json().then(function (json) {
          return { status: response.status, body: json };
        });
      },
      function () {
        return networkError();
      }
    );
  }

  function networkError() {
    return {
      status: 0,
      body: {
        error: {
          type: 'api_connection_error',
          message: 'We could not connect to the payments server at ' + BASE + '. Check that ' +
            'the sandbox is running and try again.'
        }
      }
    };
  }

  function intentKind(clientSecret) {
    if (typeof clientSecret !== 'string') {
      return null;
    }
    var found = /^((pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+$/.exec(clientSecret);
    if (!found) {
      return null;
    }
    return {
      id: found[1],
      path: found[2] === 'pi' ? '/v1/payment_intents/' : '/v1/setup_intents/',
      field: found[2] === 'pi' ? 'paymentIntent' : 'setupIntent',
      query: found[2] === 'pi' ? 'payment_intent' : 'setup_intent',
      object: found[2] === 'pi' ? 'payment_intent' : 'setup_intent'
    };
  }

  function badSecret(name, value) {
    return IntegrationError(
      'Invalid value for ' + name + ': clientSecret should be a client secret of the form ' +
        '${id}_secret_${secret}. You specified: ' + value + '.'
    );
  }

  // -- results, as Stripe.js shapes them -------------------------------------------------------

  function errorResult(body, kind) {
    var error = Object.assign({}, (body && body.error) || {
      type: 'api_error',
      message: 'An unexpected error occurred.'
    });
    var result = { error: error };
    if (kind && error[kind.object]) {
      result.error[kind.object] = error[kind.object];
    }
    return result;
  }

  function intentResult(kind, intent) {
    var failure = intent.last_payment_error || intent.last_setup_error;
    var failed = intent.status === 'requires_payment_method' ||
      intent.status === 'requires_action' || intent.status === 'canceled';
    if (failure && failed) {
      var error = Object.assign({}, failure);
      error[kind.object] = intent;
      return { error: error };
    }
    var result = {};
    result[kind.field] = intent;
    return result;
  }

  // -- 3D Secure: the sandbox's challenge page in a modal ---------------------------------------

  function authenticate(url) {
    return new Promise(function (resolve) {
      var overlay = document.createElement('div');
      overlay.setAttribute('data-paydesk-3ds', '');
      overlay.style.cssText = 'position:fixed;inset:0;z-index:2147483647;display:flex;' +
        'align-items:center;justify-content:center;background:rgba(0,0,0,.45)';
      var box = document.createElement('div');
      box.style.cssText = 'position:relative;background:#fff;border-radius:8px;' +
        'box-shadow:0 12px 40px rgba(0,0,0,.3);width:min(420px,96vw);height:min(560px,92vh);' +
        'overflow:hidden';
      var frame = document.createElement('iframe');
      frame.name = '__privateStripeFrame' + Math.floor(Math.random() * 100000);
      frame.title = '3D Secure challenge';
      frame.src = url;
      frame.style.cssText = 'border:0;width:100%;height:100%';
      var close = document.createElement('button');
      close.type = 'button';
      close.setAttribute('aria-label', 'Close');
      close.textContent = '\u00d7';
      close.style.cssText = 'position:absolute;top:4px;right:8px;border:0;background:none;' +
        'font-size:24px;cursor:pointer;color:#555';
      box.appendChild(frame);
      box.appendChild(close);
      overlay.appendChild(box);
      document.body.appendChild(overlay);

      function done() {
        window.removeEventListener('message', onMessage);
        if (overlay.parentNode) {
          overlay.parentNode.removeChild(overlay);
        }
        resolve();
      }
      function onMessage(event) {
        if (event.origin !== ORIGIN || event.source !== frame.contentWindow) {
          return;
        }
        if (event.data && event.data.type === 'paydesk:3ds-complete') {
          done();
        }
      }
      window.addEventListener('message', onMessage);
      close.addEventListener('click', done);
    });
  }

  // After a confirm: run any next action in the modal, then read the intent again.
  function settle(stripe, kind, clientSecret, response, handleActions) {
    if (response.status !== 200) {
      return Promise.resolve(errorResult(response.body, kind));
    }
    var intent = response.body;
    var action = intent.next_action;
    if (intent.status !== 'requires_action' || !action || handleActions === false) {
      return Promise.resolve(intentResult(kind, intent));
    }
    var redirect = action.redirect_to_url || {};
    var url = redirect.url || (action.use_stripe_sdk && action.use_stripe_sdk.stripe_js);
    if (!url) {
      return Promise.resolve(intentResult(kind, intent));
    }
    return authenticate(url).then(function () {
      return stripe._retrieve(kind, clientSecret);
    }).then(function (result) {
      var fresh = result[kind.field];
      if (fresh && fresh.status === 'requires_action') {
        return {
          error: Object.assign(
            {
              type: 'invalid_request_error',
              code: kind.object + '_authentication_failure',
              message: 'We are unable to authenticate your payment method. Please choose a ' +
                'different payment method and try again.'
            },
            (function () { var e = {}; e[kind.object] = fresh; return e; })()
          )
        };
      }
      return fresh ? intentResult(kind, fresh) : result;
    });
  }

  function returnTo(returnUrl, kind, intent) {
    var url = new URL(returnUrl, window.location.href);
    var ok = intent.status === 'succeeded' || intent.status === 'requires_capture' ||
      intent.status === 'processing';
    url.searchParams.set(kind.query, intent.id);
    url.searchParams.set(kind.query + '_client_secret', intent.client_secret);
    url.searchParams.set('redirect_status', ok ? 'succeeded' : 'failed');
    return url.toString();
  }

  // -- Elements --------------------------------------------------------------------------------

  var FRAME_TITLES = {
    card: 'Secure card payment input frame',
    cardNumber: 'Secure card number input frame',
    cardExpiry: 'Secure expiration date input frame',
    cardCvc: 'Secure CVC input frame',
    payment: 'Secure payment input frame',
    linkAuthentication: 'Secure email input frame',
    address: 'Secure address input frame'
  };
  var CARD_TYPES = ['card', 'cardNumber', 'cardExpiry', 'cardCvc'];
  var FRAMES = {};

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.origin !== ORIGIN || !data || data.__paydesk !== true) {
      return;
    }
    var element = FRAMES[data.frameId];
    if (element && element._frame && event.source === element._frame.contentWindow) {
      element._receive(data);
    }
  });

  function Element(group, type, options) {
    this._group = group;
    this._type = type;
    this._options = Object.assign({}, options || {});
    this._id = uid();
    this._listeners = {};
    this._pending = {};
    this._frame = null;
    this._container = null;
    this._state = { empty: true, complete: false, error: undefined, focus: false };
    this._value = {};
    this._readyWaiters = [];
    this._isReady = false;
    this._destroyed = false;
  }

  Element.prototype.mount = function (target) {
    if (this._destroyed) {
      throw IntegrationError('This Element has already been destroyed. Please create a new one.');
    }
    var container = typeof target === 'string' ? document.querySelector(target) : target;
    if (!container || !container.appendChild) {
      throw IntegrationError(
        'The selector you specified (' + target + ') applies to no DOM elements that are ' +
          'currently on the page.\nMake sure the element exists on the page before calling mount().'
      );
    }
    if (this._frame) {
      this.unmount();
    }
    this._container = container;
    // A click on the container's padding focuses the field, as Stripe's Elements do.
    var self = this;
    this._onContainerClick = function (event) {
      if (event.target === container) {
        self.focus();
      }
    };
    container.addEventListener('click', this._onContainerClick);
    var holder = document.createElement('div');
    holder.className = '__PrivateStripeElement';
    holder.style.cssText = 'margin:0!important;padding:0!important;border:none!important;' +
      'display:block!important;background:transparent!important;position:relative!important;' +
      'opacity:1!important';
    var frame = document.createElement('iframe');
    frame.name = '__privateStripeFrame' + (1000 + Math.floor(Math.random() * 9000));
    frame.title = FRAME_TITLES[this._type] || 'Secure input frame';
    frame.setAttribute('frameborder', '0');
    frame.setAttribute('allowtransparency', 'true');
    frame.setAttribute('scrolling', 'no');
    frame.setAttribute('role', 'presentation');
    frame.setAttribute('allow', 'payment *');
    frame.style.cssText = 'border:none!important;margin:0!important;padding:0!important;' +
      'width:1px!important;min-width:100%!important;overflow:hidden!important;' +
      'display:block!important;user-select:none!important;height:' +
      (CARD_TYPES.indexOf(this._type) >= 0 ? '19.2px' : '120px');
    frame.src = BASE + '/v3/elements-inner.html#' + encodeURIComponent(JSON.stringify({
      frameId: this._id,
      group: this._group._id,
      type: this._type,
      key: this._group._stripe._key,
      origin: window.location.origin,
      options: this._options,
      elements: this._group._frameOptions()
    }));
    holder.appendChild(frame);
    container.appendChild(holder);
    this._holder = holder;
    this._frame = frame;
    FRAMES[this._id] = this;
    this._syncClasses();
  };

  Element.prototype.unmount = function () {
    if (this._holder && this._holder.parentNode) {
      this._holder.parentNode.removeChild(this._holder);
    }
    if (this._container) {
      this._container.removeEventListener('click', this._onContainerClick);
      var names = this._classNames();
      var list = this._container.classList;
      Object.keys(names).forEach(function (key) {
        if (names[key]) {
          list.remove(names[key]);
        }
      });
    }
    delete FRAMES[this._id];
    this._frame = null;
    this._holder = null;
    this._container = null;
    this._isReady = false;
  };

  Element.prototype.destroy = function () {
    this.unmount();
    this._destroyed = true;
    this._group._forget(this);
  };

  Element.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    this._post({ type: 'update', options: options || {} });
  };

  Element.prototype.on = function (name, handler) {
    (this._listeners[name] = this._listeners[name] || []).push(handler);
    if (name === 'ready' && this._isReady) {
      handler({ elementType: this._type });
    }
    return this;
  };
  Element.prototype.addEventListener = Element.prototype.on;

  Element.prototype.off = function (name, handler) {
    var list = this._listeners[name] || [];
    this._listeners[name] = handler ? list.filter(function (h) { return h !== handler; }) : [];
    return this;
  };
  Element.prototype.removeEventListener = Element.prototype.off;

  Element.prototype.once = function (name, handler) {
    var self = this;
    function wrapped(event) {
      self.off(name, wrapped);
      handler(event);
    }
    return this.on(name, wrapped);
  };

  Element.prototype.focus = function () { this._post({ type: 'focus' }); };
  Element.prototype.blur = function () { this._post({ type: 'blur' }); };
  Element.prototype.clear = function () { this._post({ type: 'clear' }); };
  Element.prototype.collapse = function () { return this; };

  // Address and Link Authentication Elements: what the buyer entered (no card data).
  Element.prototype.getValue = function () {
    return Promise.resolve({
      complete: this._state.complete,
      isNewAddress: true,
      value: this._value
    });
  };

  Element.prototype._emit = function (name, event) {
    (this._listeners[name] || []).slice().forEach(function (handler) {
      handler(event);
    });
  };

  // The container's state classes; an Element's `classes` option renames them, as Stripe's.
  Element.prototype._classNames = function () {
    return Object.assign({
      base: 'StripeElement',
      complete: 'StripeElement--complete',
      empty: 'StripeElement--empty',
      focus: 'StripeElement--focus',
      invalid: 'StripeElement--invalid'
    }, this._options.classes || {});
  };

  Element.prototype._syncClasses = function () {
    var c = this._container;
    if (!c) {
      return;
    }
    var names = this._classNames();
    var state = this._state;
    c.classList.add(names.base);
    [['empty', state.empty], ['complete', state.complete], ['invalid', state.error],
      ['focus', state.focus]].forEach(function (pair) {
      if (names[pair[0]]) {
        c.classList.toggle(names[pair[0]], !!pair[1]);
      }
    });
  };

  Element.prototype._receive = function (data) {
    if (data.type === 'ready') {
      this._isReady = true;
      this._readyWaiters.splice(0).forEach(function (resolve) { resolve(); });
      this._emit('ready', { elementType: this._type });
    } else if (data.type === 'resize' && this._frame) {
      this._frame.style.setProperty('height', data.height + 'px', 'important');
    } else if (data.type === 'change') {
      this._state.empty = data.event.empty;
      this._state.complete = data.event.complete;
      this._state.error = data.event.error;
      this._value = data.event.value || {};
      this._syncClasses();
      this._emit('change', Object.assign({ elementType: this._type }, data.event));
    } else if (data.type === 'focus' || data.type === 'blur') {
      this._state.focus = data.type === 'focus';
      this._syncClasses();
      this._emit(data.type, { elementType: this._type });
    } else if (data.type === 'submit') {
      // Enter in a card field submits the form around the Element, as it does with Stripe's.
      var form = this._container && this._container.closest('form');
      if (form && form.requestSubmit) {
        form.requestSubmit();
      }
    } else if (data.type === 'escape') {
      this._emit('escape', { elementType: this._type });
    } else if (data.type === 'response' && this._pending[data.requestId]) {
      this._pending[data.requestId](data.result);
      delete this._pending[data.requestId];
    }
  };

  Element.prototype._post = function (message) {
    var self = this;
    this._whenReady().then(function () {
      if (self._frame) {
        message.__paydesk = true;
        self._frame.contentWindow.postMessage(message, ORIGIN);
      }
    });
  };

  Element.prototype._whenReady = function () {
    var self = this;
    if (this._isReady) {
      return Promise.resolve();
    }
    return new Promise(function (resolve) { self._readyWaiters.push(resolve); });
  };

  // Ask the frame to do something with the card it holds; resolves with {status, body}.
  Element.prototype._ask = function (op, payload) {
    var self = this;
    if (!this._frame) {
      return Promise.reject(IntegrationError(
        'We could not retrieve data from the specified Element. Please make sure the Element ' +
          'you are attempting to use is still mounted.'
      ));
    }
    var requestId = uid();
    return new Promise(function (resolve) {
      self._pending[requestId] = resolve;
      self._post({ type: 'request', requestId: requestId, op: op, payload: payload });
    });
  };

  function Elements(stripe, options) {
    this._stripe = stripe;
    this._options = Object.assign({}, options || {});
    this._id = uid();
    this._elements = {};
  }

  Elements.prototype._frameOptions = function () {
    var o = this._options;
    return {
      appearance: o.appearance || {},
      mode: o.mode,
      amount: o.amount,
      currency: o.currency,
      locale: o.locale || this._stripe._options.locale,
      hasClientSecret: !!o.clientSecret
    };
  };

  Elements.prototype.create = function (type, options) {
    var known = ['card', 'cardNumber', 'cardExpiry', 'cardCvc', 'payment', 'linkAuthentication',
      'address', 'paymentRequestButton', 'expressCheckout'];
    if (known.indexOf(type) < 0) {
      throw IntegrationError('A valid Element name must be provided. Valid Elements are: ' +
        known.join(', ') + '; you passed: ' + type + '.');
    }
    if (this._elements[type]) {
      throw IntegrationError('Can only create one Element of type ' + type + '.');
    }
    if (type === 'payment' && !this._options.clientSecret && !this._options.mode) {
      throw IntegrationError('In order to create a payment element, you must pass a ' +
        'clientSecret or mode when creating the Elements group.\n\ne.g. stripe.elements(' +
        '{clientSecret: "{{CLIENT_SECRET}}"})');
    }
    var element = type === 'paymentRequestButton' || type === 'expressCheckout'
      ? new WalletElement(this, type, options)
      : new Element(this, type, options);
    this._elements[type] = element;
    return element;
  };

  Elements.prototype.getElement = function (type) {
    return this._elements[type] || null;
  };

  Elements.prototype._forget = function (element) {
    if (this._elements[element._type] === element) {
      delete this._elements[element._type];
    }
  };

  Elements.prototype.update = function (options) {
    Object.assign(this._options, options || {});
    var shared = this._frameOptions();
    Object.keys(this._elements).forEach(function (type) {
      var element = this._elements[type];
      if (element._post) {
        element._post({ type: 'elements', elements: shared });
      }
    }, this);
  };

  Elements.prototype.fetchUpdates = function () {
    return Promise.resolve({});
  };

  // Validates every mounted element; resolves {} or {error} as Stripe.js's does.
  Elements.prototype.submit = function () {
    var checks = Object.keys(this._elements).map(function (type) {
      var element = this._elements[type];
      return element._frame ? element._ask('validate', {}) : Promise.resolve({});
    }, this);
    return Promise.all(checks).then(function (results) {
      for (var i = 0; i < results.length; i++) {
        if (results[i] && results[i].error) {
          return { error: results[i].error };
        }
      }
      return { selectedPaymentMethod: 'card' };
    });
  };

  // Billing details gathered from the Address and Link Authentication Elements, if any.
  Elements.prototype._billingDetails = function () {
    var details = {};
    var address = this._elements.address;
    if (address && address._value && (address._options.mode || 'billing') === 'billing') {
      if (address._value.name) {
        details.name = address._value.name;
      }
      if (address._value.address) {
        details.address = address._value.address;
      }
      if (address._value.phone) {
        details.phone = address._value.phone;
      }
    }
    var link = this._elements.linkAuthentication;
    if (link && link._value && link._value.email) {
      details.email = link._value.email;
    }
    return details;
  };

  Elements.prototype._shipping = function () {
    var address = this._elements.address;
    if (address && address._options.mode === 'shipping' && address._value.address) {
      return { name: address._value.name, address: address._value.address };
    }
    return undefined;
  };

  // Wallet buttons (Apple Pay, Google Pay) cannot run offline: they report "not available",
  // as Stripe.js does in a browser with no wallet.
  function WalletElement(group, type, options) {
    Element.call(this, group, type, options);
  }
  WalletElement.prototype = Object.create(Element.prototype);
  WalletElement.prototype.mount = function (target) {
    var self = this;
    this._container = typeof target === 'string' ? document.querySelector(target) : target;
    setTimeout(function () {
      self._isReady = true;
      self._emit('ready', { elementType: self._type, availablePaymentMethods: undefined });
    }, 0);
  };
  WalletElement.prototype._post = function () {};

  function PaymentRequest(options) {
    this._options = options || {};
    this._listeners = {};
  }
  PaymentRequest.prototype.canMakePayment = function () { return Promise.resolve(null); };
  PaymentRequest.prototype.show = function () {
    throw IntegrationError('No wallet is available in the paydesk sandbox.');
  };
  PaymentRequest.prototype.update = function (options) { Object.assign(this._options, options); };
  PaymentRequest.prototype.on = function (name, handler) {
    (this._listeners[name] = this._listeners[name] || []).push(handler);
    return this;
  };
  PaymentRequest.prototype.off = function () { return this; };
  PaymentRequest.prototype.isShowing = function () { return false; };
  PaymentRequest.prototype.abort = function () {};

  // -- Stripe ----------------------------------------------------------------------------------

  function Stripe(key, options) {
    if (!(this instanceof Stripe)) {
      return new Stripe(key, options);
    }
    if (typeof key !== 'string' || key === '') {
      throw IntegrationError('Please call Stripe() with your publishable key. You used an ' +
        'empty string.');
    }
    if (/^(sk|rk)_/.test(key)) {
      throw IntegrationError('You should not use your secret key with Stripe.js.\nPlease pass ' +
        'a publishable key instead.');
    }
    this._key = key;
    this._options = Object.assign({}, options || {});
  }

  Stripe.__paydesk = true;
  Stripe.version = 3;

  // Called by @stripe/stripe-js's loadStripe and by React Stripe.js to identify themselves.
  Stripe.prototype._registerWrapper = function () {};
  Stripe.prototype.registerAppInfo = function () {};

  Stripe.prototype.elements = function (options) {
    return new Elements(this, options);
  };

  Stripe.prototype.paymentRequest = function (options) {
    return new PaymentRequest(options);
  };

  Stripe.prototype._retrieve = function (kind, clientSecret) {
    return request('GET', kind.path + kind.id, { client_secret: clientSecret }, this._key)
      .then(function (response) {
        if (response.status !== 200) {
          return errorResult(response.body, kind);
        }
        var result = {};
        result[kind.field] = response.body;
        return result;
      });
  };

  Stripe.prototype.retrievePaymentIntent = function (clientSecret) {
    var kind = intentKind(clientSecret);
    if (!kind || kind.object !== 'payment_intent') {
      return Promise.reject(badSecret('stripe.retrievePaymentIntent intent secret', clientSecret));
    }
    return this._retrieve(kind, clientSecret);
  };

  Stripe.prototype.retrieveSetupIntent = function (clientSecret) {
    var kind = intentKind(clientSecret);
    if (!kind || kind.object !== 'setup_intent') {
      return Promise.reject(badSecret('stripe.retrieveSetupIntent intent secret', clientSecret));
    }
    return this._retrieve(kind, clientSecret);
  };

  // The confirm call itself: through the card's frame when the card is in an Element.
  Stripe.prototype._confirm = function (kind, clientSecret, element, params) {
    var body = Object.assign({ client_secret: clientSecret }, params);
    if (element) {
      return element._ask('confirm', { params: body });
    }
    return request('POST', kind.path + kind.id + '/confirm', body, this._key);
  };

  // confirmCardPayment / confirmCardSetup: {payment_method: id | {card, billing_details}}.
  Stripe.prototype._confirmCard = function (name, object, clientSecret, data, options) {
    var kind = intentKind(clientSecret);
    if (!kind || kind.object !== object) {
      return Promise.reject(badSecret('stripe.' + name + ' intent secret', clientSecret));
    }
    var params = Object.assign({}, data || {});
    var element = null;
    var pm = params.payment_method;
    if (pm && typeof pm === 'object') {
      element = cardElementOf(pm.card);
      if (pm.card && !element) {
        return Promise.reject(IntegrationError('Invalid value for ' + name + ': ' +
          'payment_method.card should be a card Element or {token}.'));
      }
      delete params.payment_method;
      var pmd = {};
      if (pm.billing_details) {
        pmd.billing_details = pm.billing_details;
      }
      if (pm.metadata) {
        pmd.metadata = pm.metadata;
      }
      if (pm.card && pm.card.token) {
        params.payment_method_data = Object.assign({ type: 'card', card: { token: pm.card.token } },
          pmd);
        element = null;
      } else {
        params.payment_method_data = pmd;
      }
    }
    var self = this;
    var handleActions = !options || options.handleActions !== false;
    return this._confirm(kind, clientSecret, element, params).then(function (response) {
      return settle(self, kind, clientSecret, response, handleActions);
    });
  };

  Stripe.prototype.confirmCardPayment = function (clientSecret, data, options) {
    return this._confirmCard('confirmCardPayment', 'payment_intent', clientSecret, data, options);
  };

  Stripe.prototype.confirmCardSetup = function (clientSecret, data, options) {
    return this._confirmCard('confirmCardSetup', 'setup_intent', clientSecret, data, options);
  };

  function cardElementOf(card) {
    if (!(card instanceof Element)) {
      return null;
    }
    if (card._type === 'cardExpiry' || card._type === 'cardCvc') {
      return card._group.getElement('cardNumber');
    }
    return card;
  }

  // confirmPayment / confirmSetup: the Payment Element, return_url and `redirect`.
  Stripe.prototype._confirmElements = function (name, object, options) {
    options = options || {};
    var elements = options.elements;
    var clientSecret = options.clientSecret || (elements && elements._options.clientSecret);
    var confirmParams = Object.assign({}, options.confirmParams || {});
    var redirect = options.redirect || 'always';
    var kind = intentKind(clientSecret);
    if (!kind || kind.object !== object) {
      return Promise.reject(badSecret('stripe.' + name + '(): clientSecret', clientSecret));
    }
    if (!confirmParams.return_url && redirect !== 'if_required') {
      return Promise.reject(IntegrationError('stripe.' + name + '(): the `confirmParams.' +
        'return_url` argument is required unless passing `redirect: \'if_required\'`'));
    }
    var element = elements ? elements.getElement('payment') : null;
    var returnUrl = confirmParams.return_url;
    delete confirmParams.return_url;
    if (element) {
      var pmd = confirmParams.payment_method_data || {};
      var details = Object.assign({}, elements._billingDetails(), pmd.billing_details || {});
      confirmParams.payment_method_data = Object.assign({}, pmd, { billing_details: details });
      if (!confirmParams.shipping && elements._shipping()) {
        confirmParams.shipping = elements._shipping();
      }
    }
    var self = this;
    return this._confirm(kind, clientSecret, element, confirmParams).then(function (response) {
      return settle(self, kind, clientSecret, response, true);
    }).then(function (result) {
      var intent = result[kind.field];
      if (!intent || redirect === 'if_required') {
        return result;
      }
      window.location.assign(returnTo(returnUrl, kind, intent));
      return new Promise(function () {});
    });
  };

  Stripe.prototype.confirmPayment = function (options) {
    return this._confirmElements('confirmPayment', 'payment_intent', options);
  };

  Stripe.prototype.confirmSetup = function (options) {
    return this._confirmElements('confirmSetup', 'setup_intent', options);
  };

  Stripe.prototype.handleCardAction = function (clientSecret) {
    var kind = intentKind(clientSecret);
    if (!kind || kind.object !== 'payment_intent') {
      return Promise.reject(badSecret('stripe.handleCardAction intent secret', clientSecret));
    }
    return this._handle(kind, clientSecret);
  };

  Stripe.prototype.handleNextAction = function (options) {
    var clientSecret = options && options.clientSecret;
    var kind = intentKind(clientSecret);
    if (!kind) {
      return Promise.reject(badSecret('stripe.handleNextAction(): clientSecret', clientSecret));
    }
    return this._handle(kind, clientSecret);
  };

  Stripe.prototype._handle = function (kind, clientSecret) {
    var self = this;
    return request('GET', kind.path + kind.id, { client_secret: clientSecret }, this._key)
      .then(function (response) {
        if (response.status === 200 && response.body.status !== 'requires_action') {
          return {
            error: {
              type: 'invalid_request_error',
              code: 'payment_intent_unexpected_state',
              message: 'The ' + kind.object.replace('_', ' ') + ' does not require an action ' +
                '(its status is ' + response.body.status + ').'
            }
          };
        }
        return settle(self, kind, clientSecret, response, true);
      });
  };

  // createPaymentMethod({type: 'card', card, billing_details}), the older
  // createPaymentMethod('card', card, {billing_details}), and ({elements, params}).
  Stripe.prototype.createPaymentMethod = function (first, second, third) {
    var data = typeof first === 'string'
      ? Object.assign({ type: first, card: second }, third || {})
      : Object.assign({}, first || {});
    var element = null;
    if (data.elements) {
      element = data.elements.getElement('payment') || data.elements.getElement('card') ||
        data.elements.getElement('cardNumber');
      var billing = data.elements._billingDetails();
      data = Object.assign({ type: 'card' }, data.params || {});
      data.billing_details = Object.assign({}, billing, data.billing_details || {});
    } else {
      element = cardElementOf(data.card);
      if (element) {
        delete data.card;
      }
    }
    if (!data.type) {
      return Promise.reject(IntegrationError('Missing value for createPaymentMethod: type ' +
        'should be a string.'));
    }
    var promise = element
      ? element._ask('createPaymentMethod', { params: data })
      : request('POST', '/v1/payment_methods', data, this._key);
    return promise.then(function (response) {
      if (response.status !== 200) {
        return errorResult(response.body);
      }
      return { paymentMethod: response.body };
    });
  };

  Stripe.prototype.createToken = function (element, data) {
    var card = cardElementOf(element);
    var promise = card
      ? card._ask('createToken', { params: data || {} })
      : request('POST', '/v1/tokens', typeof element === 'string' ? data : element, this._key);
    return promise.then(function (response) {
      if (response.status !== 200) {
        return errorResult(response.body);
      }
      return { token: response.body };
    });
  };

  Stripe.prototype.createSource = function () {
    return Promise.resolve({
      error: {
        type: 'invalid_request_error',
        message: 'Sources are deprecated: use createPaymentMethod instead.'
      }
    });
  };

  // Removed by Stripe in 2025; older pages and samples still call it.
  Stripe.prototype.redirectToCheckout = function (options) {
    var sessionId = options && options.sessionId;
    if (typeof sessionId !== 'string' || !/^cs_[A-Za-z0-9_]+$/.test(sessionId)) {
      return Promise.resolve({
        error: {
          type: 'invalid_request_error',
          message: 'redirectToCheckout needs the sessionId of a Checkout Session created on ' +
            'your server (client-only line items are not supported).'
        }
      });
    }
    window.location.assign(BASE + '/c/pay/' + encodeURIComponent(sessionId));
    return new Promise(function () {});
  };

  window.Stripe = Stripe;
})();
