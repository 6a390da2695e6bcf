"""``kpart check MODULE:OBJECT``: run the conformance kit on your assignor or partitioner.

Exit status 0 when every property holds, 1 when one fails (the table shows the shrunk
counterexample as a pytest case), 2 for bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys

from kpart.testing import KitUnavailable, require_extra
from kpart.testing.targets import TargetError, as_assignor, load_object, parse_claim


def run(args: argparse.Namespace) -> int:
    try:
        require_extra()
        from kpart.testing import suite

        claims = dict(parse_claim(c) for c in args.claim)
        obj = load_object(args.target)
        if as_assignor(obj, args.target) is not None:
            if args.reference:
                raise TargetError("--reference applies to partitioners, not assignors")
            report = suite.check_assignor(args.target, args.protocol, claims=claims,
                                          max_members=args.max_members, profile=args.profile,
                                          seed=args.seed, properties=args.property,
                                          raise_on_failure=False)
        else:
            if args.protocol:
                raise TargetError("--protocol applies to assignors, not partitioners")
            report = suite.check_partitioner(args.target, claims=claims, reference=args.reference,
                                             profile=args.profile, seed=args.seed,
                                             properties=args.property, raise_on_failure=False)
    except (TargetError, KitUnavailable) as exc:
        print(f"kpart check: {exc}", file=sys.stderr)
        return 2
    print(report.to_json() if args.json else report.table())
    return 0 if report.ok else 1


def add(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="verify your own assignor or partitioner (conformance kit)",
                            description=__doc__.splitlines()[0])
    parser.add_argument("target", help="MODULE:OBJECT, e.g. strategies:StickyAssignor or "
                        "examples/custom_assignor.py:PinnedAssignor (a class is built with no arguments)")
    parser.add_argument("--profile", choices=("quick", "thorough"), default="quick",
                        help="quick for CI (default), thorough for nightly runs")
    parser.add_argument("--protocol", choices=("eager", "cooperative"),
                        help="rebalance protocol to test an assignor under (default: its preferred one)")
    parser.add_argument("--claim", action="append", default=[], metavar="NAME=VALUE",
                        help="a guarantee to verify besides the object's own claims: balance=N, "
                        "balance_any_subscriptions, sticky, rounds=N (assignors); uniform=false "
                        "(partitioners)")
    parser.add_argument("--reference", help="partitioners: must agree with this mapping "
                        "(murmur2, fnv1a, consistent) on the clients' test vectors")
    parser.add_argument("--max-members", type=int, default=12, help="largest generated group")
    parser.add_argument("--seed", type=int, help="hypothesis seed (printed in every report)")
    parser.add_argument("--property", action="append", metavar="NAME",
                        help="run only this property (repeatable), e.g. to rerun a failure")
    parser.add_argument("--json", action="store_true", help="print JSON for CI")
    parser.set_defaults(run=run)
