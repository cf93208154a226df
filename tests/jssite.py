"""A news page whose article a script writes (shared by the render and app-shell tests)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from server import LocalServer, Request, Response

PARAGRAPHS = [
    "The city council voted 7-2 on Tuesday to approve the new transit budget after a long "
    "debate about bus routes and fares.",
    "Supporters said the plan would cut waiting times on the busiest lines by a third within "
    "two years, while critics warned about the cost.",
    "The budget now goes to the mayor, who has ten days to sign it or send it back to the "
    "council with her objections.",
]
SHELL = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>City News</title>
<script defer src="/app/app.js"></script></head><body>
<noscript>You need to enable JavaScript to run this app.</noscript><div id="root"></div>
<img src="/app/photo.png"></body></html>"""
APP_JS = """
fetch('/app/api').then(r => r.json()).then(data => {
  const article = document.createElement('article');
  const h1 = document.createElement('h1'); h1.textContent = data.title; article.appendChild(h1);
  for (const text of data.paragraphs) {
    const p = document.createElement('p'); p.textContent = text; article.appendChild(p);
  }
  document.getElementById('root').appendChild(article);
  document.title = data.title + ' | City News';
  document.cookie = 'seen=1; path=/';
});
"""


@dataclass
class JsSite:
    """An app shell on the test server whose script fetches the article from an API."""

    server: LocalServer
    paragraphs: list[str] = field(default_factory=lambda: list(PARAGRAPHS))
    hold: threading.Event | None = None  # set: the API waits until it is cleared
    api_calls: int = 0

    def __post_init__(self) -> None:
        self.server.set("/app/", SHELL)
        self.server.set("/app/app.js", APP_JS, headers={"Content-Type": "text/javascript"})
        self.server.set("/app/photo.png", b"\x89PNG", headers={"Content-Type": "image/png"})
        self.server.route("/app/api", self.api)

    @property
    def url(self) -> str:
        return self.server.url("/app/")

    def api(self, request: Request) -> Response:
        self.api_calls += 1
        while self.hold is not None and self.hold.is_set():
            self.server.wait(0.05)
        body = json.dumps(
            {"title": "Council approves transit budget", "paragraphs": self.paragraphs}
        )
        return Response(200, {"Content-Type": "application/json"}, body.encode())

    def paths(self) -> list[str]:
        return [r.path for r in self.server.requests]
