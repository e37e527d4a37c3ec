"""Fetching checkpoints: verified, resumable downloads into the torch hub
cache, mirrors, and the hash in a published file's name.

A published checkpoint is named ``<name>_<YYYYMMDD>-<sha256[:8]>.pth``
(OpenMMLab's convention, see ``tools/model_converters/publish_model.py``).
Any such file is verified against its name before it is used: downloads,
cache hits and files on a mirror. mmpretrain's loader skips this check.

Mirrors, for clusters without internet, in order of precedence:

- ``url_mapping=(pattern, replacement)``: a regular expression substitution
  on the URL, as in ``mmpretrain.get_model``;
- ``DILEMMA_MM_URL_MAPPING='SRC=DST[;SRC2=DST2...]'``: the first ``SRC``
  prefix of the URL is replaced by ``DST``;
- ``DILEMMA_MM_MIRROR=DIR_OR_URL``: the file of the same name in that
  directory (or under that URL).

A URL mapped to a local path (or ``file://``) is used in place, not copied.
"""
import contextlib
import hashlib
import os
import os.path as osp
import re
import urllib.error
import urllib.request
from typing import Iterator, Optional, Tuple
from urllib.parse import urlparse

import torch
from mmengine.logging import print_log

URL_MAPPING_ENV = 'DILEMMA_MM_URL_MAPPING'
MIRROR_ENV = 'DILEMMA_MM_MIRROR'
# ..._20261127-0123abcd.pth: date and the first 8 hex digits of the sha256
HASH_NAME = re.compile(r'_(?P<date>\d{8})-(?P<sha>[0-9a-f]{8})\.pth$')
_CHUNK = 1 << 20
# (pattern, replacement) for re.sub, as mmpretrain.get_model's url_mapping
UrlMapping = Optional[Tuple[str, str]]


class ChecksumError(RuntimeError):
    """A checkpoint's sha256 differs from the prefix in its file name."""


class IncompleteDownloadError(RuntimeError):
    """The server closed the connection before sending the whole file."""


def sha256sum(path: str) -> str:
    """The hex sha256 digest of a file."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def expected_sha256_prefix(file_name: str) -> Optional[str]:
    """The ``<sha256[:8]>`` of a ``..._YYYYMMDD-<sha256[:8]>.pth`` name, or
    None for a name without one."""
    match = HASH_NAME.search(osp.basename(file_name))
    return match.group('sha') if match else None


def verify_checkpoint_file(path: str, file_name: Optional[str] = None) -> None:
    """Check a file against the hash in its name, if the name has one.

    Args:
        path (str): The file to hash.
        file_name (str, optional): The name carrying the hash, when ``path``
            is a temporary file. Defaults to ``basename(path)``.

    Raises:
        ChecksumError: The sha256 of the file does not start with the hash
            in the name.
    """
    file_name = file_name or osp.basename(path)
    expected = expected_sha256_prefix(file_name)
    if expected is None:
        return
    actual = sha256sum(path)
    if not actual.startswith(expected):
        raise ChecksumError(
            f'{file_name}: sha256 {actual[:8]}... does not match the hash '
            f'{expected} in its name; the file is corrupt, truncated or not '
            'the published one.')


def _env_mappings() -> Iterator[Tuple[str, str]]:
    for item in re.split(r'[;\n]', os.environ.get(URL_MAPPING_ENV, '')):
        src, sep, dst = item.strip().partition('=')
        if not sep or not src:
            if item.strip():
                raise ValueError(f'{URL_MAPPING_ENV}: expected SRC=DST, got '
                                 f'{item.strip()!r}')
            continue
        yield src, dst


def map_url(url: str, url_mapping: UrlMapping = None) -> str:
    """Redirect a checkpoint URL to a mirror (see the module docstring).

    Args:
        url (str): The URL or path of the checkpoint.
        url_mapping (tuple[str, str], optional): ``(pattern, replacement)``
            applied with :func:`re.sub`. Defaults to None, which consults
            ``DILEMMA_MM_URL_MAPPING`` and ``DILEMMA_MM_MIRROR``.

    Returns:
        str: The URL or local path to read.
    """
    if url_mapping is not None:
        pattern, replacement = url_mapping
        return re.sub(pattern, replacement, url)
    for src, dst in _env_mappings():
        if url.startswith(src):
            return dst + url[len(src):]
    mirror = os.environ.get(MIRROR_ENV)
    if mirror and is_url(url):
        return f'{mirror.rstrip("/")}/{osp.basename(urlparse(url).path)}'
    return url


def is_url(path: str) -> bool:
    """Whether ``path`` is a remote URL (``http``, ``https``, ``ftp``)."""
    return urlparse(path).scheme in ('http', 'https', 'ftp')


def local_path(path: str) -> Optional[str]:
    """The file-system path of ``path``, or None for a remote URL."""
    if path.startswith('file://'):
        return urllib.request.url2pathname(urlparse(path).path)
    return None if is_url(path) else osp.expanduser(path)


@contextlib.contextmanager
def _exclusive(lock_path: str):
    """An inter-process lock (POSIX), so that ranks sharing a cache do not
    write the same partial file; a no-op where ``fcntl`` is missing."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock_path, 'a') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _fetch(url: str, partial: str, timeout: float) -> int:
    """Download ``url`` into ``partial``, resuming from its current size
    when the server honours ``Range``. Returns the offset resumed from."""
    offset = osp.getsize(partial) if osp.isfile(partial) else 0
    request = urllib.request.Request(url)
    if offset:
        request.add_header('Range', f'bytes={offset}-')
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code != 416 or not offset:  # 416: nothing left to send
            raise
        return offset
    with response:
        if offset and response.status != 206:
            offset = 0  # no range support: start over
        length = response.headers.get('Content-Length')
        expected = offset + int(length) if length is not None else None
        with open(partial, 'ab' if offset else 'wb') as f:
            for chunk in iter(lambda: response.read(_CHUNK), b''):
                f.write(chunk)
    size = osp.getsize(partial)
    if expected is not None and size > expected:
        os.remove(partial)
        raise IncompleteDownloadError(f'{url}: got {size} bytes, more than '
                                      f'the {expected} announced.')
    if expected is not None and size < expected:
        raise IncompleteDownloadError(
            f'{url}: got {size} of {expected} bytes; run again to resume '
            f'from {partial}.')
    return offset


