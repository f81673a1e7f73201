"""A worker tells its parent its progress in JSON lines; other output is only kept for the
reason a worker died, however much it looks like a progress line."""

import collections
import subprocess
import sys

from harness.execution.worker import _relay, progress_message

CHATTER = "epoch 3 of my plugin's own warm-up"


def test_only_messages_are_relayed_and_everything_is_kept_for_a_death_reason():
    script = (
        f"print({CHATTER!r}, flush=True)\n"
        f"print({progress_message('epoch 1/2: loss 0.9000')!r}, flush=True)\n"
        "print('{not json', flush=True)\n"
    )
    worker = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    relayed: list[str] = []
    tail: collections.deque[str] = collections.deque(maxlen=15)
    _relay(worker, relayed.append, tail)
    worker.wait()
    assert relayed == ["epoch 1/2: loss 0.9000"]
    assert list(tail) == [CHATTER, "epoch 1/2: loss 0.9000", "{not json"]
