"""The `sandbox` payment provider: for the demo and the tests, never for real money.

Deterministic and offline: no network. Its answers follow from the token (and later
from the reference it handed out), so they are the same in every worker and after a
restart; only `lookup` remembers, in this process, the authorisations it answered
(the last 10,000), as a provider's own records would. `delay_ms` makes every call
take that long, as a real provider's round trip does (`OMNI_SANDBOX_DELAY_MS`), so
tests can show that nobody waits for it inside a transaction. The amounts (capture
at most what is authorised, refund at most what is captured, void only before
capture) are kept by the payment service on the payment row, as for every provider.

It handles the methods a provider holds money for (`rules.ONLINE`):

- card: the token decides. `sandbox_ok` authorises, `sandbox_declined` declines,
  `sandbox_error` raises `ProviderError` (the provider is down).
  `sandbox_capture_declined` authorises but every capture is declined (an expired
  authorisation); `sandbox_capture_error` authorises but capturing raises.
  Any other token is declined.
- BLIK: the token is the 6-digit code; `000000` declines, any other authorises.
- gift card or store credit: `sandbox_gc_<balance>` authorises up to that balance.

`sandbox_error` raises for every method.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from collections import OrderedDict

from omnichannel.kernel.errors import InvalidInput
from omnichannel.payments.errors import field_error
from omnichannel.payments.providers import (
    SANDBOX,
    AuthoriseRequest,
    AuthoriseResult,
    OperationResult,
    ProviderError,
)
from omnichannel.payments.rules import ONLINE, PaymentMethod, PaymentStatus

M = PaymentMethod

OK = "sandbox_ok"
DECLINED = "sandbox_declined"
ERROR = "sandbox_error"
CAPTURE_DECLINED = "sandbox_capture_declined"
CAPTURE_ERROR = "sandbox_capture_error"
GIFT_CARD_PREFIX = "sandbox_gc_"
BLIK_DECLINED = "000000"

PREFIX = "sbx_"
_CAPTURE_DECLINES = PREFIX + "cd_"  # references whose captures are declined
_CAPTURE_FAILS = PREFIX + "ce_"  # references whose captures raise
_BLIK = re.compile(r"^\d{6}$")
_GIFT_CARD = re.compile(r"^" + GIFT_CARD_PREFIX + r"(\d{1,12})$")

REMEMBERED = 10_000  # authorisations `lookup` can answer for


def _ref(prefix: str = PREFIX) -> str:
    return prefix + uuid.uuid4().hex


class SandboxProvider:
    """The built-in test and demo provider (see the module docstring)."""

    name = SANDBOX
    methods = ONLINE

    def __init__(self, *, delay_ms: int = 0) -> None:
        self.delay_ms = delay_ms
        self._answered: OrderedDict[str, AuthoriseResult] = OrderedDict()
        self._lock = threading.Lock()

    def _wait(self) -> None:
        if self.delay_ms > 0:
            time.sleep(self.delay_ms / 1000)  # a provider's round trip

    def authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        self._wait()
        with self._lock:
            earlier = self._answered.get(request.reference)
        if earlier is not None:  # asked again under the same key: the same answer
            return earlier
        result = self._authorise(request)
        if result.ok and request.capture:
            result = AuthoriseResult(True, PaymentStatus.CAPTURED, result.reference, "Charged")
        with self._lock:
            self._answered[request.reference] = result
            while len(self._answered) > REMEMBERED:
                self._answered.popitem(last=False)
        return result

    def lookup(self, reference: str) -> AuthoriseResult | None:
        self._wait()
        with self._lock:
            return self._answered.get(reference)

    def _authorise(self, request: AuthoriseRequest) -> AuthoriseResult:
        method, token = request.method, request.token
        if not token:
            raise InvalidInput(
                f"A {method.value} payment needs the token from the provider's form.",
                errors=[field_error("token", "required for this method", "missing")],
            )
        if token == ERROR:
            raise ProviderError("sandbox: simulated provider outage")
        if method is M.BLIK:
            return self._blik(token)
        if method is M.GIFT_CARD:
            return self._gift_card(token, request.amount)
        return self._card(token)

    def _card(self, token: str) -> AuthoriseResult:
        if token == OK:
            return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Authorised")
        if token == CAPTURE_DECLINED:
            return AuthoriseResult(
                True, PaymentStatus.AUTHORISED, _ref(_CAPTURE_DECLINES), "Authorised"
            )
        if token == CAPTURE_ERROR:
            return AuthoriseResult(
                True, PaymentStatus.AUTHORISED, _ref(_CAPTURE_FAILS), "Authorised"
            )
        if token == DECLINED:
            return AuthoriseResult.declined("The card was declined by its issuer.")
        return AuthoriseResult.declined(
            f"Unknown sandbox card token; use {OK}, {DECLINED} or {ERROR}."
        )

    def _blik(self, code: str) -> AuthoriseResult:
        if not _BLIK.match(code):
            raise InvalidInput(
                "A BLIK code is 6 digits.",
                errors=[field_error("token", "a BLIK code is 6 digits", "blik_code")],
            )
        if code == BLIK_DECLINED:
            return AuthoriseResult.declined("The BLIK code was rejected in the banking app.")
        return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Authorised with BLIK")

    def _gift_card(self, token: str, amount: int) -> AuthoriseResult:
        m = _GIFT_CARD.match(token)
        if m is None:
            return AuthoriseResult.declined("Unknown gift card.")
        balance = int(m.group(1))
        if amount > balance:
            return AuthoriseResult.declined(
                f"The gift card's balance ({balance}) does not cover {amount}."
            )
        return AuthoriseResult(True, PaymentStatus.AUTHORISED, _ref(), "Gift card authorised")

    def capture(self, reference: str, amount: int, *, key: str) -> OperationResult:
        self._wait()
        if not reference.startswith(PREFIX) or amount <= 0:
            return OperationResult(False, None, "Not a sandbox payment, or nothing to capture.")
        if reference.startswith(_CAPTURE_FAILS):
            raise ProviderError("sandbox: simulated outage while capturing")
        if reference.startswith(_CAPTURE_DECLINES):
            return OperationResult(False, None, "The authorisation has expired.")
        return OperationResult(True, _ref(), "Captured")

    def void(self, reference: str, *, key: str) -> OperationResult:
        self._wait()
        if not reference.startswith(PREFIX):
            return OperationResult(False, None, "Not a sandbox payment.")
        return OperationResult(True, _ref(), "Voided")

    def refund(self, reference: str, amount: int, *, key: str) -> OperationResult:
        self._wait()
        if not reference.startswith(PREFIX) or amount <= 0:
            return OperationResult(False, None, "Not a sandbox payment, or nothing to refund.")
        return OperationResult(True, _ref(), "Refunded")
