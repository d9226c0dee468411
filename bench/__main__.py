"""`make bench`: run every benchmark and print one table."""

from __future__ import annotations

import os

from bench import audit, commands, crypto, load, loading, onepass, pages, readside, reports, waits, workers
from infrastructure.data_keys import new_master_key


def main() -> None:
    """Print the table."""
    os.environ.setdefault("MENTORAT_MASTER_KEY", new_master_key())  # PostgreSQL stores need one: this run's own
    rows = []
    for part in (commands, loading, load, workers, waits, readside, reports, pages, onepass, crypto, audit):
        done = part.run()
        for measure, figures, ratio in done:  # as each part ends: a long run that fails later keeps these
            print(f"{measure}  {figures}  |  {ratio}", flush=True)
        rows += done
    print()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  figures  |  ratio (same run)")
    for measure, figures, ratio in rows:
        print(f"{measure:<{width}}  {figures}  |  {ratio}")


if __name__ == "__main__":
    main()
