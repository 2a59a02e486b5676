"""Metering and billing (issue 13).

* `meter`: what the status history costs in an hour (pure);
* `policy`: where a project stands given its balance (pure);
* `controller`: the meter on the controller runtime: it meters each closed hour into
  usage records, then applies the balance policy.

The status history itself is written by the reconciler (`store.repositories.spans`);
the ledger is read through `service.billing`.
"""
