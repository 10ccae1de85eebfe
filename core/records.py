"""The ORM record behind a view: services take ``core.views`` protocols (what adapters hold)
and turn them back into records here, only where they write.

At run time the view an adapter passes back *is* the record core handed out, so this returns
that same object (changes made to it show in the adapter's hands, as before); a view of
another kind (a test's stand-in) is read fresh from the database.
"""

from __future__ import annotations

from core.models import Account, Destination
from core.views import AccountView, DestinationView


async def account_record(account: AccountView) -> Account:
    if isinstance(account, Account):
        return account
    return await Account.get(id=account.id)


async def destination_record(destination: DestinationView) -> Destination:
    if isinstance(destination, Destination):
        return destination
    return await Destination.get(id=destination.id)
