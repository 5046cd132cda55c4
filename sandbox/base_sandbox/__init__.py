"""Local, faithful imitation of the BASE API v1 (thebase.in) for integration tests, demos and benchmarks.

It follows BASE's documentation (shared/base-api/README.md) and the recorded live responses, not our
client: field names, nesting, key order and PHP-style JSON (``\\uXXXX`` escapes, ``\\/``) are as recorded,
every BASE error is HTTP 400 ``{"error", "error_description"}`` with Japanese text. Standard library only
at run time (``requests`` is needed only by :class:`SandboxAdmin`).

Running
-------
``python -m base_sandbox --host 127.0.0.1 --port 8081 [--seed demo] [--redirect-uri URI] [--latency-ms N]``
serves until Ctrl-C. In-process: ``srv = SandboxServer(port=0).start(); srv.url; srv.stop()`` (also a
context manager; ``srv.state`` / ``srv.clock`` give direct access to the model).

``--seed demo``: app ``demo-client`` / ``demo-secret`` (redirect ``--redirect-uri``, default
``http://127.0.0.1:3000/oauth/callback``), shop ``demo-shop`` 「デモショップ」 with 12 orders over the last
6¼ days (inside the default 7-day import window): creditcard (one a subscription, one multi-item with a delivery date), cod, cvs unpaid, cvs paid,
base_bt unpaid, atobarai, paypal, a YamatoDelivery cart-app order, one dispatched, one cancelled.

Layout
------
``server`` (HTTP, fault injection, admin routing) talks to ``state.SandboxState``, a thin facade that
takes ONE re-entrant lock around every call and delegates to one module per concern: ``shops`` (apps
and shops), ``oauth`` (consent, codes, tokens), ``orders`` (the order model and its recorded JSON),
``order_book`` (orders of every shop: admin create/patch, list, detail), ``dispatch`` (edit_status
rules), ``limits`` (hourly/daily budgets), ``faults``, ``calls`` (call log), ``mail`` (shipping e-mails),
``errors`` (BASE's error shape and texts), ``auto_close`` (BASE's own 60-day close), ``presets``
(ready-made orders for today's BASE). ``seed`` builds demo data, ``admin`` is the admin API client.

BASE API surface (``/1/``)
--------------------------
``GET/POST /1/oauth/authorize`` (consent page and its form handler), ``POST /1/oauth/token``,
``GET /1/users/me``, ``GET /1/orders``, ``GET /1/orders/detail/{unique_key}``,
``POST /1/orders/edit_status``, ``GET /1/delivery_companies``. Anything else: 404 JSON ``not_found``.

Admin API (``/_sandbox/``, JSON in and out; never fault-injected, never rate-limited)
----------------------------------------------------------------------------------
=========================================  =============================================================
``POST /_sandbox/reset`` {seed?}           empty everything (apps, shops, orders, grants, logs, faults,
                                           latency, limits, clock offset, TTL config); ``seed: "demo"``
                                           re-seeds; a body without the key re-applies the startup seed,
                                           ``{"seed": null}`` (what ``SandboxAdmin.reset()`` sends) empties.
``GET|POST /_sandbox/config``              {code_ttl, access_ttl, refresh_ttl} seconds, for new grants.
``GET|POST /_sandbox/clock``               {advance_seconds: N} | {set: unix} | {real: true}.
``GET|POST /_sandbox/apps``                {client_id, client_secret, redirect_uri} (GET hides secrets).
``POST /_sandbox/apps/suspend|unsuspend``  {client_id}: BASE stops / restarts the app; authorize and token
                                           then answer ``unauthorized_client`` 「停止中のクライアントです。」.
``GET|POST /_sandbox/shops``               {shop_id, shop_name, shop_url?, mail_address?, ...}.
``POST /_sandbox/shops/{id}/orders``       {orders: [{unique_key?, ordered, payment, paid?, cart_app?,
                                           dispatch_status?, items: [{title, price, amount, status?}],
                                           first_name, last_name, ..., subscription?, partner_shop?,
                                           shipping_lines?, country_code?, refuse_dispatch?}]} -> internal
                                           views. ``payment`` is any ``[a-z0-9_]`` name (``bnpl``, new ones).
``POST /_sandbox/shops/{id}/orders/preset``  {kind, ordered_days_ago?, unique_key?} -> {kind, unique_key,
                                           order_item_ids, order}: partner_shop, bnpl, bnpl_refused,
                                           new_payment, unshippable, shipping_lines, old_open,
                                           near_auto_close, past_auto_close (see :mod:`.presets`).
``POST /_sandbox/shops/{id}/orders/generate``  {count, days, items_min, items_max, seed, payments?
                                           (list or {payment: weight}), dispatched_ratio?,
                                           cancelled_ratio?, unpaid_ratio?} -> {count, unique_keys}.
``GET /_sandbox/orders/{key}``             detail fields plus ``_sandbox`` {shop_id, paid, cart_app,
                                           atobarai_shipping, unshippable, partner_shop, refuse_dispatch,
                                           closed_by_base, base_deadline (JST date), base_deadline_at}.
``PATCH /_sandbox/orders/{key}``           {paid} {payment} {cancel} {dispatch_by_hand} {dispatch_status:
                                           dispatched|cancelled|unshippable} {arrive} {cart_app}
                                           {unshippable} {partner_shop} {refuse_dispatch}: shop-owner
                                           actions at ANY order age; bump ``modified``. An unshippable order
                                           refuses to move (409 ``final_state``).
``POST /_sandbox/auto_close``              run BASE's 60-day close now -> {closed: [unique_key, ...]} (it
                                           also runs before every list, detail, edit_status and admin read).
``POST /_sandbox/authorize``               {client_id, redirect_uri, scope, state, shop_id, approve}
                                           -> {location}; same validation as the consent page.
``POST /_sandbox/tokens/expire|revoke``    {shop_id}: expire access tokens / revoke refresh tokens.
``POST /_sandbox/tokens/expire_refresh``   {shop_id}: the shop's refresh tokens time out now
                                           (「リフレッシュトークンの有効期限が切れています。」).
``GET /_sandbox/tokens``                   per shop: codes_issued, codes_exchanged,
                                           code_exchange_failed, refreshes_succeeded/failed,
                                           access_tokens_issued, active_access/refresh_tokens,
                                           pending_codes (never token values).
``GET|DELETE /_sandbox/calls``             ?shop_id=&path_prefix= -> {calls, count, summary (by
                                           endpoint), errors (by code), total_since_reset}.
``GET /_sandbox/emails``                   ?shop_id= -> recorded shipping e-mails.
``GET|POST /_sandbox/limits``              {shop_id, hour?, day?, hour_used?, day_used?}.
``GET|POST|DELETE /_sandbox/faults``       {mode, rate, count?, delay_seconds?, path_prefix?, seed?,
                                           status?, error?, error_description?}; GET shows rules with
                                           seen/injected counts. Modes: 5xx, slow, drop, drop_before,
                                           drop_after, db_error, server_error, error (any README code).
``GET|POST /_sandbox/latency``             {ms}: added before every /1/ call.
=========================================  =============================================================

Behaviour choices (where the README leaves things open)
-------------------------------------------------------
OAuth
  * Authorize errors (unknown client, redirect_uri not the registered one, response_type not ``code``,
    unknown scope, approve without an existing shop) render a 400 HTML error page; they never redirect.
    Real BASE asks the shop owner to log in; the sandbox offers a ``<select>`` of its shops instead.
  * ``read_users`` is always granted; scopes may be space- or comma-separated.
  * Codes: single-use, 10 min (``code_ttl``), bound to app + shop + scopes + redirect_uri. Rejected
    attempts (bad secret, bad redirect_uri) do not consume a code. A reused code does NOT revoke the
    tokens already issued from it.
  * Token endpoint check order: method (``access_denied``), grant_type, client id/secret present
    (``invalid_request`` 「client_idもしくはclient_secretがありません。」), client known and secret right
    (``unauthorized_client`` for both), app not suspended (``unauthorized_client`` 「停止中のクライアントです。」),
    redirect_uri present and equal to the registered one (``invalid_request``), then code / refresh token
    (``invalid_request``: unknown/used 「不正な認可コードです。」 / 「不正なリフレッシュトークンです。」, timed out
    「認可コードの有効期限が切れています。」 / 「リフレッシュトークンの有効期限が切れています。」). These texts are
    BASE's own (README); the other texts are illustrative. BASE never sends ``invalid_grant``; a fault
    ``{"mode": "error", "error": "invalid_grant"}`` plays integrators' reports of it. Form credentials
    win over HTTP Basic when both are sent.
  * Refresh rotates both tokens; the old refresh token is spent (single-use) but the old ACCESS token
    stays valid until it expires. Concurrent refreshes of one token: exactly one wins (one lock).
    Re-authorizing does not revoke earlier grants. ``tokens/revoke`` revokes refresh tokens only.
  * ``/1/users/me``: ``mail_address`` is null unless the token has ``read_users_mail``; ``logo`` null.
API calls
  * Check order: token (invalid/expired/missing -> ``invalid_request`` 「アクセストークンが無効です。」),
    rate limit, scope (``invalid_scope``), then method (edit_status: ``not_post_method``) and params.
    Non-GET on a read endpoint is an unknown route (404 JSON).
  * Rate limits count every /1/ call made with a valid access token, errors included (also
    ``invalid_scope``); rejected-for-limit calls and token/authorize calls (per app) are not counted.
    The hour window resets at minute :00 (JST = UTC+9, so also UTC :00), the day window at 00:00 JST.
    When both are exhausted ``day_api_limit`` is reported. Calls answered by a ``5xx``/``db_error``/
    ``drop_before`` fault are not counted (``slow`` and ``drop_after`` calls are processed, so they are).
  * ``GET /1/orders``: dates are Asia/Tokyo; ``start_ordered`` inclusive; a date-only ``end_ordered``
    includes that whole day (<= 23:59:59 JST), a date-time one is inclusive to the second. Other formats,
    ``limit`` outside 1..100, non-numeric or negative ``limit``/``offset`` -> ``bad_params``. Newest
    ``ordered`` first (ties: newest created first).
  * Detail: exactly the recorded field set (no ``country_code``/``shipping_lines``) unless the order was
    created with ``shipping_lines`` (newer shape: both fields added, ``shipping_method`` null). Partner-shop
    orders have null ``country``, ``zip_code``, ``address``, ``address2``, ``mail_address``, ``tel``. ``terminated`` is
    true once dispatched or cancelled. ``total`` = items + shipping_fee + cod_fee - discount. The block of
    the order's payment carries ``collected_fee`` (3.6% + 40 yen) and an illustrative status
    (``paid``/``unpaid``/``cancelled``; atobarai ``ordered``/``shipping``); the others are null/null.
    ``base_bt`` uses ``bt_payment_transaction``; cod, bt and amazon_pay have no block.
  * Orders default to paid, except ``cvs``/``base_bt`` which start ``unpaid`` unless ``paid: true``.
    ``bt`` (shop-managed transfer) is never gated on payment. Unknown payment names (and ``bnpl``) behave
    like card payments.
  * The list filters by order date only: an admin change to an old order moves its ``modified`` but
    only a list window reaching its order date (or its detail) shows it.
  * BASE's 60-day close (:mod:`.auto_close`): a PAID ``cvs``/``base_bt`` order still ``ordered`` 60 days
    after ``ordered`` becomes ``dispatched`` (対応済) at that moment, without e-mail; ``_sandbox``
    shows ``base_deadline`` and ``closed_by_base``. The unverified other closes are not modelled.
edit_status
  * Field checks first (``no_params`` without order_item_id or without status/atobarai_status,
    ``bad_params`` for bad values, unknown delivery_company_id, tracking not ASCII alnum, add_comment > 250
    characters counting CRLF or LF as one), then ``no_order`` (unknown item or another shop's), then
    ``unshippable`` (final: ``not_change_status`` 「unshippableから他ステータスへの更新はできません。」 - the README
    gives the sentence, not a code), then cart app (``not_change_status_<App>``, permanent), then the
    order's ``refuse_dispatch`` (default ``not_change_status`` 「ステータスを変更できません。」; dispatch only),
    then payment rules. atobarai_status on a non-atobarai
    order is ``bad_params``; a second atobarai shipping is ``not_change_status``; atobarai shipping marks
    the order ``shipping`` (items stay ``ordered`` until ``PATCH {arrive: true}`` dispatches them).
  * Cancelling (cod/bt only) is per item; the order becomes ``cancelled`` when all items are.
  * Every successful dispatching call stamps the order's ``dispatched`` (last call wins), sets the
    carrier/tracking/comment when given (the order has ONE of each; later calls overwrite) and records ONE
    e-mail per call (BASE mails on each dispatching call, not once per order). Cancels send none.
    Owner ``dispatch_by_hand`` also records an e-mail (``source: "admin"``).
  * The response is ``{"order": {...}}``, the same shape as the detail endpoint.
Faults (``/1/`` only, including the OAuth endpoints; rules are tried in order, the first that fires wins)
  * ``5xx``: nginx HTML 500/502/503 (or ``status``), no effect applied. ``db_error``: 400 ``db_error``,
    no effect. ``server_error``: 400 ``server_error`` "DB error", no effect. ``error``: 400 with the given
    README ``error`` code (e.g. ``invalid_grant``, ``unauthorized_client``, ``hour_api_limit``) and
    ``error_description`` (default: the sandbox's text), no effect. ``slow``: sleeps ``delay_seconds``
    (real time), THEN applies the effect and answers, so a client that timed out still finds the change
    done. ``drop``/``drop_before``: connection closed
    without an answer, nothing applied. ``drop_after``: the effect IS applied (dispatch, e-mail, token
    rotation - the old refresh token is then spent) and the connection is closed: "BASE did it but we
    never heard". ``rate`` is drawn from a ``random.Random(seed)`` per rule; ``count`` caps injections.
    The call log records faulted calls with ``fault`` set and status 0 for drops.
Other
  * Delivery companies: 1 クロネコヤマト, 2 佐川急便, 3 日本通運, 4 ゆうパック, 5 ゆうメール, 6 ゆうパケット,
    7 西濃運輸, 8 福山通運, 9 クリックポスト, 10 その他 (illustrative; real ids may differ - fetch at run time).
  * The call log never holds tokens, codes, secrets or query strings; it keeps the last 200,000 calls.
  * Time: one shiftable clock (real time + offset) drives expiry, ``modified``, ``ordered`` defaults and
    rate-limit windows; latency and ``slow`` sleeps are real time.
"""

from .admin import SandboxAdmin, SandboxAdminError
from .server import SandboxServer
from .state import SandboxState

__all__ = ["SandboxAdmin", "SandboxAdminError", "SandboxServer", "SandboxState"]
