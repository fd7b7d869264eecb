"""The README's flags and endpoints tables match the binary: every flag of `--help` with its
default, and every endpoint answering on a running agent."""
import re
import subprocess

from test_agent import BIN, REPO, exporter, render, wait_until

README = (REPO / "README.md").read_text()


def table(header: str) -> list[list[str]]:
    lines = README[README.index(header):].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_flags_table_matches_help():
    help_text = subprocess.run([BIN, "--help"], capture_output=True, text=True, timeout=10, check=True).stdout
    from_help = {}
    for match in re.finditer(r"^\s+--(\[no-\])?([\w.-]+)(?:=(\S*))?\s", help_text, re.MULTILINE):
        name = match.group(2)
        if name in ("help", "version"):
            continue
        from_help[name] = "false" if match.group(1) else (match.group(3) or "")
    from_readme = {}
    for flag, default in table("| flag | default |"):
        name = re.match(r"`--(?:\[no-\])?([\w.-]+)`", flag).group(1)
        from_readme[name] = re.match(r"`([^`]*)`", default).group(1)
    assert from_readme == from_help


def test_every_endpoint_in_the_table_answers(tmp_path):
    config = render("reloaded.yml", tmp_path)
    with exporter(config, tmp_path) as exp:
        wait_until("/-/ready 200", lambda: exp.request("/-/ready")[0] == 200)
        expected = {"/probe": 400, "/-/reload": 403}
        for endpoint, what in table("| endpoint | what |"):
            path = endpoint.strip("`")
            method = "POST" if what.startswith("`POST`") else "GET"
            status, _ = exp.request(path, method)
            assert status == expected.get(path, 200), (path, method, status)
