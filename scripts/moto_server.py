"""moto_server, with DynamoDB's TransactWriteItems made affordable.

moto 5.2.5 keeps a deep copy of the whole table for each item of a
transaction, to roll back if the transaction is cancelled: a 25-item
transaction on a 20,000-item table copies 500,000 items, and a 10,000-
recipient run would take hours. Here a transaction keeps a copy of only the
items it names, and a cancelled one puts exactly those back. What moto
answers is unchanged: the same checks, the same writes, the same
cancellation reasons, and the same all-or-nothing outcome (the adapter tests
in shared/aws/tests/dynamo.rs cancel transactions and check nothing moved).
Transactions run one at a time, so that a rollback never undoes another's
writes.

Run as moto_server is: python3 scripts/moto_server.py -H 127.0.0.1 -p PORT
"""

import copy
import sys
import threading

import moto.dynamodb.models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table
from moto.server import main


class _TablesNotCopied:
    """Stands in for the copy module inside moto's DynamoDB backend: tables
    are handed back as they are (the wrapper below rolls back item by item);
    anything else is deep-copied as before."""

    @staticmethod
    def deepcopy(value, memo=None):
        if isinstance(value, Table):
            return value
        return copy.deepcopy(value, memo)


def _key_of(table, attributes):
    if table.hash_key_attr not in attributes:
        return None
    hash_value = DynamoType(attributes[table.hash_key_attr])
    range_value = None
    if table.has_range_key:
        if table.range_key_attr not in attributes:
            return None
        range_value = DynamoType(attributes[table.range_key_attr])
    return hash_value, range_value


def _put_back(table, hash_value, range_value, before):
    if table.has_range_key:
        if before is None:
            table.items[hash_value].pop(range_value, None)
        else:
            table.items[hash_value][range_value] = before
    elif before is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = before


_transact_write_items = DynamoDBBackend.transact_write_items

# The server is threaded: a snapshot taken and put back while another
# transaction runs would undo that one's writes.
_one_at_a_time = threading.Lock()


def transact_write_items(self, transact_items):
    with _one_at_a_time:
        return _transact_with_rollback(self, transact_items)


def _transact_with_rollback(self, transact_items):
    before = []
    for entry in transact_items:
        if not isinstance(entry, dict) or len(entry) != 1:
            continue
        kind, operation = next(iter(entry.items()))
        if kind == "ConditionCheck":
            continue
        table = self.tables.get(operation.get("TableName"))
        if table is None:
            continue
        key = _key_of(table, operation.get("Key") or operation.get("Item") or {})
        if key is None:
            continue
        current = table.get_item(*key)
        before.append((table, key, copy.deepcopy(current)))
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        for table, (hash_value, range_value), item in reversed(before):
            _put_back(table, hash_value, range_value, item)
        raise


dynamodb_models.copy = _TablesNotCopied
DynamoDBBackend.transact_write_items = transact_write_items

if __name__ == "__main__":
    main(sys.argv[1:])
