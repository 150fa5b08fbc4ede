"""The ``orch dev`` workbench (Textual). Import ``run_app`` only from ``orch dev``: nothing
headless may import this package."""


def run_app(**kwargs):
    from orch.tui.app import OrchApp

    app = OrchApp(**kwargs)
    app.run()
    return app.return_code or 0
