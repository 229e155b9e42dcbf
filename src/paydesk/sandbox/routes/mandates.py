"""/v1/mandates/{id}: the SEPA mandates that debits carry."""

from __future__ import annotations

from paydesk.sandbox.routing import api

api.retrieve("/v1/mandates/{id}", "mandate")
