"""Payments, as orders (and later returns, exchanges and loyalty) use them.

A move that needs a provider is decided in the caller's transaction
(`open_payment`, `request`), made with no transaction open (`call`) and recorded in
a second short one (`record`): see `payments.operations`. Providers are plugged in
with `register`; `sandbox` is built in.
"""

from __future__ import annotations

from omnichannel.payments.calls import UNANSWERED as UNANSWERED
from omnichannel.payments.calls import Answer as Answer
from omnichannel.payments.calls import Call as Call
from omnichannel.payments.calls import ask_again as ask_again
from omnichannel.payments.calls import call as call
from omnichannel.payments.calls import pending_call as pending_call
from omnichannel.payments.errors import PaymentAlreadySettled as PaymentAlreadySettled
from omnichannel.payments.errors import PaymentDeclined as PaymentDeclined
from omnichannel.payments.errors import PaymentInProgress as PaymentInProgress
from omnichannel.payments.errors import PaymentMoveRefused as PaymentMoveRefused
from omnichannel.payments.errors import (
    PaymentProviderUnavailable as PaymentProviderUnavailable,
)
from omnichannel.payments.errors import provider_unavailable as provider_unavailable
from omnichannel.payments.events import clean as clean
from omnichannel.payments.models import Payment as Payment
from omnichannel.payments.models import PaymentOperation as PaymentOperation
from omnichannel.payments.operations import open_payment as open_payment
from omnichannel.payments.operations import request as request
from omnichannel.payments.operations import write_new as write_new
from omnichannel.payments.providers import SANDBOX as SANDBOX
from omnichannel.payments.providers import PaymentProvider as PaymentProvider
from omnichannel.payments.providers import check_token as check_token
from omnichannel.payments.providers import register as register
from omnichannel.payments.queries import get_payment as get_payment
from omnichannel.payments.queries import in_flight as in_flight
from omnichannel.payments.queries import of_orders as of_orders
from omnichannel.payments.recording import PaymentChange as PaymentChange
from omnichannel.payments.recording import confirm_transfer as confirm_transfer
from omnichannel.payments.recording import record as record
from omnichannel.payments.rules import ONLINE as ONLINE
from omnichannel.payments.rules import SETTLED as SETTLED
from omnichannel.payments.rules import PaymentMethod as PaymentMethod
from omnichannel.payments.rules import PaymentOperationKind as PaymentOperationKind
from omnichannel.payments.rules import PaymentStatus as PaymentStatus
from omnichannel.payments.rules import needs_provider as needs_provider
from omnichannel.payments.rules import status_of as status_of
from omnichannel.payments.sandbox import SandboxProvider as SandboxProvider
