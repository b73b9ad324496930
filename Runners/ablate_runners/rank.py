"""One process of a multi-process stage, as ablate_runners.launch starts it through torchrun:

    python -m ablate_runners.rank MODULE [ARGS...]

runs ablate_runners.MODULE's main() with ARGS as its command line, under torch's error recorder
(torch.distributed.elastic's @record), so that an exception on this rank reaches the launcher's
last line; a runner's own clear failure (common.fail) is recorded the same way.
"""

import importlib
import sys


def main():
    if len(sys.argv) < 2:
        print("usage: python -m ablate_runners.rank MODULE [ARGS...]", file=sys.stderr)
        sys.exit(2)
    from torch.distributed.elastic.multiprocessing.errors import record

    module = sys.argv[1]
    runner = importlib.import_module(f"{__package__}.{module}")
    sys.argv = [f"{__package__}.{module}"] + sys.argv[2:]
    record(runner.main)()


if __name__ == "__main__":
    main()