def default_cache_dir() -> str:
    """``torch.hub.get_dir()/checkpoints`` (``$TORCH_HOME/hub/...``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def download_checkpoint(url: str,
                        url_mapping: UrlMapping = None,
                        cache_dir: Optional[str] = None,
                        timeout: float = 60.) -> str:
    """Fetch a checkpoint into the cache, verified, and return its path.

    The file is downloaded to ``<name>.partial`` (resumed on the next call
    if interrupted), verified against the hash in its name and only then
    renamed to ``<name>``, atomically: a file under the final name is
    always complete and verified. A cache hit is verified again and
    fetched afresh if it no longer matches. A resumed download that fails
    verification is retried once from scratch. ``<name>.lock`` serialises
    the processes sharing the cache (e.g. distributed ranks).

    Args:
        url (str): The checkpoint URL (its file name names the cached file).
        url_mapping (tuple[str, str], optional): See :func:`map_url`.
        cache_dir (str, optional): Defaults to :func:`default_cache_dir`.
        timeout (float): Socket timeout in seconds. Defaults to 60.

    Returns:
        str: The local path of the verified checkpoint.

    Raises:
        ChecksumError: The file does not match the hash in its name; no
            file is left under the cached name nor as a partial download.
    """
    source = map_url(url, url_mapping)
    file_name = osp.basename(urlparse(url).path)
    if not file_name:
        raise ValueError(f'no file name in the checkpoint URL {url}')
    local = local_path(source)
    if local is not None:
        if not osp.isfile(local):
            raise FileNotFoundError(
                f'checkpoint {url} maps to {local}, which does not exist')
        verify_checkpoint_file(local, file_name)
        return local

    cache_dir = cache_dir or default_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    target = osp.join(cache_dir, file_name)
    partial = target + '.partial'
    with _exclusive(target + '.lock'):
        if osp.isfile(target):
            try:
                verify_checkpoint_file(target)
                return target
            except ChecksumError as e:
                print_log(f'{e} Fetching it again.', level='WARNING')
                os.remove(target)
        print_log(f'Downloading {source} to {target}', logger='current')
        for attempt in range(2):
            resumed_from = _fetch(source, partial, timeout)
            try:
                verify_checkpoint_file(partial, file_name)
                break
            except ChecksumError as e:
                os.remove(partial)
                if not resumed_from or attempt:
                    raise ChecksumError(
                        f'{e} Downloaded from {source}; nothing was '
                        f'cached in {cache_dir}.') from None
        os.replace(partial, target)
    return target
