"""Offline front-end assets for Solara (the workshop page).

Solara's server does not ship its browser JavaScript. The page asks for files
under ``/_solara/cdn/<name>@<version>/...`` and the server answers them from a
cache folder (``SOLARA_ASSETS_PROXY_CACHE_DIR``), filling that folder on a miss
by fetching from a public CDN (``SOLARA_ASSETS_CDN``). With no internet the page
stays blank. This module fills the cache ahead of time from the npm registry:
each package is fetched with ``npm pack`` and unpacked under
``<cache>/<name>@<version>/`` without the tarball's leading ``package/`` folder,
which is the layout the CDN serves.

How the package list below was derived (solara 1.64.1, ipyvue 1.x, ipywidgets 8):

1. Run a Mesa ``SolaraViz`` page (matplotlib plot, altair plot, ``solara.Markdown``)
   with an empty cache and ``SOLARA_ASSETS_CDN`` pointed at a closed loopback port.
2. Open it in headless Chromium and read the server's ``Could not load URL``
   lines; fill the cache with what they name; repeat until none appear (the
   first round shows only the base app; grid layout, vega and markdown helpers
   are requested only once the app runs).
3. Cross-check each entry against the solara source file that names it
   (``source`` below); :func:`check_against_installed_solara` repeats that check
   against whatever solara is installed, so an upgrade that changes a version
   is reported instead of silently blanking the page.

Entries whose ``spec`` is a range (``vega@5``) are cached under that literal
name, because that is the URL the page requests; ``npm pack`` resolves the range
to the newest matching release, as the CDN would.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "CACHE_DIR_ENV",
    "PACKAGES",
    "AssetFetchError",
    "AssetPackage",
    "FetchResult",
    "check_against_installed_solara",
    "default_cache_dir",
    "fetch_assets",
    "is_cached",
    "missing_packages",
    "needed_packages",
]

#: Environment variable that overrides the default cache folder.
CACHE_DIR_ENV = "CONSORTSIM_SOLARA_ASSETS_DIR"

#: The solara release the list below was verified against.
VERIFIED_SOLARA_VERSION = "1.64.1"

NPM_TIMEOUT_S = 300


@dataclass(frozen=True)
class AssetPackage:
    """One npm package the Solara page loads from the CDN path.

    Attributes:
        spec: What ``npm pack`` fetches and the page requests, e.g. ``vega@5``.
        probe: A file inside the package the page loads; its presence marks
            the package as cached.
        source: The solara file (relative to the solara package) naming ``spec``.
        why: Which part of the page needs it.
        vue: ``2`` or ``3`` if only needed by that ipyvue generation, else ``None``.
    """

    spec: str
    probe: str
    source: str
    why: str
    vue: int | None = None

    @property
    def dirname(self) -> str:
        """The folder name under the cache root (the spec as the page requests it)."""
        return self.spec


PACKAGES: tuple[AssetPackage, ...] = (
    AssetPackage(
        "@widgetti/solara-vuetify-app@10.1.1",
        "dist/solara-vuetify-app8.min.js",
        "server/templates/solara.html.j2",
        "base app: Vue 2, Vuetify, widget manager, fonts, css",
        vue=2,
    ),
    AssetPackage(
        "@widgetti/solara-vuetify3-app@5.2.0",
        "dist/solara-vuetify-app8.min.js",
        "server/templates/solara.html.j2",
        "base app when ipyvue 3 (Vue 3) is installed",
        vue=3,
    ),
    AssetPackage(
        "requirejs@2.3.6",
        "require.js",
        "server/templates/solara.html.j2",
        "module loader used by the page and by widget .vue files",
    ),
    AssetPackage(
        "font-awesome@4.5.0",
        "css/font-awesome.min.css",
        "server/settings.py",
        "icon font (SOLARA_ASSETS_FONTAWESOME_PATH)",
    ),
    AssetPackage(
        "@widgetti/vue-grid-layout@2.3.13-alpha.2",
        "dist/vue-grid-layout.umd.js",
        "widgets/vue/gridlayout.vue",
        "solara.GridDraggable: SolaraViz lays out its components with it",
    ),
    AssetPackage(
        "vega@5",
        "build/vega.min.js",
        "widgets/vue/vegalite.vue",
        "solara.FigureAltair (Mesa altair plots and spaces)",
    ),
    AssetPackage(
        "vega-lite@5",
        "build/vega-lite.min.js",
        "widgets/vue/vegalite.vue",
        "solara.FigureAltair",
    ),
    AssetPackage(
        "vega-embed@6",
        "build/vega-embed.min.js",
        "widgets/vue/vegalite.vue",
        "solara.FigureAltair",
    ),
    AssetPackage(
        "mermaid@10.8.0",
        "dist/mermaid.min.js",
        "components/markdown.py",
        "solara.Markdown loads it on mount (also Mesa's command console)",
    ),
    AssetPackage(
        "katex@0.16.9",
        "dist/contrib/auto-render.min.js",
        "components/markdown.py",
        "solara.Markdown math rendering, loaded on mount",
    ),
)

# Specs named in solara's page-side files that a Mesa page never requests:
# the solara.dev website search, the unused "plain" template.
_IGNORED_SPECS = frozenset({"@docsearch/js@3", "@docsearch/css@3", "hack-font@3.3.0"})
_SCANNED_FILES = (
    "server/templates/solara.html.j2",
    "server/settings.py",
    "widgets/vue/gridlayout.vue",
    "widgets/vue/vegalite.vue",
    "components/markdown.py",
)
_SPEC_RE = re.compile(r"[/\"'`]((?:@[a-z0-9-]+/)?[a-z0-9][a-z0-9.-]*@[0-9][A-Za-z0-9.+-]*)/")


class AssetFetchError(RuntimeError):
    """Raised when a package cannot be fetched or unpacked into the cache."""


@dataclass(frozen=True)
class FetchResult:
    """What happened to one package: ``"cached"`` (already there) or ``"fetched"``."""

    package: AssetPackage
    action: str
    version: str | None = None


def default_cache_dir() -> Path:
    """Return ``$CONSORTSIM_SOLARA_ASSETS_DIR`` or else ``<project>/.cache/solara-assets``.

    The project root is the nearest folder above this file, or else above the
    working directory, that holds a ``pyproject.toml``; failing both, the user's
    cache folder is used.
    """
    override = os.environ.get(CACHE_DIR_ENV)
    if override:
        return Path(override).expanduser().resolve()
    for start in (Path(__file__).resolve().parent, Path.cwd().resolve()):
        for folder in (start, *start.parents):
            if (folder / "pyproject.toml").is_file():
                return folder / ".cache" / "solara-assets"
    return Path.home() / ".cache" / "consortsim" / "solara-assets"


def _installed_vue_major() -> int:
    """Return the Vue generation solara will use (it follows ipyvue's major version)."""
    try:
        version = importlib.metadata.version("ipyvue")
    except importlib.metadata.PackageNotFoundError:
        return 2
    return 3 if version.startswith("3") else 2


def needed_packages(vue: int | None = None) -> list[AssetPackage]:
    """Return the packages the installed solara/ipyvue needs (all Vue-neutral ones plus one app)."""
    vue = _installed_vue_major() if vue is None else vue
    return [p for p in PACKAGES if p.vue in (None, vue)]


def is_cached(cache_dir: Path, package: AssetPackage) -> bool:
    """Return True if the package's probe file is present in the cache."""
    return (Path(cache_dir) / package.dirname / package.probe).is_file()


def missing_packages(
    cache_dir: Path | None = None, packages: Iterable[AssetPackage] | None = None
) -> list[AssetPackage]:
    """Return the needed packages not yet in the cache."""
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    wanted = needed_packages() if packages is None else list(packages)
    return [p for p in wanted if not is_cached(cache, p)]


def check_against_installed_solara() -> list[str]:
    """Compare the list with the installed solara's files; return human-readable problems.

    An empty list means every entry is still named where expected and the
    scanned files name nothing that is missing from the list.
    """
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        return ["solara is not installed; cannot check the asset list"]
    root = Path(next(iter(spec.submodule_search_locations)))
    problems: list[str] = []
    texts: dict[str, str] = {}
    for rel in _SCANNED_FILES:
        try:
            texts[rel] = (root / rel).read_text(encoding="utf-8")
        except OSError:
            problems.append(f"solara file {rel} not found; the asset list may be stale")
    for package in PACKAGES:
        text = texts.get(package.source)
        if text is not None and f"/{package.spec}/" not in text:
            problems.append(f"{package.spec} is no longer named in solara/{package.source}")
    known = {p.spec for p in PACKAGES} | _IGNORED_SPECS
    for rel, text in texts.items():
        for found in sorted(set(_SPEC_RE.findall(text)) - known):
            problems.append(f"solara/{rel} requests {found}, which is not in the asset list")
    try:
        installed = importlib.metadata.version("solara")
    except importlib.metadata.PackageNotFoundError:
        installed = "unknown"
    if problems:
        problems.insert(
            0,
            f"asset list was verified with solara {VERIFIED_SOLARA_VERSION}, "
            f"installed is {installed}",
        )
    return problems


def _npm_executable(npm: str | None) -> str:
    """Return the path of npm, or raise a clear error."""
    found = shutil.which(npm or os.environ.get("NPM", "npm"))
    if not found:
        raise AssetFetchError(
            "npm was not found on PATH. It is needed once to fill the Solara asset cache "
            "(Debian: apt-get install npm); or set NPM to its path."
        )
    return found


def _npm_pack(npm: str, spec: str, dest: Path) -> tuple[Path, str]:
    """Download ``spec`` as a tarball into ``dest``; return (tarball, resolved version)."""
    cmd = [npm, "pack", spec, "--json", "--pack-destination", str(dest)]
    try:
        proc = subprocess.run(
            cmd, cwd=dest, capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise AssetFetchError(f"`npm pack {spec}` timed out after {NPM_TIMEOUT_S} s") from exc
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-8:])
        raise AssetFetchError(
            f"`npm pack {spec}` failed (exit {proc.returncode}); is the npm registry "
            f"reachable?\n{tail}"
        )
    try:
        info = json.loads(proc.stdout)[0]
        tarball = dest / info["filename"]
        version = str(info["version"])
    except (ValueError, LookupError, TypeError) as exc:
        raise AssetFetchError(
            f"could not read `npm pack {spec}` output: {proc.stdout[:300]!r}"
        ) from exc
    if not tarball.is_file():
        raise AssetFetchError(f"`npm pack {spec}` reported {tarball.name} but wrote no such file")
    return tarball, version


