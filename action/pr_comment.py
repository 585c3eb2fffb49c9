"""Post a pull request's reviewvet comment, or edit the one posted by an earlier run.

The comment is found by a marker line (an HTML comment naming the review), so every round of a
pull request updates one comment instead of adding another. Standard library only: it runs with
whatever Python the runner has. Reads GITHUB_TOKEN, GITHUB_REPOSITORY and GITHUB_API_URL (default
https://api.github.com), as Actions sets them.

    python pr_comment.py --pr 41 --key reviews/round-2.md --body comment.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import urllib.error
import urllib.request
from typing import Any

MAX_PAGES = 50  # 5,000 comments: a pull request with more is not looked through further
LINK_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def marker(key: str) -> str:
    """The first line of the comment: which review it is about (``--`` cannot end the HTML comment early)."""
    return f"<!-- reviewvet-action: {key.replace('--', '- -')} -->"


class GitHub:
    def __init__(self, api: str, repository: str, token: str) -> None:
        self.api, self.repository, self.token = api.rstrip("/"), repository, token

    def request(self, method: str, url: str, body: dict[str, Any] | None = None) -> tuple[Any, str]:
        """The decoded JSON reply and the URL of its next page ("" when none)."""
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Accept": "application/vnd.github+json", "Authorization": f"Bearer {self.token}",
            "X-GitHub-Api-Version": "2022-11-28", "Content-Type": "application/json",
            "User-Agent": "reviewvet-action"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            following = LINK_NEXT.search(reply.headers.get("Link", ""))
            return json.loads(reply.read().decode("utf-8") or "null"), following.group(1) if following else ""

    def find(self, pr: int, first_line: str) -> int | None:
        """The id of the comment whose first line is ``first_line``, if any."""
        url = f"{self.api}/repos/{self.repository}/issues/{pr}/comments?per_page=100"
        for _ in range(MAX_PAGES):
            comments, url = self.request("GET", url)
            for comment in comments:
                if (comment.get("body") or "").split("\n", 1)[0].strip() == first_line:
                    return int(comment["id"])
            if not url:
                break
        return None

    def post(self, pr: int, key: str, body: str) -> str:
        """Create or update the comment; ``created`` or ``updated``."""
        first_line = marker(key)
        text = f"{first_line}\n{body}"
        existing = self.find(pr, first_line)
        if existing is None:
            self.request("POST", f"{self.api}/repos/{self.repository}/issues/{pr}/comments", {"body": text})
            return "created"
        self.request("PATCH", f"{self.api}/repos/{self.repository}/issues/comments/{existing}", {"body": text})
        return "updated"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pr", type=int, required=True, help="the pull request's number")
    parser.add_argument("--key", required=True, help="what the comment is about (the review's path)")
    parser.add_argument("--body", required=True, help="file holding the comment's Markdown")
    args = parser.parse_args(argv)
    token, repository = os.environ.get("GITHUB_TOKEN", ""), os.environ.get("GITHUB_REPOSITORY", "")
    if not token or not repository:
        print("pr_comment: GITHUB_TOKEN and GITHUB_REPOSITORY must be set", file=sys.stderr)
        return 2
    with open(args.body, encoding="utf-8") as handle:
        body = handle.read()
    github = GitHub(os.environ.get("GITHUB_API_URL") or "https://api.github.com", repository, token)
    try:
        done = github.post(args.pr, args.key, body)
    except urllib.error.HTTPError as exc:  # 403 on a fork's read-only token, 404 on a wrong repository
        print(f"pr_comment: GitHub answered {exc.code} {exc.reason} to {exc.url}", file=sys.stderr)
        return 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"pr_comment: cannot reach GitHub: {exc}", file=sys.stderr)
        return 1
    print(f"reviewvet: pull-request comment {done} ({args.key})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
