"""What an ingest run did, file by file: the report the CLI prints and the UI shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class FileResult:
    """Outcome for one file: indexed, unchanged, failed (with why) or removed."""

    path: str
    status: str
    reason: str = ""
    chunks_added: int = 0
    chunks_removed: int = 0
    records: int = 0  # recommendation records extracted (Working Group reports, UPR Info exports)


@dataclass
class IngestReport:
    """Totals and per-file results of one ingest run."""

    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    embedded: int = 0
    interrupted: bool = False

    def by_status(self, status: str) -> list[FileResult]:
        return [r for r in self.results if r.status == status]

    @property
    def chunks_added(self) -> int:
        return sum(r.chunks_added for r in self.results)

    @property
    def chunks_removed(self) -> int:
        return sum(r.chunks_removed for r in self.results)

    def to_dict(self) -> dict[str, Any]:
        """Totals and per-file results (paths made printable: a name that is not UTF-8 stays readable)."""
        return {
            "indexed": len(self.by_status("indexed")),
            "unchanged": len(self.by_status("unchanged")),
            "failed": len(self.by_status("failed")),
            "removed": len(self.by_status("removed")),
            "chunks_added": self.chunks_added,
            "chunks_removed": self.chunks_removed,
            "records": sum(r.records for r in self.results),
            "embedded": self.embedded,
            "seconds": round(self.seconds, 2),
            "interrupted": self.interrupted,
            "files": [{**asdict(r), "path": _printable(r.path)} for r in self.results],
        }

    def summary_lines(self) -> list[str]:
        """Human-readable report: totals, then one line per failure."""
        d = self.to_dict()
        lines = [
            f"indexed {d['indexed']}, unchanged {d['unchanged']}, failed {d['failed']}, removed {d['removed']}; "
            f"chunks +{d['chunks_added']} -{d['chunks_removed']} ({d['embedded']} embedded) in {d['seconds']:.1f} s"
            + (f"; {d['records']} recommendation records" if d["records"] else "")
        ]
        lines += [f"  FAILED {_printable(r.path)}: {r.reason}" for r in self.by_status("failed")]
        if self.interrupted:
            lines.append("  interrupted: the index is usable; run the same command again to finish")
        return lines


def _printable(path: str) -> str:
    return path.encode("utf-8", "backslashreplace").decode("utf-8")
