"""`make bench`: run every benchmark and print one table."""

from __future__ import annotations

from bench import commands, readside


def main() -> None:
    """Print the table."""
    rows = commands.run() + readside.run()
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  figures  |  ratio (same run)")
    for measure, figures, ratio in rows:
        print(f"{measure:<{width}}  {figures}  |  {ratio}")


if __name__ == "__main__":
    main()
