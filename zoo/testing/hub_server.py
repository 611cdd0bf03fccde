"""A local Hugging Face–compatible Hub on 127.0.0.1 for tests: olah serving git repositories.

The real ``huggingface_hub`` client talks to it over HTTP, so the download, cache, revision and
error paths under test are the ones users hit. Nothing leaves the loopback interface.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_GIT_ENV = {
    "GIT_AUTHOR_NAME": "zoo-tests",
    "GIT_AUTHOR_EMAIL": "zoo-tests@localhost",
    "GIT_COMMITTER_NAME": "zoo-tests",
    "GIT_COMMITTER_EMAIL": "zoo-tests@localhost",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **_GIT_ENV}
    done = subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


class LocalHub:
    """olah on a free loopback port, serving model repositories from a temporary folder.

    Example:
        >>> with LocalHub() as hub:                                     # doctest: +SKIP
        ...     commit = hub.add_repo("org/model", folder)
        ...     hf_hub_download("org/model", "config.json", revision=commit, endpoint=hub.endpoint)
    """

    def __init__(self, root: str | Path | None = None, startup_timeout: float = 60.0) -> None:
        self._own_root = root is None
        self.root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="zoo-hub-"))
        self.mirrors = self.root / "mirrors"
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen | None = None

    def add_repo(self, repo_id: str, folder: str | Path, message: str = "upload") -> str:
        """Commit ``folder``'s files as a new commit on ``main`` of ``repo_id``; return the commit."""
        repo = self.mirrors / "models" / repo_id
        if not (repo / ".git").exists():
            repo.mkdir(parents=True, exist_ok=True)
            _git(repo, "init", "-q", "-b", "main")
        for item in Path(folder).iterdir():
            if item.is_file():
                shutil.copy2(item, repo / item.name)
        _git(repo, "add", "-A")
        _git(repo, "commit", "-q", "--allow-empty", "-m", message)
        return _git(repo, "rev-parse", "HEAD")

    def start(self) -> "LocalHub":
        """Start olah and wait until it answers.

        Raises:
            RuntimeError: if it does not answer within ``startup_timeout`` seconds.
        """
        self.mirrors.mkdir(parents=True, exist_ok=True)
        config = self.root / "olah.toml"
        config.write_text(
            "[basic]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'repos-path = "{self.root / "olah-cache"}"\n'
            f'mirrors-path = ["{self.mirrors}"]\n'
            f'mirror-netloc = "127.0.0.1:{self.port}"\nmirror-lfs-netloc = "127.0.0.1:{self.port}"\n'
            "[accessibility]\noffline = true\n",
            encoding="utf-8",
        )
        log = open(self.root / "olah.log", "wb")  # noqa: SIM115 - closed with the process
        self._process = subprocess.Popen(
            [sys.executable, "-m", "olah.server", "-c", str(config)],
            cwd=self.root, stdout=log, stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                break
            try:
                urllib.request.urlopen(f"{self.endpoint}/api/models/zoo-probe/none", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means the server is up
            except OSError:
                time.sleep(0.2)
        log = (self.root / "olah.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"olah did not start on {self.endpoint}: {log}")

    def stop(self) -> None:
        """Stop the server and remove the temporary folder it served from."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
            self._process = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "LocalHub":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
