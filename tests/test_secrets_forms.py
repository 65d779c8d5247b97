"""Secrets named by their key, and the command-line forms of issue 12.6, are published nowhere.

Before: ``proc.env[DB_PASSWORD]``, ``ka.uri.param[password]`` or a nested ``{"password": ...}``
kept their value (only values that *look* like secrets were redacted), and ``curl -u admin:PASS``,
``docker run -e DB_PASS=...``, ``redis-cli -a``, ``sqlcmd -P``... reached the alert page and JSON,
and through the command line also the CSV, the feed, the dashboard and the aggregate pages. The
build test plants them all in Critical alerts (so they are on the dashboard and in the feed),
searches every file the build leaves (decoded: gzip, Parquet, HTML entities, JSON escapes), and
a control build without redaction proves the search finds each secret in each of those places.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from generator.read.redact import RedactionConfig, Redactor, names_secret

if TYPE_CHECKING:
    from conftest import Project, RunBuild

#: (where, secret): each secret is an alphanumeric run found nowhere else in the input.
KEYED = {
    "proc.env[DB_PASSWORD]": "KeyedDbPw4711",
    "proc.env[AWS_SECRET_ACCESS_KEY]": "KeyedAwsSecret4712",
    "ka.uri.param[password]": "KeyedUriParam4713",
    "proc.env[GITHUB_TOKEN]": "KeyedGhTok4714",
}
NESTED_SECRET = "KeyedNested4715"
#: Command lines, each with its secret.
COMMANDS = {
    "curl -u admin:CurlPw4721 https://api.internal/": "CurlPw4721",
    "docker run -e DB_PASS=DockerPw4722 postgres": "DockerPw4722",
    "redis-cli -h cache -a RedisPw4723 ping": "RedisPw4723",
    "sqlcmd -S db -U sa -P SqlcmdPw4724 -Q 'select 1'": "SqlcmdPw4724",
    "openssl enc -aes256 -passin pass:OpensslPw4725 -in f": "OpensslPw4725",
    "az login -u ops@corp.example -p AzurePw4726": "AzurePw4726",
    "ldapsearch -x -D cn=admin -w LdapPw4727 -b dc=corp": "LdapPw4727",
    "smbclient //fs/share -U admin%SambaPw4728 -c ls": "SambaPw4728",
    "xfreerdp /u:admin /p:RdpPw4729 /v:10.0.0.5": "RdpPw4729",
    "curl -d user%3Dbob%26password%3DUrlencPw4730%26x%3D1 https://h/": "UrlencPw4730",
    "curl -H 'Cookie: session=CookiePw4731' https://h/": "CookiePw4731",
    "vault kv get -address=https://v hvs.CAESIVaultTok4732abcdefghij": "CAESIVaultTok4732abcdefghij",
    "stripe charges list --api-base x sk_live_StripeKey4733abcdefgh": "StripeKey4733abcdefgh",
    "kubectl create secret generic db --from-literal=DB_PASS=LiteralPw4734": "LiteralPw4734",
    "az storage blob list --connection-string "
    "'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=AzureKey4735abc==;EndpointSuffix=x'": (
        "AzureKey4735abc"
    ),
}
SECRETS = [*KEYED.values(), NESTED_SECRET, *COMMANDS.values()]


@pytest.mark.parametrize(
    "key",
    [
        "proc.env[DB_PASSWORD]",
        "proc.env[AWS_SECRET_ACCESS_KEY]",
        "ka.uri.param[password]",
        "password",
        "dbPassword",
        "proc.env[DB_PASS]",
        "proc.env[MYSQL_PWD]",
        "client_secret",
        "x-api-key",
        "accessToken",
        "Authorization",
        "k8s.pod.labels.cookie",
        "proc.env[SESSION_ID]",
    ],
)
def test_secret_names(key: str) -> None:
    assert names_secret(key)


@pytest.mark.parametrize(
    "key",
    [
        "proc.cmdline",
        "fd.name",
        "proc.env[AWS_ACCESS_KEY_ID]",
        "proc.env[PWD]",
        "compass",
        "bypass",
        "gcp.authorizationInfo",
        "token_file",
        "ka.auth.decision",
        "user.name",
        "proc.env",
    ],
)
def test_ordinary_names(key: str) -> None:
    assert not names_secret(key)


def test_value_under_a_secret_key_is_redacted_across_nesting() -> None:
    redactor = Redactor()
    alert = {
        "output_fields": {
            **KEYED,
            "k8s.pod.labels": {"app": "web", "config": {"password": NESTED_SECRET, "port": 5432}},
            "proc.env[DB_PASSWORD_FILE]": "",
            "secrets": ["one-4716", {"inner": "two-4717"}, 4718],
            "proc.env[AWS_ACCESS_KEY_ID]": "kept-4719",
        }
    }
    out = redactor.redact(alert)["output_fields"]
    text = repr(out)
    for secret in [*KEYED.values(), NESTED_SECRET, "one-4716", "two-4717", "4718"]:
        assert secret not in text
    assert out["proc.env[DB_PASSWORD]"] == "[REDACTED:secret-key]"
    assert out["k8s.pod.labels"]["app"] == "web" and out["k8s.pod.labels"]["config"]["port"] == 5432
    assert out["proc.env[DB_PASSWORD_FILE]"] == ""  # absent stays absent
    assert out["proc.env[AWS_ACCESS_KEY_ID]"] == "kept-4719"
    assert redactor.counts["secret-key"] == 8
    assert Redactor().redact(out) == out  # idempotent
    off = Redactor(RedactionConfig(keys=False)).redact(alert)["output_fields"]
    assert off["proc.env[DB_PASSWORD]"] == KEYED["proc.env[DB_PASSWORD]"]


@pytest.mark.parametrize(("command", "secret"), COMMANDS.items())
def test_command_line_form_is_redacted(command: str, secret: str) -> None:
    out = Redactor().redact_text(command)
    assert secret not in out and "[REDACTED:" in out, out


def _plant(project: Project, make_alert: Callable[..., dict[str, Any]]) -> None:
    alerts = []
    for n, (command, _secret) in enumerate(COMMANDS.items()):
        alerts.append(
            make_alert(
                time=f"2025-11-12T17:{n:02d}:00Z",
                rule="Credential use in a command line",
                priority="Critical",
                output=f"Command with a credential (cmd={command})",
                output_fields={"proc.name": command.split()[0], "proc.cmdline": command, "user.name": "root"},
                hostname="db-1",
            )
        )
    alerts.append(
        make_alert(
            time="2025-11-12T18:00:00Z",
            rule="Secret in a field name",
            priority="Critical",
            output="Process with secrets in its environment",
            output_fields={**KEYED, "k8s.pod.labels": {"config": {"password": NESTED_SECRET}}},
            hostname="db-1",
        )
    )
    project.write_jsonl("secrets.jsonl", alerts)


def _found(project: Project) -> dict[str, set[str]]:
    """Secret -> the kinds of output it was found in."""
    from test_secrets_published import decoded_files

    kinds = {
        "alert page": lambda rel: rel.startswith("site/alerts/") and rel.endswith("index.html"),
        "alert JSON": lambda rel: rel.startswith("site/alerts/") and rel.endswith(".json"),
        "CSV": lambda rel: rel.endswith("exports/alerts.csv"),
        "feed": lambda rel: rel.endswith("feed.xml"),
        "dashboard": lambda rel: rel == "site/index.html",
        "aggregate page": lambda rel: rel.startswith(("site/rules/", "site/hosts/", "site/priorities/")),
    }
    found: dict[str, set[str]] = {}
    for root in (project.site, project.docs, project.state):
        for path, text in decoded_files(root):
            rel = path.relative_to(project.root).as_posix()
            for secret in SECRETS:
                if secret in text:
                    found.setdefault(secret, set()).add(
                        next((kind for kind, match in kinds.items() if match(rel)), rel)
                    )
    return found


def test_secret_forms_are_published_nowhere(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    _plant(project, make_alert)
    run_build(["alerts"])
    assert project.report()["published"] == len(COMMANDS) + 1
    assert _found(project) == {}


def test_control_without_redaction_finds_every_secret_everywhere(
    project: Project, run_build: RunBuild, make_alert: Callable[..., dict[str, Any]]
) -> None:
    """The search above would find each secret in every output kind the issue lists."""
    _plant(project, make_alert)
    run_build(["alerts", "--no-redaction"])
    found = _found(project)
    for secret in SECRETS:
        assert {"alert page", "alert JSON"} <= found.get(secret, set()), secret
    for secret in COMMANDS.values():
        assert {"CSV", "feed", "dashboard", "aggregate page"} <= found[secret], (secret, found[secret])


def test_docs_list_every_builtin_rule() -> None:
    from generator.read.redact import BUILTIN_RULES

    text = (Path(__file__).resolve().parent.parent / "docs" / "redaction.md").read_text("utf-8")
    for rule in [*BUILTIN_RULES]:
        assert f"`{rule.name}`" in text, rule.name
    assert "`secret-key`" in text
