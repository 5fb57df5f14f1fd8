"""`remote-ollama acl`: write the Tailscale policy (tags, grant, tests) from the inventory."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from remote_ollama import hujson
from remote_ollama.acl import DEFAULT_OWNER, AclError, AclSettings, merge_policy, render_policy
from remote_ollama.inventory_loader import InventoryError, group_settings, load_inventory
from remote_ollama.settings import SettingsError

EPILOG = """\
what it writes (HuJSON: JSON with // comments):
  tagOwners  who may apply the server and client tags (--owner, default autogroup:admin)
  grants     the client tag may reach the server tag on tcp:<ollama_port>, nothing else
  tests      checked by Tailscale on save: clients accepted on <server-tag>:<port> and
             denied on other server ports (22, 443, 5900); a non-client source (the
             server's own tag) denied on <port>

The tags and port come from the inventory's data (tailscale_server_tag,
tailscale_client_tag, ollama_port), with group_data/ applied as in a deploy: run it
from the repo root. All hosts must agree on the three values.

--merge FILE keeps everything else in FILE and adds or updates only remote-ollama's
entries: the two tags in tagOwners (existing owners are kept unless --owner is given),
and its grant and tests, recognised by a "// remote-ollama:" comment inside them, or
a grant whose src/dst are exactly [client tag]/[server tag], or a test from one of the
two tags whose destinations are all on the server tag. Those are replaced and moved to
the end of their list; every other rule and every comment elsewhere is kept byte for
byte. Merging twice gives the same text. Entries for tags you renamed are removed from
grants and tests, but the old tags stay in tagOwners (delete them yourself).

examples:
  remote-ollama acl                                  # print the policy for inventory/tailnet.py
  remote-ollama acl -o tailscale-policy.hujson       # write it to a file
  remote-ollama acl --inventory inventory/tailscale.py --owner group:it
  remote-ollama acl --merge policy.hujson -o policy.hujson   # update your policy in place
  remote-ollama acl --merge policy.hujson | diff policy.hujson -   # preview the change
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "acl",
        help="write the Tailscale policy (tags, grant, tests) derived from the inventory",
        description="Write a Tailscale policy file that lets only clients reach the Ollama "
        "port on the server, with tests Tailscale checks before applying it.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--inventory", default="inventory/tailnet.py", metavar="PATH",
        help="pyinfra inventory file (default: %(default)s)",
    )
    parser.add_argument(
        "--owner", default=None, metavar="OWNER",
        help=f"tag owner: a user, group:x or autogroup:x (default: {DEFAULT_OWNER}; "
        "with --merge, existing owners are kept unless this is given)",
    )
    parser.add_argument(
        "--merge", type=Path, metavar="FILE",
        help="existing policy file (HuJSON) to add remote-ollama's entries to",
    )
    parser.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout",
    )
    parser.set_defaults(func=run)


def build(args) -> str:
    """The policy text for the parsed arguments."""
    inventory = load_inventory(args.inventory)
    cfg = AclSettings.from_hosts(group_settings(inventory, ("server", "clients")))
    if args.merge is None:
        return render_policy(cfg, owner=args.owner or DEFAULT_OWNER)
    existing = args.merge.read_text(encoding="utf-8")
    hujson.loads(existing)  # a clear error, with line and column, before any edit
    merged = merge_policy(existing, cfg, owner=args.owner)
    hujson.loads(merged)
    return merged


def run(args) -> int:
    try:
        text = build(args)
    except (InventoryError, SettingsError, AclError, hujson.HuJSONError, OSError) as exc:
        where = f" in {args.merge}" if isinstance(exc, hujson.HuJSONError) else ""
        print(f"remote-ollama acl: error{where}: {exc}", file=sys.stderr)
        return 1
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0
