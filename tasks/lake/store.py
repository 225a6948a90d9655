"""store: where the lake is, how to reach its storage, and its tables.

One lake root holds one Delta table per name in ``tasks.lake.schema`` plus the per-video JSON under
``json/``. The root is a local path or an object-store URI (``s3://bucket/prefix``); for S3 the storage
options come from the environment (the usual ``AWS_*`` variables, including ``AWS_ENDPOINT_URL`` for
MinIO/moto/R2), with ``FACETRACK_STORAGE_OPTIONS`` (a JSON object) for anything else delta-rs accepts.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from tasks.errors import LakeError, first_line, storage_full
from tasks.lake import schema as lake_schema

if TYPE_CHECKING:
    from deltalake import DeltaTable

DEFAULT_LAKE = "./facetrack-data/lake"
LAKE_ENV = "FACETRACK_LAKE"
STORAGE_OPTIONS_ENV = "FACETRACK_STORAGE_OPTIONS"

# AWS variables passed to delta-rs explicitly (it reads some of them itself, but not all, and never the
# S3-specific endpoint variable the AWS CLI uses): explicit options make the S3 behaviour the same
# whichever library opens the table.
AWS_ENV = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ALLOW_HTTP",
    "AWS_PROFILE",
    "AWS_S3_ALLOW_UNSAFE_RENAME",
    "AWS_CONDITIONAL_PUT",
    "AWS_VIRTUAL_HOSTED_STYLE_REQUEST",
)

# Table properties every facetrack table is created with.
# - checkpoints every 20 commits: each video is one commit per table, so a busy lake would otherwise
#   make every reader replay up to 100 JSON commits before its first query;
# - 7 days of removed files and 30 days of log: time travel (`sql --as-of`) reaches back a week even
#   after `lake vacuum` with its default retention.
TABLE_PROPERTIES = {
    "delta.checkpointInterval": "20",
    "delta.deletedFileRetentionDuration": "interval 7 days",
    "delta.logRetentionDuration": "interval 30 days",
}


# Tables other parts of facetrack keep under the lake root (the validation gate's record and the
# quarantine twins of the video tables): SQL can query them by these names; publish never writes them.
AUXILIARY_TABLES: dict[str, tuple[str, ...]] = {
    "validations": ("validations",),
    **{f"quarantine_{t}": ("quarantine", t) for t in (*lake_schema.VIDEO_TABLES, "documents")},
}


def storage_options_from_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """delta-rs storage options for the lake, from AWS_* variables and FACETRACK_STORAGE_OPTIONS."""
    env = dict(os.environ if environ is None else environ)
    options = {key: env[key] for key in AWS_ENV if env.get(key)}
    if "AWS_REGION" not in options and env.get("AWS_DEFAULT_REGION"):
        options["AWS_REGION"] = env["AWS_DEFAULT_REGION"]
    if "AWS_ENDPOINT_URL" not in options and env.get("AWS_ENDPOINT_URL_S3"):
        options["AWS_ENDPOINT_URL"] = env["AWS_ENDPOINT_URL_S3"]
    if options.get("AWS_ENDPOINT_URL", "").startswith("http://"):
        options.setdefault("AWS_ALLOW_HTTP", "true")
    extra = env.get(STORAGE_OPTIONS_ENV)
    if extra:
        try:
            parsed = json.loads(extra)
        except ValueError as exc:
            raise LakeError(f"{STORAGE_OPTIONS_ENV} is not a JSON object: {exc}") from None
        if not isinstance(parsed, dict):
            raise LakeError(f"{STORAGE_OPTIONS_ENV} must be a JSON object of strings")
        options.update({str(k): str(v) for k, v in parsed.items()})
    return options


def is_uri(location: str) -> bool:
    """An object-store location (``s3://…``), as opposed to a local path (``file://`` counts as local)."""
    return "://" in location and not location.startswith("file://")


@dataclass(frozen=True)
class Lake:
    """A lake root and the options needed to reach it; cheap to build, opens nothing by itself."""

    root: str
    storage_options: dict[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(cls, location: str | os.PathLike[str] | None = None) -> Lake:
        """The lake named on the command line, else ``$FACETRACK_LAKE``, else ``./facetrack-data/lake``."""
        raw = os.fspath(location) if location else os.environ.get(LAKE_ENV) or DEFAULT_LAKE
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        if is_uri(raw):
            scheme = raw.split("://", 1)[0].lower()
            if scheme not in {"s3", "s3a", "gs", "az", "abfs", "abfss"}:
                raise LakeError(f"lake {raw}: unsupported storage scheme '{scheme}://'")
            return cls(raw.rstrip("/"), storage_options_from_env())
        return cls(os.path.abspath(os.path.expanduser(raw)), {})

    @classmethod
    def of(
        cls, lake: Lake | str | os.PathLike[str] | None, storage_options: dict[str, str] | None = None
    ) -> Lake:
        """A ``Lake`` as given, or resolved from a root path or URI (with these storage options, else the
        environment's): what every function that takes "a lake" accepts."""
        if isinstance(lake, Lake):
            return lake
        resolved = cls.resolve(lake)
        return resolved if storage_options is None else cls(resolved.root, dict(storage_options))

    @property
    def is_remote(self) -> bool:
        return is_uri(self.root)

    def path(self, *parts: str) -> str:
        """A location under the lake root: a path for a local lake, a URI for an object store."""
        return "/".join([self.root, *parts]) if self.is_remote else os.path.join(self.root, *parts)

    def table_uri(self, table: str) -> str:
        parts = (table,) if table in lake_schema.SCHEMAS else AUXILIARY_TABLES.get(table)
        if parts is None:
            raise LakeError(f"unknown table '{table}' (tables: {', '.join(lake_schema.SCHEMAS)})")
        return self.path(*parts)

    @property
    def json_dir(self) -> str:
        return self.path("json")

    def exists(self, table: str) -> bool:
        from deltalake import DeltaTable

        try:
            return bool(DeltaTable.is_deltatable(self.table_uri(table), self.storage_options))
        except Exception:  # an unreachable store is "not there"; open() reports why
            return False

    def open(self, table: str, as_of: int | str | datetime | None = None) -> DeltaTable:
        """The table at its latest version, or as of a version number or timestamp (time travel)."""
        from deltalake import DeltaTable

        uri = self.table_uri(table)
        try:
            dt = DeltaTable(uri, storage_options=self.storage_options or None)
        except Exception as exc:
            if not self.exists(table):
                raise LakeError(f"no '{table}' table in the lake at {self.root}") from None
            raise LakeError(f"cannot open table {uri}: {first_line(exc)}") from None
        if as_of is not None:
            try:
                dt.load_as_version(as_of)
            except Exception as exc:
                raise LakeError(f"table '{table}' has no version as of {as_of}: {first_line(exc)}") from None
        return dt

    def ensure_writable(self) -> None:
        """Fail early, with one line, when a local lake root cannot be created or written."""
        if self.is_remote:
            return  # object stores answer on the first write; ensure_tables reports that error
        if os.path.exists(self.root) and not os.path.isdir(self.root):
            raise LakeError(f"lake {self.root}: exists and is not a directory")
        try:
            os.makedirs(self.root, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".facetrack-write-test-"):
                pass
        except OSError as exc:
            reason = storage_full(exc) or exc.strerror or exc
            raise LakeError(f"lake {self.root}: cannot write ({reason})") from None

    def ensure_tables(self, tables: tuple[str, ...] | None = None) -> None:
        """Create the missing tables with their explicit schema, partitioning and properties.

        Creating up front (rather than on the first write) means an empty lake already answers SQL with
        the right columns, and the schema is the declared one, never one inferred from a first batch.
        Two processes may race to create a table; the loser sees it exists and carries on.
        """
        from deltalake import DeltaTable

        self.ensure_writable()
        for table in tables or tuple(lake_schema.SCHEMAS):
            if self.exists(table):
                continue
            try:
                DeltaTable.create(
                    self.table_uri(table),
                    lake_schema.SCHEMAS[table],
                    mode="ignore",
                    partition_by=lake_schema.PARTITIONS[table] or None,
                    name=table,
                    description=lake_schema.TABLE_DESCRIPTIONS.get(table),
                    configuration=TABLE_PROPERTIES,
                    storage_options=self.storage_options or None,
                )
            except Exception as exc:
                if self.exists(table):
                    continue  # created concurrently by another writer
                reason = storage_full(exc) or first_line(exc)
                raise LakeError(f"cannot create table {self.table_uri(table)}: {reason}") from None


def write_object(uri: str, text: str, storage_options: dict[str, str] | None = None) -> str:
    """Write a small text object (a per-video JSON) to an object store; return its URI.

    A single PUT is atomic on an object store (the object appears whole or not at all), so this is the
    remote counterpart of ``write_json_atomic``'s write-then-rename.
    """
    fs, path = arrow_filesystem(uri, storage_options or {})
    try:
        with fs.open_output_stream(path) as out:
            out.write(text.encode("utf-8"))
    except OSError as exc:
        raise LakeError(f"cannot write {uri}: {first_line(exc)}") from None
    return uri


def upload_file(path: str, uri: str, storage_options: dict[str, str] | None = None) -> str:
    """Copy a finished local file (a redacted video) to an object store in one stream; return its URI.

    The object appears when the upload completes, never half-written (a multipart upload is committed
    only at its end), so the remote counterpart of writing under a temporary name and renaming.
    """
    import shutil

    fs, target = arrow_filesystem(uri, storage_options or {})
    try:
        with open(path, "rb") as source, fs.open_output_stream(target) as out:
            shutil.copyfileobj(source, out, length=8 << 20)
    except OSError as exc:
        raise LakeError(f"cannot write {uri}: {first_line(exc)}") from None
    return uri


T = TypeVar("T")


def written_at(location: str, write: Callable[[str], T], storage_options: dict[str, str] | None = None) -> T:
    """``write(path)`` of a file meant for ``location``: there, when it is a local path; for an object URI,
    under the same name in a local staging folder, then uploaded in one stream once complete (an object
    appears whole or not at all). Returns what ``write`` returned."""
    if not is_uri(location):
        return write(location)
    import shutil
    import tempfile

    staging = tempfile.mkdtemp(prefix="facetrack-upload-")
    try:
        local = os.path.join(staging, os.path.basename(location))
        result = write(local)
        upload_file(local, location, storage_options)
        return result
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def arrow_filesystem(uri: str, options: dict[str, str]) -> tuple[Any, str]:
    """A pyarrow filesystem for an s3:// URI configured from the same options delta-rs gets."""
    import pyarrow.fs as pafs

    if not uri.startswith(("s3://", "s3a://")):
        filesystem, path = pafs.FileSystem.from_uri(uri)
        return filesystem, str(path)
    endpoint = options.get("AWS_ENDPOINT_URL", "")
    scheme = "https"
    if endpoint.startswith("http://"):
        scheme, endpoint = "http", endpoint[len("http://") :]
    elif endpoint.startswith("https://"):
        endpoint = endpoint[len("https://") :]
    fs = pafs.S3FileSystem(
        access_key=options.get("AWS_ACCESS_KEY_ID"),
        secret_key=options.get("AWS_SECRET_ACCESS_KEY"),
        session_token=options.get("AWS_SESSION_TOKEN"),
        region=options.get("AWS_REGION", "us-east-1"),
        endpoint_override=endpoint or None,
        scheme=scheme,
    )
    return fs, uri.split("://", 1)[1]
