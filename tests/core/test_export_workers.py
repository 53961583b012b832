"""What the export's reader process sends its parent: batches that arrive as they left."""

import pickle

from rsemigrate.archive import SourceInfo
from rsemigrate.export.workers import Batch


class _Id(str):
    """A str subclass, which marshal refuses."""


def test_a_batch_crosses_the_pipe_unchanged_its_items_marshalled():
    items = [("m", "1", "private-1", "1", None, "7", "2019-03-04T10:00:00Z", False, 0, 120),
             ("r", "missing", b'{"action":"missing"}'), ("e", "user", "7", None, b'{"id":"7"}')]
    batch = Batch(items, [("files/ab/ab", "ab" * 32, 3)], SourceInfo("yammer"))
    assert isinstance(batch.__reduce__()[1][0], bytes)
    assert pickle.loads(pickle.dumps(batch)) == batch


def test_a_batch_marshal_cannot_write_is_pickled_whole():
    batch = Batch([("e", "user", _Id("7"), None, b"{}")])
    back = pickle.loads(pickle.dumps(batch))
    assert back == batch and type(back.items[0][2]) is _Id
