"""The command line: ``sharesim run SCENARIO`` and friends.

Every command reports bad input as one line on stderr and exits with status
2, never with a traceback. Heavy libraries (Mesa, matplotlib) are imported
inside the commands, so ``sharesim --help`` answers at once.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from .scenario import ScenarioError
    try:
        return args.command(args)
    except ScenarioError as error:
        print(f"sharesim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("sharesim: interrupted; no run folder was written", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sharesim",
        description="Simulate how people share a brand's posts on a social network, and why they unfollow.")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run one scenario and write its run folder",
                              description="Run a scenario file and write outputs/<name>/<run id>/.")
    run.add_argument("scenario", type=Path, help="a scenario YAML file")
    run.add_argument("--seed", type=int, help="override the scenario's seed")
    run.add_argument("--out", type=Path, help="write the run folder exactly here")
    run.add_argument("--force", action="store_true", help="replace the --out folder if it exists")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.set_defaults(command=command_run)
    return parser


def command_run(args) -> int:
    from .report import summary_table
    from .runs import run_folder, simulate, write_run_folder
    from .scenario import ScenarioError, load_scenario

    if args.seed is not None and args.seed < 0:
        raise ScenarioError(f"--seed: must be a whole number >= 0 (got {args.seed})")
    scenario = load_scenario(args.scenario)
    if args.out is not None and args.out.exists() and not args.force:
        raise ScenarioError(f"{args.out}: the run folder already exists; choose another --out or add --force")
    result = simulate(scenario, seed=args.seed, source=str(args.scenario), progress=not args.quiet)
    folder = args.out or run_folder(scenario.name, result.seed)
    summary = write_run_folder(result, folder, force=args.force)
    if not args.quiet:
        print(summary_table(summary))
        print(f"\nrun folder: {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
