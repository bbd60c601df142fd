"""Regenerates sample_data/portefolje.xlsx from the demo portfolio; same input, same rows."""

from __future__ import annotations

import sys
from pathlib import Path

from portfolio.demo.data import demo_projects
from portfolio.exporters.sheet import write_portfolio_sheet

TARGET = Path(__file__).with_name("portefolje.xlsx")


def main(target: Path = TARGET) -> None:
    count = write_portfolio_sheet(demo_projects(), target)
    print(f"{count} projekter skrevet til {target}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else TARGET)
