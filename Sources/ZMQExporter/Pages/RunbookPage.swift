/// `/runbooks`: docs/runbooks.md as a page, one anchor per alert (`/runbooks#zeromqsocketdown`),
/// so each alert's `runbook_url` opens on the agent that fired it, with no access to the
/// repository. The text is built in (``Runbooks/text``), kept equal to the file by a test.
enum RunbookPage {
    static func render() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>zmq-exporter runbooks</title><style>\(css)</style></head><body>
        <header><a href="/">zmq-exporter</a> · runbooks for the alerts of alerts/zeromq.rules.yml</header>
        <main>\(Markdown.html(Runbooks.text))</main></body></html>

        """
    }

    static let css = """
    body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
    header{background:#1f2937;color:#cbd5e1;padding:10px 16px}header a{color:#93c5fd}main{max-width:860px;padding:8px 16px 40px}
    h2{border-top:1px solid #e2e8f0;padding-top:14px;margin-top:28px}h2:target{background:#fef9c3}
    code{font-size:13px;background:#eef2f7;padding:1px 4px;border-radius:4px;overflow-wrap:anywhere}
    pre{background:#1f2937;color:#e5e7eb;padding:10px;overflow-x:auto}pre code{background:none;color:inherit}
    """
}
