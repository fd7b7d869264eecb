"""Every alert's runbook_url, templated with a running agent's address as Prometheus templates it
with the firing instance, answers 200 with the alert's anchor on that page."""
import re
import urllib.request

import yaml

from test_agent import REPO, exporter, render, wait_until


def test_every_alert_runbook_link_opens_on_the_agent(tmp_path):
    config = render("reloaded.yml", tmp_path)
    rules = yaml.safe_load((REPO / "alerts" / "zeromq.rules.yml").read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert len(alerts) > 10
    with exporter(config, tmp_path) as exp:
        instance = exp.url.removeprefix("http://")
        pages = {}
        for alert in alerts:
            template = alert["annotations"]["runbook_url"]
            assert template.startswith("http://{{ $labels.instance }}/runbooks#"), template
            url = template.replace("{{ $labels.instance }}", instance)
            page, anchor = url.split("#", 1)
            if page not in pages:
                with urllib.request.urlopen(page, timeout=10) as response:
                    assert response.status == 200
                    pages[page] = response.read().decode()
            assert re.search(rf'<h2 id="{re.escape(anchor)}">{re.escape(alert["alert"])}</h2>', pages[page]), alert["alert"]
