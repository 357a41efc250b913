"""The command line: ``sharesim run SCENARIO`` and friends.

Every command reports bad input as one line on stderr and exits with status
2, never with a traceback. Heavy libraries (Mesa, matplotlib) are imported
inside the commands, so ``sharesim --help`` answers at once.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    from .errors import InputError
    signal.signal(signal.SIGTERM, _interrupt)      # a kill cleans up like Ctrl-C
    try:
        return args.command(args)
    except InputError as error:
        print(f"sharesim: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return _interrupted()
    except SystemError as error:
        # A signal handled while a compiled (numba) loop was running Python (numba's own
        # helpers): Python reports the KeyboardInterrupt as the first cause of a chain of
        # SystemErrors. Still an interruption, and everything above it was unwound as for one.
        if _caused_by_interrupt(error):
            return _interrupted()
        raise


def _caused_by_interrupt(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, KeyboardInterrupt):
            return True
        error = error.__cause__
    return False


def _interrupted() -> int:
    print("sharesim: interrupted; nothing half-written was left behind", file=sys.stderr)
    return 130


def _interrupt(signum, frame):
    raise KeyboardInterrupt


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
    run.add_argument("--force", action="store_true",
                     help="replace the --out folder if it exists and sharesim wrote it")
    run.add_argument("--quiet", action="store_true", help="print nothing but errors")
    run.add_argument("--events-csv", action="store_true",
                     help="write the event log as events.csv even when it is large (default: Parquet above 10^6 events)")
    run.set_defaults(command=command_run)

    # Each later command lives in the module of its idea; the module is
    # imported only when the command runs, so --help stays fast.
    # --- compare and sweep (sim/experiment.py) ---
    compare = commands.add_parser("compare", help="compare campaign strategies over paired replications")
    compare.add_argument("strategies", type=Path, help="a strategies YAML file")
    sweep = commands.add_parser("sweep", help="sweep one or two scenario parameters over given values")
    sweep.add_argument("scenario", type=Path, help="a scenario YAML file")
    for sub in (compare, sweep):
        sub.add_argument("-r", "--replications", type=int, default=20,
                         help="replications per strategy, 2 to 10,000 (default 20)")
        sub.add_argument("--resume", action="store_true", help="continue an interrupted comparison in --out")
        add_run_options(sub, "write the comparison folder exactly here")
        sub.add_argument("--posterior", type=Path, metavar="POSTERIOR.csv",
                         help="a calibration's posterior.csv: each replication draws the parameters from it "
                              "(by weight; the same draw for every strategy), so the intervals include what "
                              "is not known about them")
    sweep.add_argument("--set", dest="settings", action="append", default=[], metavar="PATH=V1,V2,...",
                       help="a dotted scenario path and its values; give one or two")
    compare.set_defaults(command=lazy("experiment", "command_compare"))
    sweep.set_defaults(command=lazy("experiment", "command_sweep"))

    # --- calibrate (sim/calibration.py) ---
    calibrate = commands.add_parser(
        "calibrate", help="fit scenario parameters to a brand's own posts and followers (ABC-SMC, pyabc)",
        description="Fit the named scenario parameters to observed posts (and daily followers) with "
                    "approximate Bayesian computation; writes calibration.json, posterior.csv, "
                    "posterior.png and calibrated.yaml.")
    calibrate.add_argument("scenario", type=Path, help="a scenario YAML file")
    calibrate.add_argument("--observed", type=Path, required=True, metavar="POSTS.csv",
                           help="one row per post with columns reach and shares (impressions optional); "
                                "a run folder's posts.csv works")
    calibrate.add_argument("--followers", type=Path, metavar="DAILY.csv", help="the brand's followers: day,followers")
    calibrate.add_argument("--param", action="append", default=[], metavar="PATH=LOW:HIGH",
                           help="a dotted scenario path and its prior range; log-uniform when LOW > 0 and "
                                "HIGH/LOW >= 100; repeat for more")
    calibrate.add_argument("--budget", type=int, default=1000, help="simulations in all (default 1,000)")
    calibrate.add_argument("--seed", type=int, help="seeds every draw (default: the scenario's seed)")
    add_run_options(calibrate, "the calibration folder to write", out_required=True)
    calibrate.set_defaults(command=lazy("calibration", "command_calibrate"))
    # --- sensitivity (sim/sensitivity.py) ---
    sensitivity = commands.add_parser(
        "sensitivity", help="what drives the results: Morris or Sobol sensitivity of scenario parameters (SALib)",
        description="Vary scenario parameters over ranges (every run with the same seed) and rank how much "
                    "each moves the outputs. Writes sensitivity.csv, samples.csv, sensitivity.json and a "
                    "ranking plot per output.")
    sensitivity.add_argument("scenario", type=Path, help="a scenario YAML file")
    sensitivity.add_argument("--param", dest="params", action="append", default=[], metavar="PATH=LOW:HIGH",
                             help="a dotted scenario path and its range, e.g. fatigue.act_probability=0.05:0.3; "
                                  "repeat for each parameter")
    sensitivity.add_argument("--method", choices=("morris", "sobol"), default="morris",
                             help="morris (elementary effects, N (k+1) runs; default) or sobol (Saltelli, N (k+2) runs)")
    sensitivity.add_argument("--outputs", help="comma-separated numeric keys of the run summary "
                                               "(default reach,shares,unfollow_rate)")
    sensitivity.add_argument("-N", dest="n", type=int,
                             help="Morris trajectories (default 10) or Sobol base samples, a power of 2 (default 64)")
    sensitivity.add_argument("--replications", type=int, default=1,
                             help="average each design point over this many paired seeds (default 1)")
    sensitivity.add_argument("--seed", type=int, help="the seed of every run and of the design (default: the scenario's)")
    add_run_options(sensitivity, "write the analysis folder exactly here", out_required=False)
    sensitivity.set_defaults(command=lazy("sensitivity", "command_sensitivity"))

    # --- optimize (sim/optimize.py) ---
    optimize = commands.add_parser(
        "optimize", help="plan a campaign: the best settings under a limit (Optuna), with intervals",
        description="Search scenario parameters for the plan with the best objective whose limits hold with "
                    "95%% confidence; every trial runs the same paired replications. Writes best.yaml, "
                    "optimize.json, trials.csv and plots.")
    optimize.add_argument("scenario", type=Path, help="a scenario YAML file")
    optimize.add_argument("--vary", action="append", default=[], metavar="PATH=LOW:HIGH|PATH=A,B,C",
                          help="a dotted scenario path and its range (whole numbers for a whole-number field "
                               "with whole bounds) or choices (YAML values); repeat for each parameter")
    optimize.add_argument("--maximize", action="append", default=[], metavar="OUTPUT",
                          help="an output of the run summary to maximize, e.g. reach")
    optimize.add_argument("--minimize", action="append", default=[], metavar="OUTPUT",
                          help="an output to minimize; with --maximize, two objectives give a Pareto front")
    optimize.add_argument("--subject-to", dest="subject_to", action="append", default=[],
                          metavar="OUTPUT<=VALUE", help="a limit that must hold with 95%% confidence, "
                                                        "e.g. \"unfollow_rate<=0.01\"; repeat for more")
    optimize.add_argument("--trials", type=int, default=40, help="plans to try (default 40)")
    optimize.add_argument("-r", "--replications", type=int, default=5,
                          help="paired replications per plan, the same seeds for every plan (default 5)")
    optimize.add_argument("--posterior", type=Path, metavar="POSTERIOR.csv",
                          help="a calibration's posterior.csv: replication i of every plan draws from it")
    optimize.add_argument("--seed", type=int, help="seeds the replications and the search (default: the scenario's)")
    optimize.add_argument("--resume", action="store_true", help="continue an interrupted search in --out")
    add_run_options(optimize, "the optimization folder to write", out_required=True)
    optimize.set_defaults(command=lazy("optimize", "command_optimize"))

    # --- teaching: demo, lesson, animate (sim/app.py, sim/lessons.py, sim/animation.py) ---
    demo = commands.add_parser("demo", help="the interactive teaching demo in the browser")
    demo.add_argument("scenario", type=Path, nargs="?", help="a scenario to start from")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8765)
    demo.set_defaults(command=lazy("app", "command_demo"))
    lesson = commands.add_parser("lesson", help="list the lessons, or run lesson N")
    lesson.add_argument("number", type=int, nargs="?", help="the lesson to run")
    lesson.add_argument("--out", type=Path, help="write the lesson's folder exactly here")
    lesson.add_argument("--quiet", action="store_true")
    lesson.set_defaults(command=lazy("lessons", "command_lesson"))
    animate = commands.add_parser("animate", help="render how one post spreads, tick by tick (GIF)")
    animate.add_argument("scenario", type=Path)
    animate.add_argument("--out", type=Path, default=Path("cascade.gif"))
    animate.add_argument("--seed", type=int)
    animate.add_argument("--post", type=int, help="the post to follow (default: the one passed on most by friends)")
    animate.add_argument("--frame", type=Path, help="also write the last frame as a PNG (for a slide or a page)")
    animate.add_argument("--force", action="store_true", help="replace the --out GIF (and --frame PNG) if they exist")
    animate.set_defaults(command=lazy("animation", "command_animate"))

    # --- report and validation (sim/report.py, sim/validation.py) ---
    rebuild = commands.add_parser("report", help="rebuild a run folder's report from its event log")
    rebuild.add_argument("run_dir", type=Path)
    rebuild.set_defaults(command=lazy("report", "command_report"))
    validate = commands.add_parser("validate", help="check the model against the stylised facts of sharing")
    validate.add_argument("-r", "--replications", type=int, default=5)
    validate.add_argument("--quiet", action="store_true")
    validate.add_argument("--out", type=Path, help="also write validation.json (and the table) into this folder")
    validate.add_argument("--force", action="store_true",
                          help="replace the --out folder if it exists and sharesim wrote it")
    validate.set_defaults(command=lazy("validation", "command_validate"))
    return parser


def add_run_options(command: argparse.ArgumentParser, out_help: str, out_required: bool = False) -> None:
    """The options every command that runs many simulations shares: where they run, where results go."""
    command.add_argument("--workers", type=int, default=1,
                         help="parallel worker processes (default 1); more than the cores (or, for compare and "
                              "sweep, than memory allows) are capped with a notice")
    command.add_argument("--scheduler", help="a Dask distributed scheduler, tcp://HOST:PORT; it must answer "
                                             "and have a worker within 10 s")
    command.add_argument("--out", type=Path, required=out_required, help=out_help)
    command.add_argument("--force", action="store_true",
                         help="replace the --out folder if it exists and sharesim wrote it")
    command.add_argument("--quiet", action="store_true", help="print nothing but errors")


def lazy(module: str, function: str):
    """A command that imports ``sim.<module>`` only when it runs."""
    def command(args) -> int:
        from importlib import import_module
        return getattr(import_module(f"sim.{module}"), function)(args)
    return command


def command_run(args) -> int:
    from .errors import InputError
    from .report import summary_table
    from .rundir import check_destination, check_writable
    from .runs import OUTPUTS, run_folder, simulate, write_run_folder
    from .scenario import load_scenario

    if args.seed is not None and args.seed < 0:
        raise InputError(f"--seed: must be a whole number >= 0 (got {args.seed})")
    scenario = load_scenario(args.scenario)
    if args.out is not None:                # a bad --out is refused before the run, not after it
        check_destination(args.out, force=args.force, kind="run")
    else:
        check_writable(OUTPUTS / scenario.name)
    result = simulate(scenario, seed=args.seed, source=str(args.scenario), progress=not args.quiet)
    folder = args.out or run_folder(scenario.name, result.seed)
    summary = write_run_folder(result, folder, force=args.force, pick_free=args.out is None,
                               events_format="csv" if args.events_csv else None)
    if not args.quiet:
        print(summary_table(summary))
        print(f"\nrun folder: {result.folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
