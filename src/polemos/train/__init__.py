"""polemos.train: the Fabric training loop of image (and point) runs."""

from __future__ import annotations

import os
import sys

# where launchers put a process's rank (Lightning checks them in this order)
_RANK_VARIABLES = ("RANK", "LOCAL_RANK", "SLURM_PROCID", "JSM_NAMESPACE_RANK")


def is_main_process() -> bool:
    """False in the other processes of a multi-process run, each of which runs the same command: say things once.

    Imports nothing heavy (the CLI asks before torch is loaded).
    """
    distributed = sys.modules.get("torch.distributed")
    if distributed is not None and distributed.is_available() and distributed.is_initialized():
        return distributed.get_rank() == 0
    for name in _RANK_VARIABLES:
        value = os.environ.get(name)
        if value is not None:
            return value.strip() == "0"
    return True
