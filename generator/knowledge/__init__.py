"""Knowledge: what is known about a rule, independent of any alert.

Owns Falco rule files (``rules``: conditions, macros, lists, exceptions), the response
playbooks (``playbooks``, shipped as YAML in ``data/playbooks/``), the generic guidance for
rules without a playbook (``generic`` with ``data/generic.yaml``) and MITRE ATT&CK
(``mitre`` with ``data/mitre.json``). Everything here is data loaded and validated once.

May import: ``generator.errors``, ``generator.patterns``. Never the pipeline stages.
"""
