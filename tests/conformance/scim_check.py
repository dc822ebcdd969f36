"""Runs scim2-tester (the independent SCIM 2.0 suite) against a running Salespane server.

Usage: python scim_check.py <scim base URL, e.g. http://127.0.0.1:8787/scim/v2> <SCIM token>

scim2-tester has no command line of its own (its CLI lives in scim2-cli), so this calls its
`check_server` and fails (exit 1) on any check that is not a pass: every status other than
SUCCESS, COMPLIANT, ACCEPTABLE and SKIPPED counts as a failure.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASSING = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE, Status.SKIPPED}


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(
        base_url=base_url.rstrip("/") + "/",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client)
    failed = [r for r in results if r.status not in PASSING]
    for result in results:
        mark = "ok  " if result.status in PASSING else "FAIL"
        print(f"{mark} {result.status.name:<10} {result.title}: {result.reason}")
    passed = len(results) - len(failed)
    print(f"scim2-tester: {passed} of {len(results)} checks pass")
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
