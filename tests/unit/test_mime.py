"""_protocol/mime.py: the upstream MIME table and the lookup rule of client.md section 15."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from swoole_compat._protocol.mime import DEFAULT_MIME_TYPE, MIME_TYPES, guess_mime_type


def test_table_size_matches_upstream() -> None:
    # src/protocol/mime_type.cc has 362 keys, the seven "*ext" keys included.
    assert len(MIME_TYPES) == 362
    assert all(key == key.lower() and "." not in key for key in MIME_TYPES)
    assert DEFAULT_MIME_TYPE == "application/octet-stream"


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("/tmp/exp/up.txt", "text/plain"),
        ("a.html", "text/html"),
        ("a.htm", "text/html"),
        ("photo.jpg", "image/jpeg"),
        ("photo.JPEG", "image/jpeg"),
        ("PIC.PnG", "image/png"),
        ("x.json", "application/json"),
        ("x.map", "application/json"),
        ("x.js", "application/javascript"),
        ("x.mjs", "application/javascript"),
        ("x.css", "text/css"),
        ("x.pdf", "application/pdf"),
        ("x.zip", "application/zip"),
        ("x.gz", "application/gzip"),
        ("x.tar", "application/x-tar"),
        ("x.svg", "image/svg+xml"),
        ("x.webp", "image/webp"),
        ("x.wasm", "application/wasm"),
        ("x.mp4", "video/mp4"),
        ("x.apk", "application/vnd.android.package-archive"),
        ("x.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("x.disposition-notification", "message/disposition-notification"),
        ("x.yml", "text/yaml"),
        ("x.exe", "application/octet-stream"),
    ],
)
def test_known_extensions(path: str, mime: str) -> None:
    assert guess_mime_type(path) == mime


@pytest.mark.parametrize(
    ("ext", "mime"),
    [
        # The "*ext" duplicates of the spec table lose: upstream stores them under a literal
        # "*" key, so the plain extension keeps its first type.
        ("mp3", "audio/mpeg"),
        ("wav", "audio/wav"),
        ("xml", "application/xml"),
        ("rtf", "application/rtf"),
        ("jpm", "image/jpm"),
        ("woff", "application/font-woff"),
        ("3gpp", "video/3gpp"),
        ("jpgm", "video/jpm"),
        ("woff2", "font/woff2"),
    ],
)
def test_duplicate_extensions_follow_the_source(ext: str, mime: str) -> None:
    assert guess_mime_type(f"/srv/file.{ext}") == mime


def test_star_keys_are_literal_upstream_keys() -> None:
    assert guess_mime_type("odd.*mp3") == "audio/mp3"
    assert guess_mime_type("odd.*XML") == "text/xml"
    assert MIME_TYPES["*wav"] == "audio/wave"


@pytest.mark.parametrize(
    ("path", "mime"),
    [
        ("noext", "application/octet-stream"),
        ("json", "application/json"),  # no dot: the whole path is the key
        ("/tmp/txt", "application/octet-stream"),  # ... the whole *path*, slashes included
        ("/a.d/file", "application/octet-stream"),  # last dot of the whole path: key "d/file"
        ("/a.d/file.css", "text/css"),
        ("archive.tar.gz", "application/gzip"),
        ("trailing.", "application/octet-stream"),
        (".txt", "text/plain"),
        ("", "application/octet-stream"),
        ("x.unknownext", "application/octet-stream"),
        ("x.\u212aar", "application/octet-stream"),  # KELVIN SIGN is not ASCII 'k'
    ],
)
def test_lookup_rule(path: str, mime: str) -> None:
    assert guess_mime_type(path) == mime


def test_path_like_is_accepted() -> None:
    assert guess_mime_type(PurePosixPath("/tmp/a.TXT")) == "text/plain"


def test_spec_rows_sample() -> None:
    # A row from each top-level type family of the appendix.
    assert MIME_TYPES["ez"] == "application/andrew-inset"
    assert MIME_TYPES["m4a"] == "audio/mp4"
    assert MIME_TYPES["ttc"] == "font/collection"
    assert MIME_TYPES["ico"] == "image/x-icon"
    assert MIME_TYPES["eml"] == "message/rfc822"
    assert MIME_TYPES["glb"] == "model/gltf-binary"
    assert MIME_TYPES["man"] == "text/troff"
    assert MIME_TYPES["avi"] == "video/x-msvideo"