def _unpack(tarball: Path, dest: Path) -> None:
    """Extract an npm tarball into ``dest``, dropping its top folder (``package/``)."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = Path(member.name).parts
            if len(parts) < 2 or not (member.isfile() or member.isdir()):
                continue
            member.name = str(Path(*parts[1:]))
            members.append(member)
        tar.extractall(dest, members=members, filter="data")


def fetch_assets(
    cache_dir: Path | str | None = None,
    packages: Iterable[AssetPackage] | None = None,
    *,
    npm: str | None = None,
    log: Callable[[str], None] | None = print,
) -> list[FetchResult]:
    """Make sure every needed package is unpacked in the cache; fetch what is missing.

    Idempotent: a package whose probe file exists is left alone. Each package is
    unpacked into a temporary folder and moved into place, so an interrupted run
    never leaves a half-filled package that looks complete.

    Args:
        cache_dir: Cache root; defaults to :func:`default_cache_dir`.
        packages: Packages to ensure; defaults to :func:`needed_packages`.
        npm: npm executable; defaults to ``$NPM`` or ``npm`` on PATH.
        log: Called with one line per package; ``None`` for silence.

    Raises:
        AssetFetchError: npm missing, registry unreachable, or a bad tarball.
    """
    say = log or (lambda _msg: None)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    wanted = needed_packages() if packages is None else list(packages)
    results: list[FetchResult] = []
    todo = [p for p in wanted if not is_cached(cache, p)]
    for package in wanted:
        if package not in todo:
            say(f"cached   {package.spec}")
            results.append(FetchResult(package, "cached"))
    if not todo:
        return results
    npm_path = _npm_executable(npm)
    cache.mkdir(parents=True, exist_ok=True)
    for package in todo:
        target = cache / package.dirname
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".fetch-", dir=cache) as tmp:
            tmp_path = Path(tmp)
            tarball, version = _npm_pack(npm_path, package.spec, tmp_path)
            staged = tmp_path / "unpacked"
            try:
                _unpack(tarball, staged)
            except (tarfile.TarError, OSError) as exc:
                raise AssetFetchError(f"could not unpack {tarball.name}: {exc}") from exc
            if not (staged / package.probe).is_file():
                raise AssetFetchError(
                    f"{package.spec} (resolved {version}) has no {package.probe}; "
                    "the package layout changed, update consortsim.assets.PACKAGES"
                )
            if target.exists() and not is_cached(cache, package):
                shutil.rmtree(target)  # a partial folder from an older, non-atomic fill
            try:
                os.replace(staged, target)
            except OSError:
                if not is_cached(cache, package):  # not just a concurrent fetch that won
                    raise
        say(f"fetched  {package.spec} (npm {version}) -> {target}")
        results.append(FetchResult(package, "fetched", version))
    return results
