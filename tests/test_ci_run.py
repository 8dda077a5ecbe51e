""".ci/run runs every command of README.md's first bash block, in order, and fails with
the first that fails.

Each test copies the script next to a temporary README.md whose commands are
cheap stand-ins, and runs it with ``SKNN_CI_USE_CURRENT_PYTHON=1`` so that
it creates no virtualenv and installs nothing (``PIP_NO_INDEX=1`` makes sure
nothing is downloaded even if it did).
"""

import os
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

CI_SCRIPT = Path(__file__).resolve().parent.parent / ".ci" / "run"
PYTHON = shlex.quote(sys.executable)

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason=".ci/run is a bash script")


def run_ci(tmp_path, readme):
    """``(exit status, output, log lines)`` of .ci/run in a checkout whose README is ``readme``."""
    (tmp_path / ".ci").mkdir()
    script = tmp_path / ".ci" / "run"
    shutil.copy(CI_SCRIPT, script)
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "README.md").write_text(readme, encoding="utf-8")
    env = dict(os.environ, SKNN_CI_USE_CURRENT_PYTHON="1", PIP_NO_INDEX="1")
    env.pop("PIP_FIND_LINKS", None)
    result = subprocess.run(["bash", str(script)], cwd=tmp_path, env=env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=120)
    log = tmp_path / "log.txt"
    lines = log.read_text().split() if log.exists() else []
    assert not (tmp_path / ".venv").exists(), "the switch did not skip the virtualenv"
    return result.returncode, result.stdout + result.stderr, lines


def readme_with(*commands):
    return "```bash\n" + "\n".join(commands) + "\n```\n\n# project\n\n```bash\necho later\n```\n"


def test_runs_every_readme_command_in_order(tmp_path):
    status, output, log = run_ci(tmp_path, readme_with("echo install >> log.txt",
                                                       "echo test >> log.txt"))
    assert status == 0, output
    assert log == ["install", "test"]  # and nothing from the later bash block


def test_a_failing_first_command_fails_and_stops(tmp_path):
    status, output, log = run_ci(tmp_path, readme_with("echo install >> log.txt && false",
                                                       "echo test >> log.txt"))
    assert status == 1, output
    assert log == ["install"]
    assert "README command 1 failed with exit status 1" in output


def test_a_failing_second_command_fails_with_its_status(tmp_path):
    status, output, log = run_ci(tmp_path, readme_with("echo install >> log.txt",
                                                       "echo test >> log.txt; exit 3"))
    assert status == 3, output
    assert log == ["install", "test"]


def test_a_command_stops_at_its_first_failing_part(tmp_path):
    # `a; b` in the README must not pass because b passed
    status, output, log = run_ci(tmp_path, readme_with("false; echo after >> log.txt",
                                                       "echo test >> log.txt"))
    assert status == 1, output
    assert log == []


def test_pytest_collecting_no_tests_is_a_failure(tmp_path):
    (tmp_path / "no_tests").mkdir()
    status, output, log = run_ci(tmp_path, readme_with(
        "echo install >> log.txt",
        f"{PYTHON} -m pytest -q -p no:cacheprovider no_tests"))
    assert status == 5, output
    assert log == ["install"]
    assert "collected no tests" in output


def test_a_readme_without_a_bash_block_fails(tmp_path):
    status, output, _ = run_ci(tmp_path, "# project\n\nNo commands here.\n")
    assert status == 1
    assert "could not read the commands" in output

