"""A secret planted in an alert is found nowhere in what a build leaves behind.

Plants an AWS key pair, a JWT, a ``--password=`` argument and a PEM private key in every kind of
field (output, output fields, tags, rule, hostname, uuid, a quarantined record), builds with the
default configuration and searches every file under ``site/``, ``site_src/`` and the state
folder, decoding what would hide a match from a plain grep: gzip, Parquet, HTML entities, JSON
escapes. A control build with ``--no-redaction`` proves the search finds what it looks for.
"""

from __future__ import annotations

import gzip
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow.parquet as pq

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import Project, RunBuild

AWS_KEY_ID = "AKIAQ7XG3M2ZKD5RWT4N"
AWS_SECRET = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJhZG1pbiIsIm5hbWUiOiJNYWxsb3J5IENvbnRyb2xsZXIifQ."
    "Zm9yZ2VkU2lnbmF0dXJlRm9yVGVzdGluZ09ubHkxMjM0NQ"
)
PASSWORD = "Sup3rS3cretPassw0rdXyzzy"
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA7bq9YzQxW2Lr8Kd0PlantedKeyBodyLineOne0123456789ab\n"
    "QmFzZTY0Qm9keUxpbmVUd29Gb3JUaGVQbGFudGVkS2V5VGVzdDk4NzY1NDMyMTA\n"
    "-----END RSA PRIVATE KEY-----"
)
SECRETS = {"aws-key-id": AWS_KEY_ID, "aws-secret": AWS_SECRET, "jwt": JWT, "password": PASSWORD, "pem": PEM}


def needles(secret: str) -> list[str]:
    """Alphanumeric runs of 12+ characters: what must not appear in any form (markup, JSON,
    entity encoding and line wrapping all leave such runs intact)."""
    runs = re.findall(r"[A-Za-z0-9]{12,}", secret)
    assert runs, secret
    return runs


def planted(make_alert: Callable[..., dict[str, Any]]) -> list[dict[str, Any]]:
    """Alerts and bad records carrying every secret in every kind of field."""
    cmd = (
        f"mysql -u root --password={PASSWORD} && curl -H 'Authorization: Bearer {JWT}' "
        f"&& AWS_ACCESS_KEY_ID={AWS_KEY_ID} aws_secret_access_key={AWS_SECRET} aws s3 ls"
    )
    fields = {
        "proc.name": "mysql",
        "proc.cmdline": cmd,
        "proc.pcmdline": f"sh -c 'echo {PEM!r} > /root/.ssh/id_rsa'",
        "proc.env": f"AWS_SECRET_ACCESS_KEY={AWS_SECRET} PASSWORD={PASSWORD}",
        "fd.name": f"/tmp/{AWS_KEY_ID}",
        "k8s.pod.labels": {"token": JWT, "nested": [f"password={PASSWORD}", {"pem": PEM}]},
        "user.name": f"token={JWT}",
    }
    return [
        make_alert(
            rule="Terminal shell in container",
            output=f"Shell with {cmd} and key {PEM}",
            output_fields=fields,
            tags=["shell", f"password={PASSWORD}", AWS_KEY_ID],
            hostname=f"node-{AWS_KEY_ID}",
        ),
        make_alert(
            rule=f"Leaked token={JWT}",
            output=PEM,
            uuid=f"password={PASSWORD}",
            hostname=f"password={PASSWORD}",
            output_fields={
                "proc.cmdline": f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
                "container.name": f"x-{AWS_KEY_ID}",
            },
        ),
        # Quarantined records: the build report quotes bad values in its reasons.
        make_alert(priority=f"password={PASSWORD}"),
        make_alert(time=f"{AWS_KEY_ID} token={JWT}"),
        make_alert(rule=f"Bad {PEM}", tags=f"password={PASSWORD}"),
    ]


def decoded_files(root: Path) -> Iterator[tuple[Path, str]]:
    """Every file under ``root`` as text, with gzip and Parquet unpacked."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        if path.suffix == ".parquet":
            text = json.dumps(pq.read_table(path).to_pylist(), ensure_ascii=False, default=str)
        else:
            text = data.decode("utf-8", "replace")
        # Undo every encoding a page or index might use, so no form of the secret hides.
        yield path, text + "\n" + html.unescape(text) + "\n" + _json_unescaped(text)


def _json_unescaped(text: str) -> str:
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return ""


def leaks(project: Project) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    roots = [project.site, project.docs, project.state]
    assert all(r.is_dir() for r in roots)
    for root in roots:
        for path, text in decoded_files(root):
            for name, secret in SECRETS.items():
                if any(n in text for n in needles(secret)):
                    found.setdefault(name, []).append(str(path.relative_to(project.root)))
    return found


def test_planted_secrets_are_published_nowhere(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    project.write_jsonl("leaky.jsonl", planted(make_alert))
    # A broken line and a duplicate key that are secrets themselves: reasons must not quote them.
    with (project.alerts / "leaky.jsonl").open("a") as fh:
        fh.write(f'{{"rule": "cut", "output": "{AWS_KEY_ID} {PASSWORD}\n')
        fh.write(f'{{"{AWS_SECRET}": 1, "{AWS_SECRET}": 2}}\n')
    run_build(["alerts"])
    report = project.report()
    assert report["published"] == 2 and report["quarantined"] == 5
    assert not leaks(project)


def test_search_finds_secrets_when_redaction_is_off(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    """Control: the same search does find every secret (pages, raw JSON, Parquet state)."""
    project.write_jsonl("leaky.jsonl", planted(make_alert))
    run_build(["alerts", "--no-redaction"])
    found = leaks(project)
    assert set(found) == set(SECRETS)
    for name in SECRETS:
        assert any(f.startswith("site/") for f in found[name]), name
        assert any(f.startswith(".falco-archive/") for f in found[name]), name


def test_secret_in_a_field_name_is_not_published(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    alert = make_alert(output_fields={f"password={PASSWORD}": "x", "labels": {f"token={JWT}": "y"}})
    project.write_jsonl("keys.jsonl", [alert])
    run_build(["alerts"])
    assert project.report()["published"] == 1
    assert not leaks(project)
