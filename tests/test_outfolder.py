"""Output folders: a target is the old results or the complete new ones, never half; stopped
writers leave `TARGET.partial/PARTIAL`; of two concurrent writers the second to finish is refused
and keeps its results in `TARGET.partial-PID/`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flexsim.cli.exits import Interrupted, _signals_raise
from flexsim.outfolder import MANIFEST, PARTIAL, OutFolderError, OutputFolder


def fill(folder: OutputFolder, who: str) -> None:
    """Write a results folder's worth: a file naming the writer and a manifest."""
    (folder.path / "who").write_text(who)
    (folder.path / MANIFEST).write_text("{}")


def test_commit_renames_the_partial_folder_to_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out" / "D"
    folder = OutputFolder(target)
    assert folder.claim() == tmp_path / "out" / "D.partial"
    fill(folder, "me")
    assert not target.exists()
    assert folder.commit() == target
    assert (target / "who").read_text() == "me"
    assert sorted(p.name for p in target.parent.iterdir()) == ["D"]


def test_an_existing_empty_folder_is_used(tmp_path: Path) -> None:
    target = tmp_path / "D"
    target.mkdir()
    with OutputFolder(target) as folder:
        fill(folder, "me")
    assert (target / "who").read_text() == "me"


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_non_empty_folder_needs_overwrite_and_a_manifest(tmp_path: Path, overwrite: bool) -> None:
    target = tmp_path / "D"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    with pytest.raises(OutFolderError, match="--overwrite" if not overwrite else MANIFEST):
        OutputFolder(target, overwrite).claim()
    assert (target / "notes.txt").read_text() == "mine"
    assert not (tmp_path / "D.partial").exists()


def test_overwrite_replaces_the_old_folder_whole(tmp_path: Path) -> None:
    target = tmp_path / "D"
    with OutputFolder(target) as first:
        fill(first, "first")
    (target / "extra").write_text("left from before")
    with OutputFolder(target, overwrite=True) as second:
        fill(second, "second")
    assert sorted(p.name for p in target.iterdir()) == [MANIFEST, "who"]
    assert (target / "who").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D"]


def test_an_exception_leaves_the_partial_folder_with_its_cause(tmp_path: Path) -> None:
    target = tmp_path / "D"
    with pytest.raises(KeyError) as raised, OutputFolder(target) as folder:
        fill(folder, "me")
        raise KeyError("no such table")
    assert not target.exists()
    partial = tmp_path / "D.partial"
    assert (partial / "who").read_text() == "me"
    assert "KeyError: 'no such table'" in (partial / PARTIAL).read_text()
    assert raised.value.__notes__ == [f"partial results kept in {partial}/"]


def test_a_stop_while_claiming_leaves_the_partial_folder_with_its_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM arriving while the partial folder is being taken (a signal handler runs between
    any two steps; the command line's raises Interrupted) still leaves it with a PARTIAL file
    and names it on the interrupt."""
    take = OutputFolder._take

    def take_then_stop(self: OutputFolder) -> None:
        take(self)
        os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(OutputFolder, "_take", take_then_stop)
    with _signals_raise(), pytest.raises(Interrupted) as stop, OutputFolder(tmp_path / "run"):
        pytest.fail("the block must not run")
    assert "Interrupted" in (tmp_path / "run.partial" / PARTIAL).read_text()
    assert f"partial results kept in {tmp_path / 'run.partial'}/" in stop.value.__notes__


def test_a_stale_partial_folder_is_emptied_and_reused(tmp_path: Path) -> None:
    target = tmp_path / "D"
    with pytest.raises(KeyboardInterrupt), OutputFolder(target) as stopped:
        fill(stopped, "stopped")
        (stopped.path / "sub").mkdir()
        raise KeyboardInterrupt
    again = OutputFolder(target)
    assert again.claim() == tmp_path / "D.partial"  # nobody holds it: no live writer
    assert list(again.path.iterdir()) == []
    fill(again, "again")
    again.commit()
    assert (target / "who").read_text() == "again"


@pytest.mark.parametrize("first_to_finish", ["partial", "partial-pid"])
def test_the_second_writer_to_finish_is_refused_and_keeps_its_results(
    tmp_path: Path, first_to_finish: str
) -> None:
    target = tmp_path / "D"
    a, b = OutputFolder(target), OutputFolder(target)
    a.claim()
    b.claim()  # a holds D.partial, so b writes beside it
    pid_folder = tmp_path / f"D.partial-{os.getpid()}"
    assert (a.path, b.path) == (tmp_path / "D.partial", pid_folder)
    fill(a, "a")
    fill(b, "b")
    first, second = (a, b) if first_to_finish == "partial" else (b, a)
    first.commit()
    with pytest.raises(OutFolderError, match=f"kept in {pid_folder}/"):
        second.commit()
    assert (target / "who").read_text() == ("a" if first is a else "b")
    assert (pid_folder / "who").read_text() == ("b" if first is a else "a")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["D", pid_folder.name]


def test_two_overwriting_writers_replace_the_old_folder_once(tmp_path: Path) -> None:
    target = tmp_path / "D"
    with OutputFolder(target) as old:
        fill(old, "old")
    a, b = OutputFolder(target, overwrite=True), OutputFolder(target, overwrite=True)
    a.claim()
    b.claim()
    fill(a, "a")
    fill(b, "b")
    a.commit()
    with pytest.raises(OutFolderError, match="another writer"):
        b.commit()  # the folder it was allowed to replace is gone: a's results stay
    assert (target / "who").read_text() == "a"


def test_an_empty_folder_made_after_the_claim_is_not_replaced(tmp_path: Path) -> None:
    # rename(2) silently replaces an empty folder: the commit must see it is not what it claimed
    target = tmp_path / "D"
    folder = OutputFolder(target)
    folder.claim()
    fill(folder, "me")
    target.mkdir()
    with pytest.raises(OutFolderError, match="another writer"):
        folder.commit()
    assert list(target.iterdir()) == []
    assert (tmp_path / f"D.partial-{os.getpid()}" / "who").read_text() == "me"


def test_a_partial_folder_held_by_a_live_process_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "D"
    hold = (
        "import sys\nfrom flexsim.outfolder import OutputFolder\n"
        "with OutputFolder(sys.argv[1]) as folder:\n"
        "    (folder.path / 'who').write_text('other')\n"
        "    print(folder.path, flush=True)\n"
        "    sys.stdin.readline()\n"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", hold, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None
        assert other.stdout.readline().strip() == str(tmp_path / "D.partial")
        mine = OutputFolder(target)
        assert mine.claim() == tmp_path / f"D.partial-{os.getpid()}"
        fill(mine, "me")
        other.communicate("\n", timeout=60)  # the other process finishes first
    finally:
        other.kill()
    assert other.returncode == 0
    with pytest.raises(OutFolderError, match="another writer"):
        mine.commit()
    assert (target / "who").read_text() == "other"
    assert (mine.path / "who").read_text() == "me"


@pytest.mark.parametrize("target", ["", "/"])
def test_a_path_naming_no_folder_is_refused(target: str) -> None:
    with pytest.raises(OutFolderError):
        OutputFolder(target)


def test_a_target_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "D"
    target.write_text("keep me")
    with pytest.raises(OutFolderError, match="not a folder"):
        OutputFolder(target, overwrite=True).claim()
    assert target.read_text() == "keep me"
